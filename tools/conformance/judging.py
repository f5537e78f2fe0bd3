"""Judging a run: ran to an end event, or where it is stuck and why."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import select

from flowdesk.engine.models import ExternalTask

from .harness import Harness, Outcome
from .model_facts import ProcessInfo

# What the harness checks landed as each editor dialect declared it (counted in Harness.done).
CHECKS = ("declared forms enforced", "task types on their topic", "connectors as HTTP calls", "assignments on tickets")


def where_stuck(inst: dict) -> list[str]:
    """Element ids the instance waits at: tickets, jobs, timers, subscriptions, incidents."""
    where = [f"ticket:{t['element_id']}" for t in inst.get("open_tickets") or []]
    where += [f"job:{j.get('element_id')}" for j in inst.get("jobs") or []]
    where += [f"timer:{t['element_id']}" for t in inst.get("timers") or []]
    where += [f"{w['kind']}:{w['name']}" + (f"@{w['element_id']}" if w.get("element_id") else "")
              for w in inst.get("waiting_for") or []]
    where += [f"incident:{i.get('element_id')}" for i in inst.get("incidents") or []]
    return where


def _external_waits(h: Harness, instance_id: str) -> list[str]:
    with h.rt.uow() as uow:
        rows = uow.session.scalars(select(ExternalTask).where(ExternalTask.instance_id == instance_id,
                                                              ExternalTask.status.in_(("available", "locked"))))
        return [f"external:{r.element_id}({r.topic})" for r in rows]


def judge(h: Harness, outcome: Outcome, infos: list[ProcessInfo], final: list[dict]) -> None:
    """Fill the outcome: ran to end when every instance completed through a top-level end event."""
    ends = {i.process_id: i.top_level_ends for i in infos}
    all_ends = set().union(*ends.values()) if ends else set()
    ok = bool(final)
    seen: Counter = Counter()
    for inst in final:  # oldest first
        key, status = inst.get("process_key"), inst.get("status")
        seen[key] += 1
        label = f"{key}" if len({i.get('process_key') for i in final}) == len(final) else f"{key}#{seen[key]}"
        outcome.statuses.append(status)
        if status == "completed":
            reached = {e["element_id"] for e in inst.get("history") or [] if e.get("type") == "endEvent"}
            expected = ends.get(key) or all_ends
            if expected and not reached & expected:
                ok = False
                h.bug(f"instance of {key} is 'completed' but its history reaches no top-level end event "
                      f"(ends reached: {sorted(reached) or 'none'})")
            continue
        ok = False
        where = where_stuck(inst) + _external_waits(h, inst["id"])
        outcome.stuck_where.append(f"{label} [{status}]: {', '.join(where) or 'nothing visible'}")
        reasons = [f"incident at '{i.get('element_id')}': {i.get('message')}" for i in inst.get("incidents") or []]
        if inst.get("error"):
            reasons.append(f"{status}: {inst['error']}")
        reasons += h.failures.get(inst["id"], [])
        if not reasons and status == "running":
            reasons.append("waits for nothing the harness could provide" if not where else
                           "still waiting after every ticket, task, message, signal and timer was served")
        outcome.why.append(f"{label}: " + "; ".join(dict.fromkeys(reasons)))
    if not final:
        outcome.why.append("no instance was started")
    outcome.why += [f"{text}" for text in dict.fromkeys(h.failures.get("", []))
                    if not ok or text.startswith("scheduler.")]
    outcome.bugs += h.failures.get("__bugs__", [])
    outcome.ran_to_end = ok and not outcome.bugs
    if outcome.ran_to_end:
        driven = ", ".join(f"{n} {what}" for what, n in h.done.items() if n)
        outcome.why.append(f"{len(final)} instance(s); {driven or 'no input needed'}"
                           + (f"; seeded {', '.join(sorted(h.seeds))}" if h.seeds else ""))




def classify(outcome: Outcome) -> str:
    """A short cause for grouping the files that did not run."""
    if outcome.ran_to_end:
        return ""
    text = " ".join(outcome.why)
    if outcome.bugs:
        return "flowdesk bug"
    if "start of" in text and "refused" in text:
        return "start failed (error while running to the first wait state)"
    if "incident" in text:
        return "incident"
    if "completing ticket" in text:
        return "ticket completion refused (error after the task)"
    if "loop guard" in text:
        return "loops (bounded by the harness)"
    if "failed:" in text:
        return "instance failed"
    return "stuck waiting"

