"""timers, messages, signals

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 00:24:51.171021
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# JSONB on PostgreSQL, JSON text elsewhere (as in flowdesk.engine.models.base).
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('messages',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('message_id', sa.String(length=255), nullable=True),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('business_key', sa.String(length=255), nullable=True),
    sa.Column('instance_id', sa.String(length=36), nullable=True),
    sa.Column('correlation_keys', JSON, nullable=False),
    sa.Column('variables', JSON, nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('delivered_to', JSON, nullable=False),
    sa.Column('started', JSON, nullable=False),
    sa.Column('sender', sa.String(length=100), nullable=True),
    sa.Column('source_instance_id', sa.String(length=36), nullable=True),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_messages'))
    )
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.create_index('ix_messages_message_id', ['message_id'], unique=True)
        batch_op.create_index('ix_messages_status_name', ['status', 'name'], unique=False)

    op.create_table('timer_start_schedules',
    sa.Column('process_key', sa.String(length=255), nullable=False),
    sa.Column('element_id', sa.String(length=255), nullable=False),
    sa.Column('definition_version_id', sa.String(length=36), nullable=False),
    sa.Column('reference_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('next_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('process_key', 'element_id', name=op.f('pk_timer_start_schedules'))
    )
    with op.batch_alter_table('timer_start_schedules', schema=None) as batch_op:
        batch_op.create_index('ix_timer_start_schedules_next_at', ['next_at'], unique=False)

    op.create_table('event_subscriptions',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('instance_id', sa.String(length=36), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('task_id', sa.String(length=36), nullable=True),
    sa.Column('element_id', sa.String(length=255), nullable=True),
    sa.Column('business_key', sa.String(length=255), nullable=True),
    sa.Column('correlations', JSON, nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['instance_id'], ['instances.id'], name=op.f('fk_event_subscriptions_instance_id_instances'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_event_subscriptions'))
    )
    with op.batch_alter_table('event_subscriptions', schema=None) as batch_op:
        batch_op.create_index('ix_event_subscriptions_instance_id', ['instance_id'], unique=False)
        batch_op.create_index('ix_event_subscriptions_kind_name', ['kind', 'name', 'business_key'], unique=False)

    with op.batch_alter_table('definition_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('start_events', JSON, nullable=True))

    with op.batch_alter_table('instances', schema=None) as batch_op:
        batch_op.add_column(sa.Column('next_timer_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_instances_next_timer_at', ['next_timer_at'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('instances', schema=None) as batch_op:
        batch_op.drop_index('ix_instances_next_timer_at')
        batch_op.drop_column('next_timer_at')

    with op.batch_alter_table('definition_versions', schema=None) as batch_op:
        batch_op.drop_column('start_events')

    with op.batch_alter_table('event_subscriptions', schema=None) as batch_op:
        batch_op.drop_index('ix_event_subscriptions_kind_name')
        batch_op.drop_index('ix_event_subscriptions_instance_id')

    op.drop_table('event_subscriptions')
    with op.batch_alter_table('timer_start_schedules', schema=None) as batch_op:
        batch_op.drop_index('ix_timer_start_schedules_next_at')

    op.drop_table('timer_start_schedules')
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_index('ix_messages_status_name')
        batch_op.drop_index('ix_messages_message_id')

    op.drop_table('messages')

