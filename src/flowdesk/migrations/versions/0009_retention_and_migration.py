"""retention: per-process retention days, archived instances, cleanup indexes

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-22 00:52:05.981131
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# JSONB on PostgreSQL, JSON text elsewhere (as in flowdesk.engine.models.base).
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # New columns are nullable: existing versions use the global retention, no instance is archived.
    # The indexes serve the cleanup's "older than" scans, batch by batch.
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index('ix_audit_events_created_at', ['created_at'], unique=False)

    with op.batch_alter_table('definition_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('retention_days', sa.Integer(), nullable=True))

    with op.batch_alter_table('instances', schema=None) as batch_op:
        batch_op.add_column(sa.Column('archived_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_instances_status_completed_at', ['status', 'completed_at'], unique=False)

    with op.batch_alter_table('job_attempts', schema=None) as batch_op:
        batch_op.create_index('ix_job_attempts_started_at', ['started_at'], unique=False)

    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.create_index('ix_jobs_kind_finished_at', ['kind', 'finished_at'], unique=False)

    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.create_index('ix_messages_status_created_at', ['status', 'created_at'], unique=False)

    with op.batch_alter_table('ticket_progressions', schema=None) as batch_op:
        batch_op.create_index('ix_ticket_progressions_created_at', ['created_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('ticket_progressions', schema=None) as batch_op:
        batch_op.drop_index('ix_ticket_progressions_created_at')

    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_index('ix_messages_status_created_at')

    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_index('ix_jobs_kind_finished_at')

    with op.batch_alter_table('job_attempts', schema=None) as batch_op:
        batch_op.drop_index('ix_job_attempts_started_at')

    with op.batch_alter_table('instances', schema=None) as batch_op:
        batch_op.drop_index('ix_instances_status_completed_at')
        batch_op.drop_column('archived_at')

    with op.batch_alter_table('definition_versions', schema=None) as batch_op:
        batch_op.drop_column('retention_days')

    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_events_created_at')
