"""The data layer keeps tenants apart: reads, bulk updates and deletes are scoped, new rows stamped."""

import pytest
import sqlalchemy as sa

from flowdesk.engine.store import tenancy
from flowdesk.engine.access import tenants
from flowdesk.engine.models import Secret


@pytest.fixture
def two_secrets(runtime):
    """A secret named ``token`` in the default tenant and in ``acme``."""
    tenants.create_tenant(runtime, "acme")
    for tenant in ("default", "acme"):
        with runtime.uow(tenant) as uow:
            uow.session.add(Secret(name="token", ciphertext=tenant.encode()))
            uow.commit()


def _all(runtime):
    with runtime.uow(tenancy.SYSTEM) as uow:
        return sorted((s.tenant_id, s.ciphertext, s.updated_by) for s in uow.session.scalars(sa.select(Secret)))


def test_new_rows_get_the_unit_of_works_tenant(runtime, two_secrets):
    assert [row[:2] for row in _all(runtime)] == [("acme", b"acme"), ("default", b"default")]


def test_selects_see_only_the_current_tenant(runtime, two_secrets):
    with tenancy.acting_for("acme"), runtime.uow() as uow:
        assert [s.ciphertext for s in uow.session.scalars(sa.select(Secret))] == [b"acme"]
        assert uow.session.get(Secret, tenancy.key(uow.session, name="token")).ciphertext == b"acme"


def test_bulk_update_and_delete_stay_in_the_tenant(runtime, two_secrets):
    with runtime.uow("acme") as uow:
        uow.session.execute(sa.update(Secret).values(updated_by="acme-admin"))
        uow.commit()
    assert _all(runtime) == [("acme", b"acme", "acme-admin"), ("default", b"default", None)]
    with runtime.uow("acme") as uow:
        uow.session.execute(sa.delete(Secret))
        uow.commit()
    assert _all(runtime) == [("default", b"default", None)]


def test_core_table_statements_are_not_scoped(runtime, two_secrets):
    # Only ORM statements are: a Core statement must key its rows by id or name the tenant.
    with runtime.uow("acme") as uow:
        names = uow.session.execute(sa.select(Secret.__table__.c.tenant_id)).scalars().all()
    assert sorted(names) == ["acme", "default"]


def test_a_row_of_another_tenant_is_refused(runtime, two_secrets):
    with runtime.uow("acme") as uow:
        with pytest.raises(RuntimeError, match="a Secret row of tenant 'default' was written in the scope of tenant 'acme'"):
            uow.session.add(Secret(name="other", ciphertext=b"x", tenant_id="default"))


def test_a_new_row_outside_any_tenant_is_refused(runtime):
    with runtime.uow(tenancy.SYSTEM) as uow:
        uow.session.add(Secret(name="orphan", ciphertext=b"x"))
        with pytest.raises(RuntimeError, match="a new Secret row was written outside any tenant's scope"):
            uow.session.flush()


def test_scope_to_stamps_rows_added_before_it_with_the_earlier_tenant(runtime, two_secrets):
    with runtime.uow(tenancy.SYSTEM) as uow:
        uow.scope_to("acme")
        uow.session.add(Secret(name="first", ciphertext=b"1"))
        uow.scope_to("default")
        uow.session.add(Secret(name="second", ciphertext=b"2"))
        uow.commit()
    with runtime.uow(tenancy.SYSTEM) as uow:
        owners = dict(uow.session.execute(sa.select(Secret.name, Secret.tenant_id).where(
            Secret.name.in_(["first", "second"]))).all())
    assert owners == {"first": "acme", "second": "default"}


def test_a_bulk_update_by_primary_key_stays_in_the_tenant(runtime, two_secrets):
    # An executemany: every set of parameters carries the tenant, so the other tenant's row
    # of the same name is not touched.
    with runtime.uow("acme") as uow:
        uow.session.execute(sa.update(Secret), [{"tenant_id": "acme", "name": "token", "updated_by": "acme-admin"}])
        uow.commit()
    assert _all(runtime) == [("acme", b"acme", "acme-admin"), ("default", b"default", None)]


def test_a_row_added_across_tenants_takes_the_tenant_in_scope_at_the_flush(runtime, two_secrets):
    with runtime.uow(tenancy.SYSTEM) as uow:
        uow.session.add(Secret(name="claimed", ciphertext=b"c"))
        uow.scope_to("acme")
        uow.commit()
    with runtime.uow(tenancy.SYSTEM) as uow:
        owner = uow.session.scalar(sa.select(Secret.tenant_id).where(Secret.name == "claimed"))
    assert owner == "acme"
