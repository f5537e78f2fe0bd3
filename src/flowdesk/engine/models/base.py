"""Declarative base and the column types every model shares."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone

from sqlalchemy import JSON, DateTime, MetaData
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, relationship
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# JSONB on PostgreSQL (indexable, compact), plain JSON text on SQLite.
JSONType = JSON().with_variant(JSONB(), "postgresql")

# Workflow state and specs must come back with their keys in the order they were written
# (SpiffWorkflow restores tasks in dict order and a child needs its parent first); JSONB
# reorders keys, so these stay in PostgreSQL's order-preserving ``json``.
OrderedJSON = JSON()


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every backend (SQLite returns naive ones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


def new_id() -> str:
    return str(uuid.uuid4())


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def written_after(target: str):
    """A many-to-one link that is never read or set, only there to order a flush.

    The unit of work orders INSERTs by relationships, not by foreign keys: with this link, rows
    of ``target`` added in the same flush are written before the rows that reference them, so
    commands need no flush in between and rows of one table go out in one multi-row INSERT.
    """
    return relationship(target, lazy="raise")


def clock_of(session) -> datetime:
    """The runtime's "now" for rows written in ``session`` (the unit of work puts its clock there)."""
    return session.info.get("clock", utcnow)()


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
