"""assignment, sla, approvals, inbox

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22 00:43:57.927250
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# JSONB on PostgreSQL, JSON text elsewhere (as in flowdesk.engine.models.base).
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('assignment_cursors',
    sa.Column('process_key', sa.String(length=255), nullable=False),
    sa.Column('element_id', sa.String(length=255), nullable=False),
    sa.Column('last_assignee', sa.String(length=100), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('process_key', 'element_id', name=op.f('pk_assignment_cursors'))
    )
    op.create_table('business_calendars',
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('time_zone', sa.String(length=64), nullable=False),
    sa.Column('working_days', JSON, nullable=False),
    sa.Column('hours', JSON, nullable=False),
    sa.Column('holidays', JSON, nullable=False),
    sa.Column('updated_by', sa.String(length=100), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_business_calendars'))
    )
    op.create_table('saved_filters',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('user_id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('query', JSON, nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_saved_filters_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_saved_filters')),
    sa.UniqueConstraint('user_id', 'name', name=op.f('uq_saved_filters_user_id_name'))
    )
    op.create_table('approvals',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('ticket_id', sa.String(length=36), nullable=False),
    sa.Column('instance_id', sa.String(length=36), nullable=False),
    sa.Column('element_id', sa.String(length=255), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('approver', sa.String(length=100), nullable=False),
    sa.Column('decision', sa.String(length=30), nullable=False),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['instance_id'], ['instances.id'], name=op.f('fk_approvals_instance_id_instances'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_approvals_ticket_id_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_approvals'))
    )
    with op.batch_alter_table('approvals', schema=None) as batch_op:
        batch_op.create_index('ix_approvals_instance_id_approver_level', ['instance_id', 'approver', 'level'], unique=False)
        batch_op.create_index('ix_approvals_instance_id_created_at', ['instance_id', 'created_at'], unique=False)

    op.create_table('ticket_assignments',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('ticket_id', sa.String(length=36), nullable=False),
    sa.Column('instance_id', sa.String(length=36), nullable=False),
    sa.Column('rule', sa.String(length=30), nullable=False),
    sa.Column('assignee', sa.String(length=100), nullable=True),
    sa.Column('previous_assignee', sa.String(length=100), nullable=True),
    sa.Column('assigned_by', sa.String(length=100), nullable=True),
    sa.Column('candidates', JSON, nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['instance_id'], ['instances.id'], name=op.f('fk_ticket_assignments_instance_id_instances'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_ticket_assignments_ticket_id_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ticket_assignments'))
    )
    with op.batch_alter_table('ticket_assignments', schema=None) as batch_op:
        batch_op.create_index('ix_ticket_assignments_ticket_id_id', ['ticket_id', 'id'], unique=False)

    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('process_version', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('owner', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('delegation_state', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('approval_level', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('calendar', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('sla_seconds', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('at_risk_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('paused_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('sla_breached_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.drop_index(batch_op.f('ix_tickets_assignee_status'))
        batch_op.create_index('ix_tickets_assignee_claimed_at', ['assignee', 'claimed_at'], unique=False)
        batch_op.create_index('ix_tickets_assignee_status_due_at_id', ['assignee', 'status', 'due_at', 'id'], unique=False)
        batch_op.create_index('ix_tickets_business_key', ['business_key'], unique=False)
        batch_op.create_index('ix_tickets_completed_by_completed_at', ['completed_by', 'completed_at'], unique=False)
        batch_op.create_index('ix_tickets_element_id_status', ['element_id', 'status'], unique=False)
        batch_op.create_index('ix_tickets_owner_status', ['owner', 'status'], unique=False)
        batch_op.create_index('ix_tickets_process_key_process_version_status', ['process_key', 'process_version', 'status'], unique=False)
        batch_op.create_index('ix_tickets_status_due_at_id', ['status', 'due_at', 'id'], unique=False)
        batch_op.create_index('ix_tickets_status_priority_id', ['status', 'priority', 'id'], unique=False)
        batch_op.create_index('ix_tickets_status_sla_breached_at_due_at', ['status', 'sla_breached_at', 'due_at'], unique=False)

    # Existing tickets take their instance's process version, so the version filter finds them.
    op.execute("UPDATE tickets SET process_version = (SELECT instances.process_version FROM instances "
               "WHERE instances.id = tickets.instance_id)")

    with op.batch_alter_table('user_groups', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lead', sa.Boolean(), server_default=sa.false(), nullable=False))



def downgrade() -> None:
    with op.batch_alter_table('user_groups', schema=None) as batch_op:
        batch_op.drop_column('lead')

    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_index('ix_tickets_status_sla_breached_at_due_at')
        batch_op.drop_index('ix_tickets_status_priority_id')
        batch_op.drop_index('ix_tickets_status_due_at_id')
        batch_op.drop_index('ix_tickets_process_key_process_version_status')
        batch_op.drop_index('ix_tickets_owner_status')
        batch_op.drop_index('ix_tickets_element_id_status')
        batch_op.drop_index('ix_tickets_completed_by_completed_at')
        batch_op.drop_index('ix_tickets_business_key')
        batch_op.drop_index('ix_tickets_assignee_status_due_at_id')
        batch_op.drop_index('ix_tickets_assignee_claimed_at')
        batch_op.create_index(batch_op.f('ix_tickets_assignee_status'), ['assignee', 'status'], unique=False)
        batch_op.drop_column('sla_breached_at')
        batch_op.drop_column('paused_at')
        batch_op.drop_column('at_risk_at')
        batch_op.drop_column('sla_seconds')
        batch_op.drop_column('calendar')
        batch_op.drop_column('approval_level')
        batch_op.drop_column('delegation_state')
        batch_op.drop_column('owner')
        batch_op.drop_column('process_version')

    with op.batch_alter_table('ticket_assignments', schema=None) as batch_op:
        batch_op.drop_index('ix_ticket_assignments_ticket_id_id')

    op.drop_table('ticket_assignments')
    with op.batch_alter_table('approvals', schema=None) as batch_op:
        batch_op.drop_index('ix_approvals_instance_id_created_at')
        batch_op.drop_index('ix_approvals_instance_id_approver_level')

    op.drop_table('approvals')
    op.drop_table('saved_filters')
    op.drop_table('business_calendars')
    op.drop_table('assignment_cursors')
