"""A look before a claim: whether a background round has anything to take at all.

The scheduler's and dispatcher's rounds claim rows (``FOR UPDATE SKIP LOCKED``) in a write
transaction. On SQLite that transaction begins with the write lock (``BEGIN IMMEDIATE``), so an
idle round (several claims, four rounds a second) queued for the lock behind every request and
held it for nothing. Most rounds find nothing due; finding that out takes no lock.
"""

from __future__ import annotations

from sqlalchemy import Select, select

from . import database
from .runtime import Runtime
from .tenancy import SYSTEM


def nothing_to_claim(rt: Runtime, query: Select) -> bool:
    """True when ``query`` (the claim's SELECT) matches no row now; looked at without the write lock.

    Always False on PostgreSQL: there the claim itself takes no lock when nothing matches.
    """
    if rt.db.dialect.name != "sqlite":
        return False
    with database.reading(), rt.uow(SYSTEM) as uow:
        return not uow.session.scalar(select(query.exists()))
