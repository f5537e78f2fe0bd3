"""Idempotency keys: the first response to a key is stored with the command's own commit."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, text

from ..models import IdempotencyRecord
from ..store import tenancy
from ..store.errors import InvalidInput
from ..store.unit_of_work import UnitOfWork
from .principal import Principal


@dataclass(frozen=True)
class Replay:
    """A stored response to send again instead of running the command twice."""

    status_code: int
    body: Any


@dataclass(frozen=True)
class IdempotentRequest:
    """``key`` from the client, ``fingerprint`` of the request, ``render`` result -> (status, body)."""

    key: str
    scope: str
    fingerprint: str
    render: Callable[[Any], tuple[int, Any]]


def _wait_for_same_key(uow: UnitOfWork, principal: Principal, key: str) -> None:
    """Let a concurrent request with the same key finish first (PostgreSQL; SQLite's write lock
    already runs one at a time), so the second one finds its answer and replays it instead of
    failing on the unique key at commit. The lock ends with the transaction."""
    session = uow.session
    if session.get_bind().dialect.name != "postgresql":
        return
    digest = hashlib.sha256(f"{tenancy.scope_of(session)}\x00{principal.user_id}\x00{key}".encode()).digest()
    session.execute(text("SELECT pg_advisory_xact_lock(:lock)"),
                    {"lock": int.from_bytes(digest[:8], "big", signed=True)})


def find(uow: UnitOfWork, principal: Principal, request: IdempotentRequest | None) -> Replay | None:
    """The stored response for this key, if the same request was already answered."""
    if request is None:
        return None
    _wait_for_same_key(uow, principal, request.key)
    record = uow.session.scalar(
        select(IdempotencyRecord).where(IdempotencyRecord.principal == principal.user_id,
                                        IdempotencyRecord.key == request.key)
    )
    if record is None:
        return None
    if record.scope != request.scope or record.fingerprint != request.fingerprint:
        raise InvalidInput(
            "this Idempotency-Key was already used for a different request",
            {"Idempotency-Key": ["reuse a key only to retry the identical request"]},
        )
    return Replay(record.status_code, record.body)


def remember(uow: UnitOfWork, principal: Principal, request: IdempotentRequest | None, result: Any) -> None:
    """Store the rendered response in the current transaction (a concurrent duplicate then conflicts)."""
    if request is None:
        return
    uow.session.flush()  # defaults (ids, timestamps) must exist before rendering
    status_code, body = request.render(result)
    uow.session.add(IdempotencyRecord(principal=principal.user_id, key=request.key, scope=request.scope,
                                      fingerprint=request.fingerprint, status_code=status_code, body=body))
