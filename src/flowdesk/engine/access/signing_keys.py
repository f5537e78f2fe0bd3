"""Per-tenant keys for signing action calls and minting callback tokens, with rotation.

Each tenant's keys are derived from the installation's master key, the tenant id and the
tenant's key generation (HKDF, :func:`flowdesk.engine.store.keys.derive`), one key per purpose:
a tenant's action receiver holds only its own tenant's signing key, so it can neither forge
calls to another tenant's receivers nor mint callback tokens (a separate key) for any job.

Rotating moves a tenant to the next generation; until the overlap ends the previous key is
still accepted for callbacks and action calls are signed with both keys (two ``v1`` entries),
so receivers can switch keys without missing a call.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from ..models import Tenant
from ..store.changes import IDENTITY
from ..store.errors import InvalidInput, NotFound
from ..store.keys import derive
from ..store.runtime import Runtime
from ..store.tenancy import SYSTEM

ACTION_SIGNING = "action-signing"
JOB_CALLBACK = "job-callback"
PURPOSES = (ACTION_SIGNING, JOB_CALLBACK)
MAX_OVERLAP_SECONDS = 30 * 24 * 3600


def tenant_key(master: bytes, purpose: str, tenant_id: str, generation: int) -> bytes:
    """The key of ``tenant_id`` for ``purpose`` in key generation ``generation``."""
    if purpose not in PURPOSES:
        raise ValueError(f"unknown key purpose {purpose!r}")
    # NUL never occurs in a purpose or a tenant id, so no two triples give the same info.
    return derive(master, f"flowdesk\x00{purpose}\x00{tenant_id}\x00{generation}")


def _tenant(session, tenant_id: str) -> Tenant:
    tenant = session.get(Tenant, tenant_id)
    if tenant is None:
        raise NotFound(f"tenant '{tenant_id}' does not exist")
    return tenant


def _keys(rt: Runtime, tenant_id: str, generation: int, previous_until: datetime | None, purpose: str,
          now: datetime) -> list[bytes]:
    keys = [tenant_key(rt.master_key, purpose, tenant_id, generation)]
    if generation and previous_until is not None and now < previous_until:
        keys.append(tenant_key(rt.master_key, purpose, tenant_id, generation - 1))
    return keys


def _generation(rt: Runtime, tenant_id: str) -> tuple[int, datetime | None]:
    with rt.uow(SYSTEM) as uow:
        tenant = _tenant(uow.session, tenant_id)
        return tenant.signing_generation, tenant.previous_key_until


def keys_for(rt: Runtime, tenant_id: str, purpose: str) -> list[bytes]:
    """The tenant's keys for ``purpose`` that are valid now: the current one first, then the
    previous one while the overlap of the last rotation lasts."""
    # Every action call and callback asks; a rotation writes the tenants table, which empties
    # this topic in every process (the read cache's change feed).
    generation, previous_until = rt.reads.get(IDENTITY, ("signing", tenant_id), lambda: _generation(rt, tenant_id))
    return _keys(rt, tenant_id, generation, previous_until, purpose, rt.clock())


def rotate(rt: Runtime, tenant_id: str, overlap_seconds: int) -> list[bytes]:
    """Move the tenant to new keys; the old ones stay valid ``overlap_seconds`` more.

    Returns the tenant's action-signing keys now valid (the new one first).
    """
    if not isinstance(overlap_seconds, int) or not 0 <= overlap_seconds <= MAX_OVERLAP_SECONDS:
        raise InvalidInput("invalid overlap", {"overlap": [f"0 to {MAX_OVERLAP_SECONDS} seconds"]})
    now = rt.clock()
    with rt.uow(SYSTEM) as uow:
        tenant = _tenant(uow.session, tenant_id)
        tenant.signing_generation += 1
        tenant.previous_key_until = now + timedelta(seconds=overlap_seconds) if overlap_seconds else None
        uow.commit()
        return _keys(rt, tenant.id, tenant.signing_generation, tenant.previous_key_until, ACTION_SIGNING, now)
