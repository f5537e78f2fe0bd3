"""case fields: tickets.case_fields and instances.start_variables

A ticket shows its case: the variables its model names in ``caseFields``, else the ones its
instance was started with. The ticket keeps them ([{name, label, value}]) as they were when it
opened, so the inbox shows them without reading the task's data; the instance keeps the names
of its start variables in the order given. Rows from before stay null: no case shown.

Revision ID: 0018_case_fields
Revises: 0017_requesters
Create Date: 2026-12-07 15:30:00
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0018_case_fields'
down_revision = '0017_requesters'
branch_labels = None
depends_on = None

# JSONB on PostgreSQL, JSON text elsewhere (as in flowdesk.engine.models.base).
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table('tickets') as batch:
        batch.add_column(sa.Column('case_fields', JSON, nullable=True))
    with op.batch_alter_table('instances') as batch:
        batch.add_column(sa.Column('start_variables', JSON, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('instances') as batch:
        batch.drop_column('start_variables')
    with op.batch_alter_table('tickets') as batch:
        batch.drop_column('case_fields')
