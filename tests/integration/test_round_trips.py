"""SQL statements per command on PostgreSQL: a budget that fails when a change adds round trips.

Speed is measured by the benchmarks under bench/; these budgets only keep what they won. Each
statement is a round trip plus the ORM's work, and they were most of a command's time.
"""

import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from flowdesk.workers import context
from flowdesk.workers.change_feed import RedisChangeFeed

DATA = Path(__file__).parent.parent / "data"

# Measured on the commit that set them: raise one only with a reason in the commit message.
# The chain: start -> service task (reserve) -> user task (pack) -> service task (notify) -> end.
# Every command: +1 since issue 24, the elements the step completed (completed_activities, for
# GET /history/activities), one multi-row INSERT.
START_BUDGET = 8       # authenticate, latest version, subscriptions; one flush (audit, instance, job)
JOB_BUDGET = 13        # claim (1 on PostgreSQL); the tenant's signing keys; lock instance and job (1), close the attempt, subscriptions; one flush
                       # (audit, instance, job, and the pack ticket: ticket, timeline, candidates);
                       # +1 since issue 21: the job counters' upsert (the request-stage lookup only for requestable processes)
COMPLETE_BUDGET = 11   # authenticate, lock instance, ticket with candidates, subscriptions; one flush
# With Redis a process keeps keys, subscriptions and latest versions (engine/store/read_cache.py).
KEPT_START_BUDGET = 4     # one flush
KEPT_JOB_BUDGET = 11      # as above without the subscriptions
KEPT_COMPLETE_BUDGET = 9  # lock instance, ticket with candidates; one flush


@pytest.fixture
def statements(worker_runtime):
    """A list that collects the SQL of every statement the runtime sends."""
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        seen.append(statement)

    sa.event.listen(worker_runtime.db, "before_cursor_execute", record)
    yield seen
    sa.event.remove(worker_runtime.db, "before_cursor_execute", record)


@pytest.fixture
def chain(client, admin, action_server, worker_runtime):
    """service_chain.bpmn deployed against the local action server, which answers every call."""
    action_server.routes["/reserve"] = lambda r: (200, {"reservation_id": "R-1"}, {})
    action_server.routes["/notify"] = lambda r: (200, {"sent": True}, {})
    xml = (DATA / "service_chain.bpmn").read_bytes().replace(b"{{port}}", str(action_server.port).encode())
    assert client.post("/api/v1/definitions", data=xml, content_type="application/xml",
                       headers=admin).status_code == 201


@pytest.fixture
def kept(worker_runtime, redis_url):
    """The runtime hears the change feed, so it keeps what it may, as every process with Redis does."""
    worker_runtime.attach_change_feed(RedisChangeFeed(redis_url))
    deadline = time.monotonic() + 5
    while not worker_runtime.reads.enabled and time.monotonic() < deadline:
        time.sleep(0.01)
    assert worker_runtime.reads.enabled


def _start(client, admin) -> dict:
    response = client.post("/api/v1/processes/service_chain/instances",
                           json={"variables": {"sku": "A", "quantity": 1}}, headers=admin)
    assert response.status_code == 201
    return response.get_json()


def _counted(statements: list, command) -> tuple[object, int]:
    statements.clear()
    result = command()
    return result, len(statements)


def _job_count(client, admin, statements) -> int:
    """The statements of a job in a process that has run one of this version's jobs before
    (its per-version caches warm, as in a worker that has been up for a while)."""
    assert context.run_job(_start(client, admin)["jobs"][0]["id"]) == "succeeded"
    started = _start(client, admin)
    status, count = _counted(statements, lambda: context.run_job(started["jobs"][0]["id"]))
    assert status == "succeeded"
    return count


def _completion_count(client, admin, statements) -> int:
    started = _start(client, admin)
    context.run_job(started["jobs"][0]["id"])
    [ticket] = client.get(f"/api/v1/instances/{started['id']}", headers=admin).get_json()["open_tickets"]
    response, count = _counted(statements, lambda: client.post(
        f"/api/v1/tickets/{ticket['id']}/complete", json={"data": {}}, headers=admin))
    assert response.status_code == 200
    return count


def test_start_stays_within_its_statement_budget(client, admin, chain, statements):
    _, count = _counted(statements, lambda: _start(client, admin))
    assert count <= START_BUDGET, "\n".join(statements)


def test_a_job_stays_within_its_statement_budget(client, admin, chain, statements):
    assert _job_count(client, admin, statements) <= JOB_BUDGET, "\n".join(statements)


def test_completing_a_ticket_stays_within_its_statement_budget(client, admin, chain, statements):
    assert _completion_count(client, admin, statements) <= COMPLETE_BUDGET, "\n".join(statements)


def test_a_start_reads_nothing_the_process_keeps(client, admin, chain, kept, statements):
    _start(client, admin)  # reads and keeps the key, the latest version and the subscriptions
    _, count = _counted(statements, lambda: _start(client, admin))
    assert count <= KEPT_START_BUDGET, "\n".join(statements)


def test_a_job_reads_nothing_the_process_keeps(client, admin, chain, kept, statements):
    context.run_job(_start(client, admin)["jobs"][0]["id"])  # keeps what the job reads
    assert _job_count(client, admin, statements) <= KEPT_JOB_BUDGET, "\n".join(statements)


def test_completing_a_ticket_reads_nothing_the_process_keeps(client, admin, chain, kept, statements):
    assert _completion_count(client, admin, statements) <= KEPT_COMPLETE_BUDGET, "\n".join(statements)
