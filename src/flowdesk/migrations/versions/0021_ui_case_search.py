"""case search and sort: tickets.case_text and tickets.case_keys

The inbox's ``q`` matches case field values and its list sorts by a case field across pages,
so the ticket row carries two projections of its ``case_fields``: the values as lower-case text
(trigram-indexed on PostgreSQL where pg_trgm is, like the name and business key since 0014) and
a sort key per field. Tickets that already show a case get both here.

Revision ID: 0021_ui_case_search
Revises: 0020_counters_and_redelivery
Create Date: 2026-12-07 19:00:00
"""
import logging

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from flowdesk.engine.models.ticket import case_keys_of, case_text_of

revision = '0021_ui_case_search'
down_revision = '0020_counters_and_redelivery'
branch_labels = None
depends_on = None

log = logging.getLogger(__name__)
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
INDEX = 'ix_tickets_case_text_trgm'
BATCH = 1000


def _backfill(bind) -> None:
    tickets = sa.table('tickets', sa.column('id', sa.String), sa.column('case_fields', JSON),
                       sa.column('case_text', sa.Text), sa.column('case_keys', JSON))
    last = ''
    while True:
        rows = bind.execute(sa.select(tickets.c.id, tickets.c.case_fields)
                            .where(tickets.c.id > last, tickets.c.case_fields.is_not(None))
                            .order_by(tickets.c.id).limit(BATCH)).all()
        if not rows:
            return
        for id_, fields in rows:
            bind.execute(tickets.update().where(tickets.c.id == id_).values(
                case_text=case_text_of(fields), case_keys=case_keys_of(fields)))
        last = rows[-1][0]


def upgrade() -> None:
    with op.batch_alter_table('tickets') as batch:
        batch.add_column(sa.Column('case_text', sa.Text(), nullable=True))
        batch.add_column(sa.Column('case_keys', JSON, nullable=True))
    bind = op.get_bind()
    _backfill(bind)
    if bind.dialect.name != 'postgresql':
        return
    schema = bind.execute(sa.text("SELECT extnamespace::regnamespace::text FROM pg_extension "
                                  "WHERE extname = 'pg_trgm'")).scalar()
    if schema is None:  # 0014 installed it where it could
        log.warning("pg_trgm is not available: searching case fields will scan instead of using an index")
        return
    op.execute(f'CREATE INDEX {INDEX} ON tickets USING gin (case_text {schema}.gin_trgm_ops)')


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(f'DROP INDEX IF EXISTS {INDEX}')
    with op.batch_alter_table('tickets') as batch:
        batch.drop_column('case_keys')
        batch.drop_column('case_text')
