"""data stores: one JSON value per BPMN data store name and tenant

Revision ID: 0010_data_stores
Revises: 0009
Create Date: 2026-11-22 02:50:00
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# JSONB on PostgreSQL, JSON text elsewhere (as in flowdesk.engine.models.base).
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

revision = '0010_data_stores'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'data_stores',
        sa.Column('tenant_id', sa.String(length=100), server_default='default', nullable=False),
        sa.Column('name', sa.String(length=255), nullable=False),
        sa.Column('value', JSON, nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('tenant_id', 'name', name=op.f('pk_data_stores')),
    )


def downgrade() -> None:
    op.drop_table('data_stores')
