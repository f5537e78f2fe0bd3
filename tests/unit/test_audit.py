"""Audit events are written with the command's commit, in order, for the tenant in scope, or not at all."""

import pytest
import sqlalchemy as sa

from flowdesk.engine.store import audit, tenancy
from flowdesk.engine.access import tenants
from flowdesk.engine.models import AuditEvent


def _events(runtime):
    with runtime.uow(tenancy.SYSTEM) as uow:
        return [(e.action, e.tenant_id, e.detail) for e in uow.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id))]


def test_events_are_written_with_the_commit_in_the_order_recorded(runtime):
    with runtime.uow() as uow:
        audit.record(uow.session, "first", "ann", n=1)
        audit.record(uow.session, "second", None, n=2)
        assert _events(runtime) == []  # not before the commit
        uow.commit()
    assert _events(runtime) == [("first", "default", {"n": 1}), ("second", "default", {"n": 2})]


def test_a_command_that_does_not_commit_leaves_no_event(runtime):
    with runtime.uow() as uow:
        audit.record(uow.session, "never", None)
    assert _events(runtime) == []


def test_events_recorded_before_a_rollback_are_dropped(runtime):
    with runtime.uow() as uow:
        audit.record(uow.session, "rolled back", None)
        uow.session.rollback()
        audit.record(uow.session, "kept", None)
        uow.commit()
    assert [action for action, _, _ in _events(runtime)] == ["kept"]


def test_an_event_belongs_to_the_tenant_in_scope_when_recorded(runtime):
    tenants.create_tenant(runtime, "acme")
    with runtime.uow(tenancy.SYSTEM) as uow:
        uow.scope_to("acme")
        audit.record(uow.session, "for acme", None)
        uow.scope_to(tenancy.SYSTEM)
        uow.commit()
    assert [(action, tenant) for action, tenant, _ in _events(runtime)][-1] == ("for acme", "acme")


def test_an_event_outside_any_tenant_is_refused(runtime):
    with runtime.uow(tenancy.SYSTEM) as uow, pytest.raises(RuntimeError, match="outside any tenant"):
        audit.record(uow.session, "nobody's", None)
