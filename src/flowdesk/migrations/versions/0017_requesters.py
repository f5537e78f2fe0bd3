"""requesters: the requests table (one row per instance a requester started) and public attachments

- requests: id = the instance's id, the requester's name, the process key, a subject and the
  stage (status in the model's words) to list and search, when it was opened and last publicly updated; "my requests" is one index range.
- ticket_attachments.public: whether the requester may see the file (existing files: no).

Revision ID: 0017_requesters
Revises: 0016_security_scopes_and_keys
Create Date: 2026-12-07 15:40:00
"""
from alembic import op
import sqlalchemy as sa

revision = '0017_requesters'
down_revision = '0016_security_scopes_and_keys'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('requests',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('requester', sa.String(length=100), nullable=False),
    sa.Column('process_key', sa.String(length=255), nullable=False),
    sa.Column('subject', sa.String(length=255), nullable=False),
    sa.Column('stage', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('tenant_id', sa.String(length=64), server_default='default', nullable=False),
    sa.ForeignKeyConstraint(['id'], ['instances.id'], name=op.f('fk_requests_id_instances'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_requests_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_requests'))
    )
    with op.batch_alter_table('requests', schema=None) as batch_op:
        batch_op.create_index('ix_requests_tenant_id_requester_created_at_id',
                              ['tenant_id', 'requester', 'created_at', 'id'], unique=False)
        batch_op.create_index(op.f('ix_requests_tenant_id'), ['tenant_id'], unique=False)
    with op.batch_alter_table('ticket_attachments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('public', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('ticket_attachments', schema=None) as batch_op:
        batch_op.drop_column('public')
    with op.batch_alter_table('requests', schema=None) as batch_op:
        batch_op.drop_index(op.f('ix_requests_tenant_id'))
        batch_op.drop_index('ix_requests_tenant_id_requester_created_at_id')
    op.drop_table('requests')
