"""Which database errors mean "retry later" (503 with Retry-After) and which are bugs (500)."""

import sqlite3

import pytest
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError

from flowdesk.engine.store import database


class DriverError(Exception):
    """A psycopg2 error as SQLAlchemy sees it: an SQLSTATE, or None when no server answered."""

    def __init__(self, pgcode):
        super().__init__("driver error")
        self.pgcode = pgcode


def _sqlite_error(name: str, code: int) -> sqlite3.OperationalError:
    error = sqlite3.OperationalError(name)
    error.sqlite_errorcode = code
    error.sqlite_errorname = name
    return error


@pytest.mark.parametrize("orig, expected", [
    (DriverError(None), database.UNREACHABLE),  # connection refused or dropped
    (DriverError("57P01"), database.UNREACHABLE),  # the server shuts down
    (DriverError("57P03"), database.UNREACHABLE),  # the server is starting
    (DriverError("53100"), database.STORAGE_FULL),
    (_sqlite_error("SQLITE_BUSY", 5), database.BUSY),
    (_sqlite_error("SQLITE_BUSY_SNAPSHOT", 517), database.BUSY),
    (_sqlite_error("SQLITE_FULL", 13), database.STORAGE_FULL),
    (_sqlite_error("SQLITE_READONLY", 8), database.STORAGE_READ_ONLY),
    (_sqlite_error("SQLITE_IOERR_WRITE", 778), database.STORAGE_READ_ONLY),
])
def test_outages_busy_and_full_storage_are_unavailable(orig, expected):
    assert database.unavailability(OperationalError("SELECT 1", {}, orig)) == expected


@pytest.mark.parametrize("error", [
    ProgrammingError("SELECT * FROM missing", {}, DriverError("42P01")),  # undefined table
    OperationalError("SELECT * FROM missing", {}, _sqlite_error("SQLITE_ERROR", 1)),  # no such table
    IntegrityError("INSERT", {}, DriverError("23505")),
])
def test_bugs_are_not_unavailable(error):
    assert database.unavailability(error) is None
