"""metric counters that retention does not lower; incidents name the message they could not deliver

- metric_counters: a counter per (tenant, name, labels), incremented in the transaction that ends
  a job attempt. The upgrade seeds it from the attempts history still kept, so the figures carry
  on from there.
- incidents.delivery_id: the messages row (message or signal) whose delivery to the instance
  failed, so retrying the incident delivers it again.

Revision ID: 0020_counters_and_redelivery
Revises: 0019_ticket_follow_up
Create Date: 2026-12-07 15:30:00
"""
import json

from alembic import op
import sqlalchemy as sa

revision = '0020_counters_and_redelivery'
down_revision = '0019_ticket_follow_up'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'metric_counters',
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('labels', sa.String(length=500), nullable=False),
        sa.Column('value', sa.BigInteger(), nullable=False),
        sa.Column('tenant_id', sa.String(length=64), server_default='default', nullable=False),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_metric_counters_tenant_id_tenants')),
        sa.PrimaryKeyConstraint('name', 'labels', 'tenant_id', name=op.f('pk_metric_counters')),
    )
    # Labels as flowdesk.engine.counters writes them (sorted-key JSON).
    connection = op.get_bind()
    rows = connection.execute(sa.text(
        "SELECT tenant_id, COALESCE(worker, 'unknown'), outcome, COUNT(*) FROM job_attempts "
        "WHERE outcome IS NOT NULL GROUP BY tenant_id, COALESCE(worker, 'unknown'), outcome")).all()
    if rows:
        connection.execute(sa.text("INSERT INTO metric_counters (tenant_id, name, labels, value) "
                                   "VALUES (:tenant, 'job_attempts', :labels, :value)"),
                           [{"tenant": tenant, "labels": json.dumps({"host": host, "outcome": outcome}, sort_keys=True),
                             "value": count} for tenant, host, outcome, count in rows])


    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('delivery_id', sa.String(length=36), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.drop_column('delivery_id')
    op.drop_table('metric_counters')
