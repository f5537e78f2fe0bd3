"""identity: API key scopes, expiry, rotation; caller allow-lists and signing secrets; audit log

Revision ID: 0012_identity
Revises: 0011_inbox
Create Date: 2026-11-22 02:40:00
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# JSONB on PostgreSQL, JSON text elsewhere (as in flowdesk.engine.models.base).
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

revision = '0012_identity'
down_revision = '0011_inbox'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Existing keys keep working: full scopes, no expiry; existing users keep no allow-list.
    op.create_table('audit_log',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('action', sa.String(length=50), nullable=False),
    sa.Column('actor', sa.String(length=100), nullable=True),
    sa.Column('target_type', sa.String(length=30), nullable=False),
    sa.Column('target', sa.String(length=255), nullable=True),
    sa.Column('detail', JSON, nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index('ix_audit_log_action_id', ['action', 'id'], unique=False)

    with op.batch_alter_table('api_keys', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('scopes', JSON, nullable=False, server_default='["read", "write"]'))
        batch_op.add_column(sa.Column('process_keys', JSON, nullable=True))
        batch_op.add_column(sa.Column('message_names', JSON, nullable=True))
        batch_op.add_column(sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('replaced_by', sa.String(length=36), nullable=True))
    # The default only served existing rows; the application always writes scopes.
    with op.batch_alter_table('api_keys', schema=None) as batch_op:
        batch_op.alter_column('scopes', server_default=None)

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('process_keys', JSON, nullable=True))
        batch_op.add_column(sa.Column('message_names', JSON, nullable=True))
        batch_op.add_column(sa.Column('signing_secret', sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('signing_secret')
        batch_op.drop_column('message_names')
        batch_op.drop_column('process_keys')

    with op.batch_alter_table('api_keys', schema=None) as batch_op:
        batch_op.drop_column('replaced_by')
        batch_op.drop_column('revoked_at')
        batch_op.drop_column('expires_at')
        batch_op.drop_column('message_names')
        batch_op.drop_column('process_keys')
        batch_op.drop_column('scopes')
        batch_op.drop_column('name')

    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_log_action_id')

    op.drop_table('audit_log')
