"""ticket text search: trigram indexes for the inbox's `q` on PostgreSQL

The inbox's text search is a case-insensitive substring match on the ticket's name and business
key (``lower(x) LIKE '%text%'``), which no B-tree can serve; pg_trgm's GIN indexes can. SQLite
(the embedded default, small installations) scans, as before. Where the extension is not
available the indexes are skipped and search still works, only slower.

Revision ID: 0014_ticket_text_search
Revises: 0013_tenants
Create Date: 2026-12-04 15:30:00
"""
import logging

from alembic import op
import sqlalchemy as sa

revision = '0014_ticket_text_search'
down_revision = '0013_tenants'
branch_labels = None
depends_on = None

log = logging.getLogger(__name__)
INDEXES = {'ix_tickets_name_trgm': 'name', 'ix_tickets_business_key_trgm': 'business_key'}


def _trgm_schema(bind) -> str | None:
    """The schema pg_trgm lives in, installing it when it is available but not yet installed."""
    found = bind.execute(sa.text("SELECT extnamespace::regnamespace::text FROM pg_extension "
                                 "WHERE extname = 'pg_trgm'")).scalar()
    if found:
        return found
    if not bind.execute(sa.text("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'")).scalar():
        return None
    # Into public where there is one: an extension belongs to the whole database, and one created
    # in this schema would vanish with it (and take other schemas' indexes along).
    has_public = bind.execute(sa.text("SELECT 1 FROM pg_namespace WHERE nspname = 'public'")).scalar()
    op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm' + (' SCHEMA public' if has_public else ''))
    return bind.execute(sa.text("SELECT extnamespace::regnamespace::text FROM pg_extension "
                                "WHERE extname = 'pg_trgm'")).scalar()


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != 'postgresql':
        return
    schema = _trgm_schema(bind)
    if schema is None:
        log.warning("pg_trgm is not available: ticket text search will scan instead of using an index")
        return
    # Qualified: the extension is installed once per database, maybe outside the search path.
    for name, column in INDEXES.items():
        op.execute(f'CREATE INDEX {name} ON tickets USING gin (lower({column}) {schema}.gin_trgm_ops)')


def downgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    for name in INDEXES:
        op.execute(f'DROP INDEX IF EXISTS {name}')
