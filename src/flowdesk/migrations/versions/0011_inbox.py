"""inbox at scale: ticket candidates carry the ticket's status and sort keys, indexed per group

Revision ID: 0011_inbox
Revises: 0010_data_stores
Create Date: 2026-11-22 02:40:00
"""
from alembic import op
import sqlalchemy as sa

revision = '0011_inbox'
down_revision = '0010_data_stores'
branch_labels = None
depends_on = None

KEYS = ('status', 'due_at', 'priority', 'created_at')


def upgrade() -> None:
    with op.batch_alter_table('ticket_candidates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('due_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('priority', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('created_at', sa.DateTime(timezone=True), nullable=True))

    # Existing candidates take their ticket's values; from now on the engine keeps them equal.
    for key in KEYS:
        op.execute(f"UPDATE ticket_candidates SET {key} = (SELECT tickets.{key} FROM tickets "
                   f"WHERE tickets.id = ticket_candidates.ticket_id)")

    with op.batch_alter_table('ticket_candidates', schema=None) as batch_op:
        batch_op.alter_column('status', existing_type=sa.String(length=20), nullable=False)
        batch_op.alter_column('created_at', existing_type=sa.DateTime(timezone=True), nullable=False)
        batch_op.drop_index('ix_ticket_candidates_kind_name')
        batch_op.create_index('ix_ticket_candidates_kind_name_status_due_at_ticket_id',
                              ['kind', 'name', 'status', 'due_at', 'ticket_id'], unique=False)
        batch_op.create_index('ix_ticket_candidates_kind_name_status_priority_ticket_id',
                              ['kind', 'name', 'status', 'priority', 'ticket_id'], unique=False)
        batch_op.create_index('ix_ticket_candidates_kind_name_status_created_at_ticket_id',
                              ['kind', 'name', 'status', 'created_at', 'ticket_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('ticket_candidates', schema=None) as batch_op:
        batch_op.drop_index('ix_ticket_candidates_kind_name_status_created_at_ticket_id')
        batch_op.drop_index('ix_ticket_candidates_kind_name_status_priority_ticket_id')
        batch_op.drop_index('ix_ticket_candidates_kind_name_status_due_at_ticket_id')
        batch_op.create_index('ix_ticket_candidates_kind_name', ['kind', 'name', 'ticket_id'], unique=False)
        batch_op.drop_column('created_at')
        batch_op.drop_column('priority')
        batch_op.drop_column('due_at')
        batch_op.drop_column('status')
