"""tenants: a tenants table with the 'default' tenant, and tenant_id on every row that belongs to one

Revision ID: 0013_tenants
Revises: 0012_identity
Create Date: 2026-11-22 02:50:00
"""
from alembic import op
import sqlalchemy as sa

revision = '0013_tenants'
down_revision = '0012_identity'
branch_labels = None
depends_on = None

# Rows reached by id: tenant_id is an indexed column.
OWNED = [
    'approvals', 'attachment_blobs', 'audit_events', 'definition_versions', 'event_subscriptions',
    'external_tasks', 'idempotency_records', 'incidents', 'instances', 'job_attempts', 'jobs', 'messages',
    'saved_filters', 'ticket_assignments', 'ticket_attachments', 'ticket_candidates', 'ticket_comments',
    'ticket_progressions', 'tickets', 'user_groups', 'users', 'api_keys', 'webhook_subscriptions', 'audit_log',
]
# Rows keyed by a name: the tenant joins their primary key (each tenant has its own 'token' secret).
KEYED = {
    'assignment_cursors': ['process_key', 'element_id'],
    'business_calendars': ['name'],
    'form_schemas': ['name'],
    'secrets': ['name'],
    'timer_start_schedules': ['process_key', 'element_id'],
}


INBOX_SORT_KEYS = ['due_at', 'priority', 'created_at']


def _tenant_column() -> sa.Column:
    # Existing rows belong to the default tenant: a single-tenant installation carries on unchanged.
    return sa.Column('tenant_id', sa.String(length=64), server_default='default', nullable=False)


def upgrade() -> None:
    op.create_table('tenants',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('created', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tenants'))
    )
    op.execute(sa.text("INSERT INTO tenants (id, name, created) VALUES ('default', 'Default', CURRENT_TIMESTAMP)"))

    for table in OWNED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(_tenant_column())
            batch_op.create_index(op.f(f'ix_{table}_tenant_id'), ['tenant_id'], unique=False)
            batch_op.create_foreign_key(op.f(f'fk_{table}_tenant_id_tenants'), 'tenants', ['tenant_id'], ['id'])
    for table, columns in KEYED.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(_tenant_column())
            batch_op.drop_constraint(op.f(f'pk_{table}'), type_='primary')
            batch_op.create_primary_key(op.f(f'pk_{table}'), ['tenant_id', *columns])
            batch_op.create_foreign_key(op.f(f'fk_{table}_tenant_id_tenants'), 'tenants', ['tenant_id'], ['id'])
    # The inbox indexes lead with the tenant, so a tenant's inbox stays one range of one index.
    with op.batch_alter_table('ticket_candidates', schema=None) as batch_op:
        for sort_key in INBOX_SORT_KEYS:
            batch_op.drop_index(f'ix_ticket_candidates_kind_name_status_{sort_key}_ticket_id')
            batch_op.create_index(f'ix_ticket_candidates_tenant_kind_name_status_{sort_key}',
                                  ['tenant_id', 'kind', 'name', 'status', sort_key, 'ticket_id'], unique=False)
    # Data stores were keyed by tenant from the start (every row 'default'); now the tenant is a real one.
    with op.batch_alter_table('data_stores', schema=None) as batch_op:
        batch_op.alter_column('tenant_id', existing_type=sa.String(length=100), type_=sa.String(length=64),
                              existing_nullable=False, existing_server_default='default')
        batch_op.create_foreign_key(op.f('fk_data_stores_tenant_id_tenants'), 'tenants', ['tenant_id'], ['id'])

    # What was unique globally is unique per tenant: process key + version, user names, message ids.
    with op.batch_alter_table('definition_versions', schema=None) as batch_op:
        batch_op.drop_constraint('uq_definition_versions_process_key_version', type_='unique')
        batch_op.create_unique_constraint(op.f('uq_definition_versions_tenant_id_process_key_version'),
                                          ['tenant_id', 'process_key', 'version'])
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint('uq_users_name', type_='unique')
        batch_op.create_unique_constraint(op.f('uq_users_tenant_id_name'), ['tenant_id', 'name'])
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_index('ix_messages_message_id')
        batch_op.create_index('ix_messages_tenant_id_message_id', ['tenant_id', 'message_id'], unique=True)


def downgrade() -> None:
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_index('ix_messages_tenant_id_message_id')
        batch_op.create_index('ix_messages_message_id', ['message_id'], unique=True)
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint('uq_users_tenant_id_name', type_='unique')
        batch_op.create_unique_constraint('uq_users_name', ['name'])
    with op.batch_alter_table('definition_versions', schema=None) as batch_op:
        batch_op.drop_constraint('uq_definition_versions_tenant_id_process_key_version', type_='unique')
        batch_op.create_unique_constraint('uq_definition_versions_process_key_version', ['process_key', 'version'])
    with op.batch_alter_table('data_stores', schema=None) as batch_op:
        batch_op.drop_constraint('fk_data_stores_tenant_id_tenants', type_='foreignkey')
        batch_op.alter_column('tenant_id', existing_type=sa.String(length=64), type_=sa.String(length=100),
                              existing_nullable=False, existing_server_default='default')
    with op.batch_alter_table('ticket_candidates', schema=None) as batch_op:
        for sort_key in INBOX_SORT_KEYS:
            batch_op.drop_index(f'ix_ticket_candidates_tenant_kind_name_status_{sort_key}')
            batch_op.create_index(f'ix_ticket_candidates_kind_name_status_{sort_key}_ticket_id',
                                  ['kind', 'name', 'status', sort_key, 'ticket_id'], unique=False)
    for table, columns in KEYED.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(f'fk_{table}_tenant_id_tenants', type_='foreignkey')
            batch_op.drop_constraint(f'pk_{table}', type_='primary')
            batch_op.create_primary_key(f'pk_{table}', columns)
            batch_op.drop_column('tenant_id')
    for table in OWNED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(f'fk_{table}_tenant_id_tenants', type_='foreignkey')
            batch_op.drop_index(f'ix_{table}_tenant_id')
            batch_op.drop_column('tenant_id')
    op.drop_table('tenants')
