"""The roles around the instances: agents, external workers, external systems and the clock."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from flowdesk.engine.process import scheduler
from flowdesk.engine.models import ExternalTask

from .config import (MAX_INSTANCES, MAX_ROUNDS, MAX_SENDS_PER_WAIT, MAX_TICKETS_PER_INSTANCE,
                     MAX_TIMER_ADVANCES, THINK_TIME)
from .harness import Harness, instances, problem_text, with_missing_variables
from .model_facts import ProcessInfo

def start_process(h: Harness, info: ProcessInfo) -> None:
    """Start one process the way its start events allow: REST start, message, signal or timer."""
    h.start_attempted.add(info.process_id)
    if info.plain_start:
        status, body = with_missing_variables(h, lambda: h.call(
            "POST", f"/processes/{info.process_id}/instances", json={"variables": dict(h.seeds)}))
        if status != 201:
            h.failures[""].append(f"start of {info.process_id} refused ({status}): {problem_text(body)}")
        return
    kind, name = info.starts[0]
    if kind == "message" and name:
        status, body = with_missing_variables(h, lambda: h.call(
            "POST", "/messages", json={"name": name, "variables": dict(h.seeds)}))
    elif kind == "signal" and name:
        status, body = h.call("POST", "/signals", json={"name": name, "variables": dict(h.seeds)})
    elif kind == "timer":
        due = h.scheduler_call(scheduler.next_wake)
        if due is not None and due > h.clock.now:
            h.clock.now = due + timedelta(seconds=1)
        started = h.scheduler_call(scheduler.start_timer_processes)
        status, body = (201, None) if started else (404, "no timer start was due")
    else:
        status, body = 0, f"a {kind} start event the harness cannot trigger"
    if status in (200, 201) and (not isinstance(body, dict) or body.get("started") or body.get("delivered_to")):
        h.done[f"started by {kind}"] += 1
    else:
        h.failures[""].append(f"{kind} start of {info.process_id} did not start it ({status}): {problem_text(body)}")




_FORMAT_VALUES = {"email": "agent@example.com", "date": "2026-11-21", "date-time": "2026-11-21T12:00:00Z",
                  "uri": "https://example.com/", "time": "12:00:00Z"}


def _field_value(kind: str | None, options: list, visit: int, format_: str | None = None):
    """A value of the field's type; a task that comes round again gets the other choice."""
    if options:
        return options[visit % len(options)]
    if format_ in _FORMAT_VALUES:
        return _FORMAT_VALUES[format_]
    if kind == "boolean":
        return visit % 2 == 0
    if kind in ("long", "integer", "double", "number"):
        return 1 + visit
    if kind == "date":
        return "2026-11-21"
    return "x"


def fill_form(ticket: dict, seeds: dict, hints: dict, outputs: list[str], visit: int = 0) -> dict:
    """Completion data for a ticket.

    Form fields get a value of their type (True, 1, "x", the first option); seeded variables
    the task data lacks and the data objects the task writes are added. On a later visit of
    the same task the choices rotate (False, the next option, the condition's next value) so
    a loop in the model takes its exit instead of tripping the harness's bound.
    """
    task_data = ticket.get("data") or {}
    data = {k: v for k, v in seeds.items() if k not in task_data}
    data.update({name: "x" for name in outputs if name not in task_data})
    if visit:
        data.update({name: values[visit % len(values)] for name, values in hints.items()})
    form = ticket.get("form") or {}
    for item in form.get("fields") or []:
        options = [o["id"] for o in item.get("options") or []]
        if item["id"] in hints and not options and visit:
            # A free field a gateway tests, on a later visit: the values its conditions compare
            # with, in turn (the first visit keeps the plain value, as a person would type).
            choices = [_field_value(item.get("type"), [], 0), *hints[item["id"]]]
            data[item["id"]] = choices[visit % len(choices)]
        else:
            data[item["id"]] = _field_value(item.get("type"), options, visit)
    if not form.get("fields"):
        for name, prop in ((ticket.get("form_schema") or {}).get("properties") or {}).items():
            data[name] = _field_value(prop.get("type"), list(prop.get("enum") or []), visit, prop.get("format"))
    return data


_WRONG_TYPE = {"string": 12345, "integer": "x", "number": "x", "boolean": "x", "array": "x", "object": "x"}


def violating(schema: dict) -> dict | None:
    """Completion data the form must refuse: a required field missing, or a field of the wrong type."""
    if schema.get("required"):
        return {}
    for name, prop in (schema.get("properties") or {}).items():
        if isinstance(prop, dict) and prop.get("type") in _WRONG_TYPE:
            return {name: _WRONG_TYPE[prop["type"]]}
    return None


def check_form_enforced(h: Harness, ticket_id: str, element: str, schema: dict) -> bool:
    """A completion that violates the ticket's declared form is refused with 422 (and completes
    nothing); one that goes through is a flowdesk bug, and then False."""
    data = violating(schema)
    if data is None:
        return True
    status, body = h.call("POST", f"/tickets/{ticket_id}/complete", json={"data": data})
    if status == 422:
        h.done["declared forms enforced"] += 1
        return True
    if status != 200:  # e.g. 409: the ticket closed meanwhile; the real completion reports that
        return True
    h.bug(f"the form of ticket '{element}' is not enforced: completing it with {data} answered 200")
    return False


def work_tickets(h: Harness, snapshot: list[dict]) -> bool:
    """Complete every open ticket once; a refused completion is remembered, not retried."""
    progressed = False
    for inst in snapshot:
        if inst.get("status") != "running":
            continue
        # By element: tickets opened by one request share a timestamp and their ids are random.
        for summary in sorted(inst.get("open_tickets") or [], key=lambda t: t["element_id"]):
            if summary["id"] in h.attempted_tickets:
                continue
            h.attempted_tickets.add(summary["id"])
            if h.tickets_done[inst["id"]] >= MAX_TICKETS_PER_INSTANCE:
                h.failures[inst["id"]].append(f"loop guard: {MAX_TICKETS_PER_INSTANCE} tickets completed")
                continue
            element = summary["element_id"]
            _, ticket = h.call("GET", f"/tickets/{summary['id']}")
            if (ticket or {}).get("form_schema") and not check_form_enforced(
                    h, summary["id"], element, ticket["form_schema"]):
                continue
            visit = h.visits[(inst["id"], element)]
            status, body = with_missing_variables(h, lambda: h.call(
                "POST", f"/tickets/{summary['id']}/complete",
                json={"data": fill_form(ticket or {}, h.seeds, h.hints, h.outputs.get(element, []), visit)}))
            if status == 200:
                h.done["tickets"] += 1
                h.tickets_done[inst["id"]] += 1
                h.visits[(inst["id"], element)] += 1
                progressed = True
            else:
                h.failures[inst["id"]].append(f"completing ticket '{element}' refused ({status}): {problem_text(body)}")
    return progressed


def work_external_tasks(h: Harness) -> bool:
    """An external worker subscribed to every topic the deployed models use fetches and completes."""
    with h.rt.uow() as uow:
        # The topics are the models' own (camunda:topic, operator name or element id); reading
        # them here stands in for a worker configured with the model's topics.
        topics = sorted(set(uow.session.scalars(select(ExternalTask.topic).where(ExternalTask.status == "available"))))
    if not topics:
        return False
    status, tasks = h.call("POST", "/external-tasks/fetch-and-lock", json={
        "worker_id": "conformance", "max_tasks": 50,
        "topics": [{"topic_name": t, "lock_duration": 60_000} for t in topics]})
    progressed = False
    for task in sorted(tasks or [], key=lambda t: t["activity_id"]) if status == 200 else []:
        variables = {k: v for k, v in h.seeds.items() if k not in (task.get("variables") or {})}
        done, body = with_missing_variables(h, lambda: h.call(
            "POST", f"/external-tasks/{task['id']}/complete", json={
                "worker_id": "conformance",
                "variables": {**variables, **{k: h.seeds[k] for k in h.added_seeds}}}))
        if done == 200:
            h.done["external tasks"] += 1
            progressed = True
        else:
            h.failures[task["process_instance_id"]].append(
                f"completing external task '{task['activity_id']}' refused ({done}): {problem_text(body)}")
            h.call("POST", f"/external-tasks/{task['id']}/failure",
                   json={"worker_id": "conformance", "error_message": "harness could not complete it", "retries": 0})
    return progressed


def send_waited_events(h: Harness, snapshot: list[dict]) -> bool:
    """Send each message and signal an instance waits for (a few times at most, for loops)."""
    for inst in snapshot:
        if inst.get("status") != "running" or inst.get("incidents"):
            continue
        for wait in inst.get("waiting_for") or []:
            key = (inst["id"], wait["kind"], wait["name"])
            if h.sends[key] >= MAX_SENDS_PER_WAIT:
                continue
            h.sends[key] += 1
            # The payload carries only seeds the instance lacks: it must not undo what forms set.
            payload = {k: v for k, v in h.seeds.items() if k not in (inst.get("variables") or {})}
            if wait["kind"] == "message":
                status, body = h.call("POST", "/messages", json={
                    "name": wait["name"], "instance_id": inst["id"], "variables": payload})
            else:
                status, body = h.call("POST", "/signals", json={"name": wait["name"], "variables": payload})
            if status == 200 and (body or {}).get("delivered_to"):
                h.done[f"{wait['kind']}s sent"] += 1
                return True
            h.failures[inst["id"]].append(
                f"{wait['kind']} '{wait['name']}' not caught ({status}): {problem_text(body)}")
    return False


def _next_timer(snapshot: list[dict]) -> datetime | None:
    due = [datetime.fromisoformat(i["next_timer_at"]) for i in snapshot
           if i.get("status") == "running" and i.get("next_timer_at")]
    return min(due) if due else None


def _fire_timers_at(h: Harness, due: datetime) -> bool:
    """Move the clock just past ``due`` and let the scheduler fire what is due."""
    if h.timer_advances >= MAX_TIMER_ADVANCES:
        h.failures[""].append(f"loop guard: the clock was moved {MAX_TIMER_ADVANCES} times")
        return False
    h.timer_advances += 1
    h.clock.now = max(h.clock.now, due) + timedelta(seconds=1)
    fired = h.scheduler_call(scheduler.fire_due_timers)
    h.done["timers fired"] += fired
    return fired > 0


def advance_timers(h: Harness, snapshot: list[dict]) -> bool:
    """Nothing else moves: jump to the earliest due timer and fire it."""
    due = _next_timer(snapshot)
    return due is not None and _fire_timers_at(h, due)


def think_time(h: Harness, snapshot: list[dict]) -> bool:
    """People take a moment: a timer due within a minute fires before anyone completes a ticket."""
    due = _next_timer(snapshot)
    if due is None or due > h.clock.now + THINK_TIME or not any(i.get("open_tickets") for i in snapshot):
        return False
    return _fire_timers_at(h, due)


def start_pending(h: Harness, infos: list[ProcessInfo]) -> bool:
    """Trigger (once) the message/signal/timer start of a process no instance has started yet."""
    started = {i.get("process_key") for i in instances(h)}
    for info in infos:
        if info.process_id in started or info.process_id in h.start_attempted:
            continue
        start_process(h, info)
        return True
    return False


def drive_instances(h: Harness, infos: list[ProcessInfo]) -> list[dict]:
    """Play every role for every instance of the runtime until nothing moves (or a bound is hit).

    Order of preference: people and workers first, then messages the processes threw, then
    starting processes only an event starts, then what the instances say they wait for, and
    the clock last. Returns the final instances.
    """
    for _ in range(MAX_ROUNDS):
        snapshot = instances(h)
        if len(snapshot) > MAX_INSTANCES:
            h.failures[""].append(f"loop guard: more than {MAX_INSTANCES} instances")
            break
        if (h.timers_first and think_time(h, snapshot)) or work_tickets(h, snapshot) or work_external_tasks(h):
            continue
        routed = h.scheduler_call(scheduler.route_messages)
        h.done["thrown messages routed"] += routed
        if routed and _changed(h, snapshot):
            continue  # thrown messages moved or started instances: look again before acting
        if start_pending(h, infos) or send_waited_events(h, snapshot) or advance_timers(h, snapshot):
            continue
        break
    return instances(h)


def _changed(h: Harness, before: list[dict]) -> bool:
    after = instances(h)
    key = lambda items: sorted((i["id"], i.get("version"), i.get("status")) for i in items)  # noqa: E731
    return key(after) != key(before)


