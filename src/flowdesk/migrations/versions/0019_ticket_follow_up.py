"""tickets.follow_up_at: the follow-up date Camunda models give a user task

Camunda 7 (camunda:followUpDate) and Camunda 8 (zeebe:taskSchedule followUpDate) models say when
to look at a task again; the ticket keeps it beside its due date.

Revision ID: 0019_ticket_follow_up
Revises: 0018_case_fields
Create Date: 2026-12-07 16:00:00
"""
from alembic import op
import sqlalchemy as sa

revision = '0019_ticket_follow_up'
down_revision = '0018_case_fields'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('follow_up_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_column('follow_up_at')
