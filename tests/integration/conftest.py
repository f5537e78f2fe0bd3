"""Integration tests run on real PostgreSQL only: locking and SKIP LOCKED differ on SQLite."""

import pytest


@pytest.fixture
def runtime(pg_runtime):
    return pg_runtime
