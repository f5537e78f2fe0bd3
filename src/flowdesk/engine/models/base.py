"""Declarative base and the column types every model shares."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, DateTime, MetaData, event, inspect
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Session, relationship
from sqlalchemy.types import TypeDecorator

from ...utc import as_utc, utc_now

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
        value = as_utc(value)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return as_utc(value)


def new_id() -> str:
    return str(uuid.uuid4())


utcnow = utc_now  # the model defaults' name for it


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


@event.listens_for(Session, "before_flush")
def _stamp_new_rows(session: Session, flush_context, instances) -> None:
    """Columns defaulting to ``utcnow`` get the runtime's clock when a row is added without them:
    one clock (``rt.clock``) for model defaults and the scheduler, not the wall clock for some."""
    now = None
    for row in session.new:
        for name in _clock_columns(type(row)):
            if getattr(row, name) is None:
                now = now or clock_of(session)
                setattr(row, name, now)


_CLOCK_COLUMNS: dict[type, tuple[str, ...]] = {}


def _clock_columns(model: type) -> tuple[str, ...]:
    names = _CLOCK_COLUMNS.get(model)
    if names is None:
        names = _CLOCK_COLUMNS[model] = tuple(
            attribute.key for attribute in inspect(model).column_attrs
            if any(column.default is not None and _unwrapped(getattr(column.default, "arg", None)) is utcnow
                   for column in attribute.columns))
    return names


def _unwrapped(default):
    # SQLAlchemy wraps a default callable that takes no context in one that does.
    return getattr(default, "__wrapped__", default)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
