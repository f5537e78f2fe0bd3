"""The Alembic migrations build exactly the schema the models describe, on both backends."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from flowdesk.engine import schema
from flowdesk.engine.models import Base


def test_migrations_match_models(runtime):
    with runtime.db.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection, opts={"compare_type": False}), Base.metadata)
    assert diff == []


def test_schema_is_current_after_upgrade(runtime):
    assert schema.is_current(runtime.db)
