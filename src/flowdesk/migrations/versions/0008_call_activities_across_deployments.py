"""call activities across deployments

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22 00:38:10.863008
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# JSONB on PostgreSQL, JSON text elsewhere (as in flowdesk.engine.models.base).
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:

    with op.batch_alter_table('definition_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('external_calls', JSON, nullable=True))

    with op.batch_alter_table('instances', schema=None) as batch_op:
        batch_op.add_column(sa.Column('called_versions', JSON, nullable=True))




def downgrade() -> None:

    with op.batch_alter_table('instances', schema=None) as batch_op:
        batch_op.drop_column('called_versions')

    with op.batch_alter_table('definition_versions', schema=None) as batch_op:
        batch_op.drop_column('external_calls')


