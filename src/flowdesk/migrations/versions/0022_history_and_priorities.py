"""history across instances; the instance variable filter's index; external task priorities

- completed_activities: a row per BPMN element an instance completed, written by the save that
  completed it (`GET /history/activities`). Instances that ran before start with none.
- tickets: an index on (status, completed_at, id) for `GET /history/tickets`.
- external_tasks.priority: the service task's camunda:taskPriority (0 for tasks opened before).
- `GET /instances?var=name:eq:value` asks ``variables @> '{"name": value}'``, which a GIN index
  with jsonb_path_ops serves on PostgreSQL. SQLite (the embedded default) scans, as before.

Revision ID: 0022_history_and_priorities
Revises: 0021_ui_case_search
Create Date: 2026-12-07 18:55:00
"""
from alembic import op
import sqlalchemy as sa

revision = '0022_history_and_priorities'
down_revision = '0021_ui_case_search'
branch_labels = None
depends_on = None

NAME = 'ix_instances_variables_path_ops'


def upgrade() -> None:
    op.create_table(
        'completed_activities',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('instance_id', sa.String(length=36), nullable=False),
        sa.Column('process_key', sa.String(length=255), nullable=False),
        sa.Column('process_version', sa.Integer(), nullable=False),
        sa.Column('element_id', sa.String(length=255), nullable=False),
        sa.Column('name', sa.String(length=255), nullable=True),
        sa.Column('type', sa.String(length=50), nullable=False),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('tenant_id', sa.String(length=64), server_default='default', nullable=False),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_completed_activities_tenant_id_tenants')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_completed_activities')),
    )
    with op.batch_alter_table('completed_activities', schema=None) as batch_op:
        batch_op.create_index('ix_completed_activities_process_key_finished_at_id',
                              ['process_key', 'finished_at', 'id'], unique=False)
        batch_op.create_index('ix_completed_activities_finished_at_id', ['finished_at', 'id'], unique=False)
        batch_op.create_index('ix_completed_activities_instance_id_id', ['instance_id', 'id'], unique=False)
        batch_op.create_index(op.f('ix_completed_activities_tenant_id'), ['tenant_id'], unique=False)
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.create_index('ix_tickets_status_completed_at_id', ['status', 'completed_at', 'id'], unique=False)
    with op.batch_alter_table('external_tasks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('priority', sa.Integer(), server_default='0', nullable=False))
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute(f'CREATE INDEX {NAME} ON instances USING gin (variables jsonb_path_ops)')


def downgrade() -> None:
    op.drop_table('completed_activities')
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_index('ix_tickets_status_completed_at_id')
    with op.batch_alter_table('external_tasks', schema=None) as batch_op:
        batch_op.drop_column('priority')
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute(f'DROP INDEX IF EXISTS {NAME}')
