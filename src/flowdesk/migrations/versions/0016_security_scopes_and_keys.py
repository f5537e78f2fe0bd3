"""security: topic allow-lists, per-tenant key generations, idempotency keys and message ids per
tenant and sender, saved filters for token users

- users.topics, api_keys.topics: external-task topics a worker may fetch and work.
- tenants.signing_generation, tenants.previous_key_until: per-tenant signing key rotation.
- idempotency_records: unique per (tenant, principal, key); principal holds long token user ids.
- messages: a message_id is unique per (tenant, sender, message_id); allowed_processes keeps the
  sender's process allow-list for buffered messages.
- saved_filters: no foreign key to users (token users have no row), unique per tenant.
- api_keys.prefix: at most 7 characters, and none of short chosen keys; stored prefixes are
  cleared (10 characters could be most of a short chosen key, and the hash keeps no length).

Revision ID: 0016_security_scopes_and_keys
Revises: 0015_sandbox_model_secrets
Create Date: 2026-12-07 12:30:00
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0016_security_scopes_and_keys'
down_revision = '0015_sandbox_model_secrets'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), 'postgresql')


def upgrade() -> None:
    for table in ('users', 'api_keys'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('topics', JSON, nullable=True))
    op.execute(sa.text("UPDATE api_keys SET prefix = ''"))
    with op.batch_alter_table('tenants', schema=None) as batch_op:
        batch_op.add_column(sa.Column('signing_generation', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('previous_key_until', sa.DateTime(timezone=True), nullable=True))


    with op.batch_alter_table('idempotency_records', schema=None) as batch_op:
        batch_op.drop_constraint('uq_idempotency_records_principal_key', type_='unique')
        batch_op.alter_column('principal', existing_type=sa.String(length=36), type_=sa.String(length=255),
                              existing_nullable=False)
        batch_op.create_unique_constraint('uq_idempotency_records_tenant_id_principal_key',
                                          ['tenant_id', 'principal', 'key'])
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_index('ix_messages_tenant_id_message_id')
        batch_op.create_index('ix_messages_tenant_id_sender_message_id', ['tenant_id', 'sender', 'message_id'],
                              unique=True)
        batch_op.add_column(sa.Column('allowed_processes', JSON, nullable=True))
    with op.batch_alter_table('saved_filters', schema=None) as batch_op:
        batch_op.drop_constraint('fk_saved_filters_user_id_users', type_='foreignkey')
        batch_op.drop_constraint('uq_saved_filters_user_id_name', type_='unique')
        batch_op.alter_column('user_id', existing_type=sa.String(length=36), type_=sa.String(length=255),
                              existing_nullable=False)
        batch_op.create_unique_constraint('uq_saved_filters_tenant_id_user_id_name', ['tenant_id', 'user_id', 'name'])


def downgrade() -> None:
    # Token users' filters and long ids do not fit the old columns: they are dropped.
    op.execute(sa.text("DELETE FROM saved_filters WHERE user_id NOT IN (SELECT id FROM users)"))
    op.execute(sa.text("DELETE FROM idempotency_records WHERE length(principal) > 36"))
    with op.batch_alter_table('saved_filters', schema=None) as batch_op:
        batch_op.drop_constraint('uq_saved_filters_tenant_id_user_id_name', type_='unique')
        batch_op.alter_column('user_id', existing_type=sa.String(length=255), type_=sa.String(length=36),
                              existing_nullable=False)
        batch_op.create_unique_constraint('uq_saved_filters_user_id_name', ['user_id', 'name'])
        batch_op.create_foreign_key('fk_saved_filters_user_id_users', 'users', ['user_id'], ['id'], ondelete='CASCADE')
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_column('allowed_processes')
        batch_op.drop_index('ix_messages_tenant_id_sender_message_id')
        batch_op.create_index('ix_messages_tenant_id_message_id', ['tenant_id', 'message_id'], unique=True)
    with op.batch_alter_table('idempotency_records', schema=None) as batch_op:
        batch_op.drop_constraint('uq_idempotency_records_tenant_id_principal_key', type_='unique')
        batch_op.alter_column('principal', existing_type=sa.String(length=255), type_=sa.String(length=36),
                              existing_nullable=False)
        batch_op.create_unique_constraint('uq_idempotency_records_principal_key', ['principal', 'key'])
    with op.batch_alter_table('tenants', schema=None) as batch_op:
        batch_op.drop_column('previous_key_until')
        batch_op.drop_column('signing_generation')
    for table in ('users', 'api_keys'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('topics')
