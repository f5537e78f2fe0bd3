"""instance variable filter: a GIN index on instances.variables on PostgreSQL

`GET /instances?var=name:eq:value` asks ``variables @> '{"name": value}'``, which a GIN index
with jsonb_path_ops serves. SQLite (the embedded default, small installations) scans, as before.

Revision ID: 0021_restapi_variables_index
Revises: 0020_counters_and_redelivery
Create Date: 2026-12-07 18:45:00
"""
from alembic import op

revision = '0021_restapi_variables_index'
down_revision = '0020_counters_and_redelivery'
branch_labels = None
depends_on = None

NAME = 'ix_instances_variables_path_ops'


def upgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute(f'CREATE INDEX {NAME} ON instances USING gin (variables jsonb_path_ops)')


def downgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute(f'DROP INDEX IF EXISTS {NAME}')
