"""Benchmark 3: the inbox at scale, through the engine's ``list_tickets``.

``flowdesk.engine.work.tickets.list_tickets(rt, principal, TicketFilter)`` (created order, no count),
or, where the engine has it, ``flowdesk.engine.work.inbox.list_tickets(rt, principal, InboxQuery,
count=...)`` with ``sort="due"`` and its own count: the benchmark uses what the installed
flowdesk offers and says which.

Loads N tickets (default 100,000; ``--tickets 1000000`` for the full size) with bulk SQL into
a private schema: one minimal definition_versions row, one instance per ticket, one candidate
group per ticket. 10% of the tickets are active (70% of those open, 30% claimed by an agent of
their group), spread over 50 groups and 1,000 agents (20 per group); the rest are completed.
Then it times, for random agents (principal role ``agent``, member of one group):

- the group inbox: ``status=open, candidate_group=<my group>``, page of 50 (due-date order
  where supported, else created order), then the next page by cursor;
- ``assignee=me`` (all statuses) and ``assignee=me, status=claimed``;
- counts per filter: the engine's count where it has one, else the same filters and
  visibility rule as ``list_tickets`` under ``SELECT count(*)``, written here with the models.

Each case is also run under EXPLAIN ANALYZE for 50 agents: the server-side execution time of
its statements (summed per call) moves much less with the machine's load than the wall clock.
The load ends with VACUUM ANALYZE, the state autovacuum keeps a table in steady use in.

    python bench/inbox.py                       # 100,000 tickets, ~1 minute
    python bench/inbox.py --tickets 1000000     # the full size (loading takes a few minutes)
    python bench/inbox.py --explain             # also print the plans of the page queries
"""

from __future__ import annotations

import argparse
import random
import sys
import time

import common
from common import banner, pct

GROUPS = 50
AGENTS = 1000


def load(rt, tickets: int, active_pct: int) -> float:
    """Bulk insert with generate_series; returns seconds taken."""
    import sqlalchemy as sa

    t = time.perf_counter()
    def h(salt: str) -> str:  # a stable pseudo-random non-negative int per row and salt
        return f"(hashtext('{salt}' || g)::bigint & 2147483647)"

    active = f"({h('s')} % 100 < {active_pct})"
    claimed = f"({h('c')} % 10 < 3)"
    group = f"({h('g')} % {GROUPS})"
    # agent_<k> is in group k % 50: an agent of the ticket's group.
    agent = f"'agent_' || ({group} + {GROUPS} * ({h('a')} % {AGENTS // GROUPS}))"
    created = f"(now() - make_interval(secs => ({tickets} - g) * 30))"
    ticket_id = "md5('t' || g)::uuid::text"
    instance_id = "md5('i' || g)::uuid::text"
    statements = [
        """INSERT INTO definition_versions (id, process_key, version, name, filename, content_hash, source, spec,
                                            element_ids, created_at)
           VALUES ('00000000-0000-0000-0000-000000000001', 'inbox_bench', 1, 'Inbox bench', 'inbox.bpmn',
                   repeat('0', 64), '\\x00'::bytea, '{}'::json, '[]', now())""",
        f"""INSERT INTO instances (id, definition_version_id, process_key, process_version, business_key, status,
                                  state, serializer_version, variables, version, created_at, updated_at)
            SELECT {instance_id}, '00000000-0000-0000-0000-000000000001', 'inbox_bench', 1, 'B-' || g,
                   CASE WHEN {active} THEN 'running' ELSE 'completed' END, '{{}}'::json, 'bench', '{{}}', 1,
                   {created}, {created}
            FROM generate_series(1, {tickets}) AS g""",
        f"""INSERT INTO tickets (id, instance_id, task_id, element_id, name, process_key, business_key, status,
                                assignee, priority, due_at, data, version, created_at, claimed_at, completed_at,
                                completed_by)
            SELECT {ticket_id}, {instance_id}, md5('k' || g)::uuid::text, 'review', 'Review the request',
                   'inbox_bench', 'B-' || g,
                   CASE WHEN NOT {active} THEN 'completed' WHEN {claimed} THEN 'claimed' ELSE 'open' END,
                   CASE WHEN {active} AND NOT {claimed} THEN NULL ELSE {agent} END,
                   g % 5, {created} + make_interval(days => 1 + g % 10), '{{}}', 1, {created},
                   CASE WHEN {active} AND NOT {claimed} THEN NULL ELSE {created} + interval '1 hour' END,
                   CASE WHEN {active} THEN NULL ELSE {created} + interval '2 hours' END,
                   CASE WHEN {active} THEN NULL ELSE {agent} END
            FROM generate_series(1, {tickets}) AS g""",
        f"""INSERT INTO ticket_candidates (ticket_id, kind, name)
            SELECT {ticket_id}, 'group', 'group_' || {group} FROM generate_series(1, {tickets}) AS g""",
        # What autovacuum does to a table in steady use: statistics and the visibility map.
        "VACUUM ANALYZE definition_versions", "VACUUM ANALYZE instances", "VACUUM ANALYZE tickets",
        "VACUUM ANALYZE ticket_candidates",
    ]
    if "status" in {c["name"] for c in sa.inspect(rt.db).get_columns("ticket_candidates")}:
        # Candidates carry their ticket's status and sort keys (flowdesk since migration 0011_inbox).
        statements[3] = f"""INSERT INTO ticket_candidates (ticket_id, kind, name, status, due_at, priority, created_at)
            SELECT {ticket_id}, 'group', 'group_' || {group},
                   CASE WHEN NOT {active} THEN 'completed' WHEN {claimed} THEN 'claimed' ELSE 'open' END,
                   {created} + make_interval(days => 1 + g % 10), g % 5, {created}
            FROM generate_series(1, {tickets}) AS g"""
    with rt.db.begin() as conn:
        for sql in statements[:-4]:
            conn.execute(sa.text(sql))
    with rt.db.connect() as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        for sql in statements[-4:]:
            conn.execute(sa.text(sql))
    return time.perf_counter() - t


class Inbox:
    """The engine's inbox listing, whichever form the installed flowdesk has."""

    def __init__(self, rt):
        self.rt = rt
        try:
            from flowdesk.engine.work.inbox import InboxQuery, list_tickets

            self.name, self.sort, self.counts = "flowdesk.engine.work.inbox.list_tickets", "due", "engine"
            self._query, self._list = InboxQuery, list_tickets
        except ImportError:
            from flowdesk.engine.work.tickets import TicketFilter, list_tickets

            self.name, self.sort, self.counts = "flowdesk.engine.work.tickets.list_tickets", "created", "bench SQL"
            self._query, self._list = TicketFilter, list_tickets

    def page(self, principal, after=None, **filters):
        if self.sort == "due":
            return self._list(self.rt, principal, self._query(sort="due", **filters), after=after, limit=50)
        return self._list(self.rt, principal, self._query(**filters), after=after, limit=50)

    def count(self, principal, **filters) -> int:
        if self.counts == "engine":
            # The engine counts alongside a page (limit 1: the count is what is timed here).
            return self._list(self.rt, principal, self._query(**filters), limit=1, count=True).total
        with self.rt.db.connect() as conn:
            if filters.get("assignee") == "me":
                filters["assignee"] = principal.name
            return conn.execute(count_query(principal, **filters)).scalar()


def agent_principal(k: int):
    from flowdesk.engine.access.principal import Principal

    return Principal(f"user-{k}", f"agent_{k}", "agent", frozenset({f"group_{k % GROUPS}"}))


def count_query(principal, status=None, assignee=None, candidate_group=None):
    """``SELECT count(*)`` with list_tickets' filters and visibility rule."""
    from sqlalchemy import exists, func, or_, select

    from flowdesk.engine.models import Ticket, TicketCandidate

    candidate = exists().where(
        TicketCandidate.ticket_id == Ticket.id,
        or_((TicketCandidate.kind == "user") & (TicketCandidate.name == principal.name),
            (TicketCandidate.kind == "group") & TicketCandidate.name.in_(sorted(principal.groups) or [""])))
    query = select(func.count()).select_from(Ticket).where(or_(Ticket.assignee == principal.name, candidate))
    if status:
        query = query.where(Ticket.status == status)
    if assignee:
        query = query.where(Ticket.assignee == assignee)
    if candidate_group:
        query = query.where(exists().where(TicketCandidate.ticket_id == Ticket.id, TicketCandidate.kind == "group",
                                           TicketCandidate.name == candidate_group))
    return query


def capture_sql(rt, fn):
    """The statements ``fn()`` sends (with their parameters)."""
    from sqlalchemy import event

    seen = []

    def before(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement, parameters))

    event.listen(rt.db, "before_cursor_execute", before)
    try:
        fn()
    finally:
        event.remove(rt.db, "before_cursor_execute", before)
    return seen


def explain(rt, statement, parameters) -> tuple[str, float]:
    """The plan of one statement and its server-side execution time in ms (planning excluded)."""
    with rt.db.connect() as conn:
        cursor = conn.connection.cursor()
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
        lines = [row[0] for row in cursor.fetchall()]
    ms = sum(float(line.split(":")[1].split()[0]) for line in lines if line.startswith("Execution Time"))
    return "\n".join(("      " + line)[:220] for line in lines), ms


def execution_ms(rt, fn) -> float:
    """What the database spends executing the statements of one call (EXPLAIN ANALYZE of each)."""
    return sum(explain(rt, statement, parameters)[1] for statement, parameters in capture_sql(rt, fn))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--active-percent", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=300, help="timed calls per query")
    parser.add_argument("--explain", action="store_true", help="print EXPLAIN ANALYZE of the page queries")
    args = parser.parse_args()

    from sqlalchemy import text

    print(f"benchmark 3: inbox at scale -- {common.machine()}")
    with common.pg_schema() as schema:
        rt = common.runtime_for(schema)
        inbox = Inbox(rt)
        seconds = load(rt, args.tickets, args.active_percent)
        with rt.db.connect() as conn:
            counts = dict(conn.execute(text("SELECT status, count(*) FROM tickets GROUP BY status")).all())
            size = conn.execute(text("SELECT pg_size_pretty(pg_total_relation_size('tickets')), "
                                     "pg_size_pretty(pg_total_relation_size('ticket_candidates'))")).one()
        print(f"   loaded {args.tickets:,} tickets in {seconds:.1f} s: {counts}; tickets table+indexes {size[0]}, "
              f"ticket_candidates {size[1]}; schema {schema.name}")
        print(f"   listing through {inbox.name}, {inbox.sort} order; counts: {inbox.counts}")

        rng = random.Random(42)
        agents = [rng.randrange(AGENTS) for _ in range(args.repeat)]

        def group(k):
            return f"group_{k % GROUPS}"

        def first_page(k):
            return inbox.page(agent_principal(k), status="open", candidate_group=group(k))

        cursors = {k: first_page(k).next_cursor for k in set(agents)}  # also warms the caches
        with_next = [k for k in agents if cursors[k]]
        cases = [
            ("inbox page 1 (open, my group, 50)", agents, first_page),
            ("inbox page 2 (by cursor)", with_next,
             lambda k: inbox.page(agent_principal(k), after=cursors[k], status="open", candidate_group=group(k))),
            ("assignee=me (all statuses, 50)", agents, lambda k: inbox.page(agent_principal(k), assignee="me")),
            ("assignee=me, status=claimed", agents,
             lambda k: inbox.page(agent_principal(k), assignee="me", status="claimed")),
            ("count: open in my group", agents,
             lambda k: inbox.count(agent_principal(k), status="open", candidate_group=group(k))),
            ("count: assignee=me, claimed", agents,
             lambda k: inbox.count(agent_principal(k), status="claimed", assignee="me")),
            ("count: all visible open", agents, lambda k: inbox.count(agent_principal(k), status="open")),
            # Text search: a business key fragment ("B-4711" also finds B-47110..., B-471100...).
            ("q=<business key part> (open, 50)", agents,
             lambda k: inbox.page(agent_principal(k), status="open", q=f"B-{1000 + k * 7919 % 9000}")),
        ]
        for _, who, fn in cases:  # warm the caches (PostgreSQL buffers, SQLAlchemy statement cache)
            for k in who[:20]:
                fn(k)
        k0 = agents[0]
        sample = first_page(k0)
        print(f"   sample: agent_{k0} sees {len(sample.items)} tickets on page 1 of {group(k0)}'s open inbox "
              f"({inbox.count(agent_principal(k0), status='open', candidate_group=group(k0))} in all); "
              f"{len(with_next)}/{len(agents)} sampled inboxes have a page 2")

        banner(f"{args.repeat} calls each, random agents (times include the session and the candidates' selectin load)")
        worst = 0.0
        for label, who, fn in cases:
            if not who:
                print(f"   {label:<36} (none)")
                continue
            times = []
            for k in who:
                t = time.perf_counter()
                fn(k)
                times.append((time.perf_counter() - t) * 1000)
            worst = max(worst, pct(times, 95))
            print(f"   {label:<36} p50={pct(times, 50):7.2f} ms  p95={pct(times, 95):7.2f} ms  max={max(times):7.2f} ms")
        print(f"   worst p95 {worst:.2f} ms   goal p95 < 20 ms: {'met' if worst < 20 else 'MISSED'}")

        banner("server-side execution time (EXPLAIN ANALYZE of each statement of a call, summed), 50 agents")
        for label, who, fn in cases:
            times = [execution_ms(rt, lambda: fn(k)) for k in who[:50]]
            print(f"   {label:<36} p50={pct(times, 50):7.2f} ms  p95={pct(times, 95):7.2f} ms")

        if args.explain:
            for label, who, fn in cases:
                if not who:
                    continue
                banner(f"EXPLAIN ANALYZE: {label}")
                for statement, parameters in capture_sql(rt, lambda: fn(who[0])):
                    print("   " + " ".join(statement.split())[:400])
                    print(explain(rt, statement, parameters)[0])
        rt.close()


if __name__ == "__main__":
    sys.exit(main())
