"""Benchmark 4: does a step get slower as an instance's history grows? And how big is the state?

A loop process (bench/history_loop.bpmn: user task -> exclusive gateway -> back to the task)
is stepped N times (default 1,000). A step's cost is the median of the 5 steps up to a mark
(10, 100, 250, 500, 1000...), each step timed

(a) through ``Execution``: restore from JSON + complete the task + dump + JSON text;
(b) through the engine: ``flowdesk.engine.work.tickets.complete`` on PostgreSQL, the command the
    REST endpoint runs (lock, restore, complete, save, ticket projection, audit).

Every step costs O(history), so stepping 1,000 times with save/restore on each is quadratic
(many minutes): between the marks the instance is stepped in memory, and the engine's instance
gets the same state through the engine's own save before each window (``--every-step`` saves and
restores on every step of (a) instead).

First it checks SpiffWorkflow's task-tree depth limit (an unpruned loop broke after ~333 turns;
flowdesk now prunes completed tasks, so none is expected) and, if it is hit, lifts it in this
process to measure beyond. Last, the serialized state size of the
reference approval process at each of its wait states.

    python bench/history_growth.py                # ~1-2 minutes
    python bench/history_growth.py --steps 2000
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time

import common
from common import banner

MARKS = (10, 100, 250, 500, 1000, 2000, 5000, 10000)
WINDOW = 5  # steps timed at each mark; the median is the mark's cost


def lift_depth_limit() -> None:
    """Work around SpiffWorkflow 3.2's task iterators, which stop 1,000 levels down the task tree.

    A loop adds 3 levels per turn (join, task, gateway), so after ~333 turns the waiting task
    is invisible: the workflow reports itself completed and flowdesk marks the instance failed.
    Raising the default depth in this process lets the benchmark measure step 1,000 at all.
    """
    from SpiffWorkflow.bpmn.util.task import BpmnTaskIterator
    from SpiffWorkflow.util.task import TaskIterator

    for cls in (TaskIterator, BpmnTaskIterator):
        defaults = list(cls.__init__.__defaults__)
        defaults[1] = 10 ** 9  # (end_at_spec, max_depth, ...)
        cls.__init__.__defaults__ = tuple(defaults)


def _spec(name: str, process_id: str):
    from flowdesk.bpmn import parse_models
    from flowdesk.bpmn.model import ProcessSpec

    parsed = {p.process_id: p for p in parse_models([(name, common.bpmn_bytes(name, 9))])}[process_id]
    return ProcessSpec.from_dict(parsed.process_id, parsed.spec_dict)


def step_in_memory(execution, again: bool = True) -> None:
    [task] = execution.user_tasks()
    execution.complete_user_task(task.task_id, {"again": again})


def depth_limit_check(limit: int = 400) -> int | None:
    """The step at which the loop, never told to stop, ends anyway (None: it did not)."""
    from flowdesk.bpmn import Execution

    execution = Execution.start(_spec("history_loop.bpmn", "history_loop"), {})
    for i in range(1, limit + 1):
        if not execution.user_tasks():
            return i - 1 if execution.is_completed else None
        step_in_memory(execution)
    return None


def bare_windows(marks: list[int], every_step: bool) -> tuple[dict, dict]:
    """Cost (ms, median of WINDOW steps) and state size at each mark, plus the snapshots for the engine.

    Between the timed windows the instance is stepped in memory (no save/restore) unless
    ``every_step``; in the windows each step is restore + complete + dump + JSON text.
    """
    from flowdesk.bpmn import Execution

    spec = _spec("history_loop.bpmn", "history_loop")
    execution = Execution.start(spec, {})
    done, results, snapshots = 0, {}, {}
    for mark in marks:
        first = max(1, mark - WINDOW + 1)
        while done < first - 1:
            if every_step:
                execution = Execution.restore(spec, json.loads(json.dumps(execution.dump())))
            step_in_memory(execution)
            done += 1
        snapshots[mark] = json.loads(json.dumps(execution.dump()))  # state before the window
        state = snapshots[mark]
        times = []
        while done < mark:
            t = time.perf_counter()
            execution = Execution.restore(spec, state)
            step_in_memory(execution)
            text = json.dumps(execution.dump())
            state = json.loads(text)
            times.append(time.perf_counter() - t)
            done += 1
        results[mark] = (statistics.median(times) * 1000, len(text.encode()))
    return results, snapshots


def _looping_instance(schema):
    """A runtime on ``schema`` with the loop deployed and one instance started: (runtime, agent, id)."""
    from flowdesk.engine.process import definitions, instances
    from flowdesk.engine.access import identity
    from flowdesk.engine.access.principal import Principal

    rt = common.runtime_for(schema)
    admin = Principal("bench", "bench", "admin", frozenset())
    definitions.deploy(rt, admin, [("history_loop.bpmn", common.bpmn_bytes("history_loop.bpmn"))])
    user, _ = identity.create_user(rt, "looper", "agent", ["loopers"])
    return rt, identity.principal_of(user), instances.start_instance(rt, admin, "history_loop", {}).id


def engine_windows(snapshots: dict) -> dict:
    """The same windows through ``tickets.complete`` on PostgreSQL, the instance's state set to
    each snapshot through the engine's own save (lock, restore, save, commit) before the window."""
    import sqlalchemy as sa

    from flowdesk.bpmn import Execution
    from flowdesk.engine.process import definitions, instances
    from flowdesk.engine.work import tickets

    results = {}
    with common.pg_schema() as schema:
        rt, agent, instance_id = _looping_instance(schema)

        def set_state(state: dict) -> None:
            with rt.uow() as uow:
                instance = instances.lock_instance(uow.session, instance_id)
                execution = Execution.restore(
                    definitions.spec_with_calls(rt, uow.session, instance.definition_version_id,
                                                instance.process_key, instance.called_versions), state, clock=rt.clock)
                instances.save(rt, uow, instance, execution)
                uow.commit()

        def open_ticket() -> str:
            with rt.db.connect() as conn:
                return conn.execute(sa.text("SELECT id FROM tickets WHERE instance_id = :i AND status = 'open'"),
                                    {"i": instance_id}).scalar()

        def instance_row():
            with rt.db.connect() as conn:
                return conn.execute(sa.text("SELECT status, error, octet_length(state::text), pg_column_size(state) "
                                            "FROM instances WHERE id = :i"), {"i": instance_id}).one()

        for mark, state in snapshots.items():
            set_state(state)
            times = []
            for _ in range(mark - max(1, mark - WINDOW + 1) + 1):
                ticket_id = open_ticket()
                t = time.perf_counter()
                tickets.complete(rt, agent, ticket_id, {"again": True})
                times.append(time.perf_counter() - t)
            row = instance_row()
            results[mark] = (statistics.median(times) * 1000, row[2], row[3])
        rt.close()
    return results


def engine_depth_failure(snapshot: dict, start_step: int, limit: int = 20) -> tuple[int, str, str | None] | None:
    """Through the engine without the workaround: from ``snapshot`` (taken before ``start_step``),
    complete tickets until the instance stops running; (step, status, error) or None."""
    import sqlalchemy as sa

    from flowdesk.bpmn import Execution
    from flowdesk.engine.process import definitions, instances
    from flowdesk.engine.work import tickets

    with common.pg_schema() as schema:
        rt, agent, instance_id = _looping_instance(schema)
        with rt.uow() as uow:
            instance = instances.lock_instance(uow.session, instance_id)
            spec = definitions.spec_with_calls(rt, uow.session, instance.definition_version_id, instance.process_key,
                                               instance.called_versions)
            instances.save(rt, uow, instance, Execution.restore(spec, snapshot, clock=rt.clock))
            uow.commit()
        result = None
        for step in range(start_step, start_step + limit):
            with rt.db.connect() as conn:
                status, error = conn.execute(sa.text("SELECT status, error FROM instances WHERE id = :i"),
                                             {"i": instance_id}).one()
                ticket_id = conn.execute(sa.text("SELECT id FROM tickets WHERE instance_id = :i AND status = 'open'"),
                                         {"i": instance_id}).scalar()
            if status != "running" or ticket_id is None:
                result = (step - 1, status, error)
                break
            tickets.complete(rt, agent, ticket_id, {"again": True})
        rt.close()
    return result


def reference_sizes() -> list[tuple[str, int, int]]:
    """JSON size of the reference process's state at each save, plain and compact."""
    from flowdesk.bpmn import Execution

    spec = _spec("reference_approval.bpmn", "reference_approval")

    def measure(label, execution):
        state = execution.dump()
        out.append((label, len(json.dumps(state).encode()), len(json.dumps(state, separators=(",", ":")).encode())))
        return Execution.restore(spec, json.loads(json.dumps(state)))

    out: list = []
    execution = measure("waiting in the user task", Execution.start(spec, {"request_id": "R-1", "amount": 100}))
    [task] = execution.user_tasks()
    execution.complete_user_task(task.task_id, {"approved": True})
    execution = measure("waiting in the service task", execution)
    [call] = execution.pending_actions()
    execution.complete_action(call.task_id, {"ok": True, "reference": "F-1"}, call.result_variable)
    measure("completed", execution)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--every-step", action="store_true",
                        help="save/restore on every step between the timed windows too (quadratic: slow)")
    parser.add_argument("--skip-engine", action="store_true")
    args = parser.parse_args()
    n = args.steps
    marks = sorted({m for m in MARKS if m <= n} | {n})

    print(f"benchmark 4: history growth over {n} steps -- {common.machine()}")
    banner("SpiffWorkflow's task-tree depth limit (no workaround)")
    from flowdesk.bpmn import Execution

    broke = depth_limit_check()
    if broke:
        print(f"   Execution: after step {broke} the loop has no waiting task and reports itself completed, "
              f"although every completion said again=true")
        spec = _spec("history_loop.bpmn", "history_loop")
        execution = Execution.start(spec, {})
        for _ in range(broke - 3):
            step_in_memory(execution)
        failure = engine_depth_failure(execution.dump(), broke - 2)
        if failure:
            print(f"   engine: after step {failure[0]} the instance is '{failure[1]}': {failure[2]}")
        print("   -> the figures below are taken with the depth limit lifted in this process (lift_depth_limit)")
        lift_depth_limit()
    else:
        print("   no depth limit hit within 400 steps")

    label = "every step" if args.every_step else f"the {WINDOW} steps up to each mark; in memory in between"
    banner(f"(a) Execution: restore + complete + dump + JSON per step (save/restore on {label})")
    bare, snapshots = bare_windows(marks, args.every_step)
    for m in marks:
        print(f"   step {m:>6}: {bare[m][0]:9.2f} ms   state {bare[m][1] / 1024:9.1f} KB")
    ratio = bare[n][0] / bare[marks[0]][0]
    print(f"   step {n} / step {marks[0]}: {ratio:.1f}x   goal <= 1.5x: {'met' if ratio <= 1.5 else 'MISSED'}")

    if not args.skip_engine:
        banner("(b) engine: tickets.complete on PostgreSQL (state set to the same snapshots before each window)")
        engine = engine_windows(snapshots)
        for m in marks:
            print(f"   step {m:>6}: {engine[m][0]:9.2f} ms   state {engine[m][1] / 1024:9.1f} KB as JSON text, "
                  f"{engine[m][2] / 1024:8.1f} KB stored")
        ratio = engine[n][0] / engine[marks[0]][0]
        print(f"   step {n} / step {marks[0]}: {ratio:.1f}x   goal <= 1.5x: {'met' if ratio <= 1.5 else 'MISSED'}")

    banner("reference approval process: serialized state per instance")
    for label, plain, compact in reference_sizes():
        print(f"   {label:<30} {plain:6d} bytes JSON ({compact} compact)   goal <= 4096: "
              f"{'met' if plain <= 4096 else 'MISSED'}")


if __name__ == "__main__":
    sys.exit(main())
