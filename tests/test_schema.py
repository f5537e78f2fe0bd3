"""The Alembic migrations build exactly the schema the models describe, on both backends."""

import uuid

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from flowdesk.engine.store import health, schema, tenancy
from flowdesk.engine.access import tenants
from flowdesk.engine.models import Base, Secret, User
from flowdesk.engine.models.instance import VARIABLE_INDEXES
from flowdesk.engine.models.ticket import TEXT_SEARCH_INDEXES
from flowdesk.engine.store.runtime import Runtime


def _described_by_models(obj, name, type_, reflected, compare_to) -> bool:
    return not (type_ == "index" and reflected and name in TEXT_SEARCH_INDEXES + VARIABLE_INDEXES)


def test_migrations_match_models(runtime):
    with runtime.db.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": False,
                                                               "include_object": _described_by_models})
        diff = compare_metadata(context, Base.metadata)
    assert diff == []


def test_text_search_indexes_exist_on_postgresql_only(runtime, backend):
    names = {index["name"] for index in sa.inspect(runtime.db).get_indexes("tickets")}
    assert (set(TEXT_SEARCH_INDEXES) <= names) == (backend == "postgres")


def test_schema_is_current_after_upgrade(runtime):
    assert schema.is_current(runtime.db)


@pytest.fixture
def empty_database(backend, tmp_path, request):
    """The URL of a database with no schema yet, on the selected backend."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.sqlite3'}"
        return
    base = request.getfixturevalue("postgres_url").split("?")[0]
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{name}"'))
    yield f"{base}?options=-csearch_path%3D{name}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP SCHEMA "{name}" CASCADE'))
    admin.dispose()


def test_upgrading_to_tenants_gives_existing_rows_the_default_tenant(empty_database):
    rt = Runtime(empty_database, master_key=b"test")
    before = ScriptDirectory.from_config(schema.alembic_config(empty_database)).get_revision("0013_tenants").down_revision
    schema.upgrade(rt.db, before)
    with rt.db.begin() as conn:
        conn.execute(sa.text("INSERT INTO users (id, name, role, created_at) "
                             "VALUES ('u1', 'sue', 'agent', CURRENT_TIMESTAMP)"))
        conn.execute(sa.text("INSERT INTO secrets (name, ciphertext, created_at, updated_at) "
                             "VALUES ('token', :value, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"), {"value": b"x"})
    rt.upgrade_schema()
    try:
        with rt.uow() as uow:  # the default tenant: a single-tenant installation carries on unchanged
            assert [(u.name, u.tenant_id) for u in uow.session.scalars(sa.select(User))] == [("sue", "default")]
            assert uow.session.get(Secret, tenancy.key(uow.session, name="token")).ciphertext == b"x"
        assert [t.id for t in tenants.list_tenants(rt)] == ["default"]
    finally:
        rt.close()


def test_upgrading_to_metric_counters_carries_on_from_the_attempts_kept(empty_database):
    rt = Runtime(empty_database, master_key=b"test")
    schema.upgrade(rt.db, "0016_security_scopes_and_keys")
    with rt.db.begin() as conn:
        conn.execute(sa.text("INSERT INTO jobs (id, kind, status, attempts, max_attempts, request, next_attempt_at, "
                             "created_at, updated_at) VALUES ('j1', 'webhook', 'succeeded', 3, 4, '{}', "
                             "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"))
        conn.execute(sa.text("INSERT INTO job_attempts (job_id, number, worker, outcome, started_at) VALUES "
                             "('j1', 1, 'host-a', 'failed', CURRENT_TIMESTAMP), "
                             "('j1', 2, 'host-a', 'failed', CURRENT_TIMESTAMP), "
                             "('j1', 3, NULL, 'succeeded', CURRENT_TIMESTAMP)"))
    rt.upgrade_schema()
    try:
        assert health.snapshot(rt).attempts == {("host-a", "failed"): 2, ("unknown", "succeeded"): 1}
    finally:
        rt.close()
