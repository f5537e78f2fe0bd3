"""sandbox: secrets.models_may_use, the tenant's allow-list of secrets models may use

A model's action URL or header may reference a secret (``{{secret:NAME}}``) only when the
secret is on this list; existing secrets stay usable (true), an admin takes them off.

Revision ID: 0015_sandbox_model_secrets
Revises: 0014_ticket_text_search
Create Date: 2026-12-07 12:45:00
"""
from alembic import op
import sqlalchemy as sa

revision = '0015_sandbox_model_secrets'
down_revision = '0014_ticket_text_search'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('secrets') as batch:
        batch.add_column(sa.Column('models_may_use', sa.Boolean(), nullable=False, server_default=sa.true()))


def downgrade() -> None:
    with op.batch_alter_table('secrets') as batch:
        batch.drop_column('models_may_use')
