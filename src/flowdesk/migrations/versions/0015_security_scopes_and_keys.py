"""security: external-task topic allow-lists on users and keys; per-tenant key generations

Revision ID: 0015_security_scopes_and_keys
Revises: 0014_ticket_text_search
Create Date: 2026-12-07 12:30:00
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0015_security_scopes_and_keys'
down_revision = '0014_ticket_text_search'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), 'postgresql')


def upgrade() -> None:
    for table in ('users', 'api_keys'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('topics', JSON, nullable=True))
    with op.batch_alter_table('tenants', schema=None) as batch_op:
        batch_op.add_column(sa.Column('signing_generation', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('previous_key_until', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('tenants', schema=None) as batch_op:
        batch_op.drop_column('previous_key_until')
        batch_op.drop_column('signing_generation')
    for table in ('users', 'api_keys'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('topics')
