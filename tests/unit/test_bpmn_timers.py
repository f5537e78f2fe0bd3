"""Timers on an injectable clock: what an instance waits for, and what fires when the clock moves."""

from datetime import datetime, timedelta, timezone

import pytest

from flowdesk.bpmn import ModelError, ProcessSpec, timers
from flowdesk.bpmn.cron import Cron
from flowdesk.bpmn.timers import TimerStart


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


def test_a_duration_timer_is_due_that_long_after_it_is_reached(run_clocked, clock):
    instance = run_clocked("timers.bpmn", process_id="wait_duration")

    assert instance.execution.next_timer_due() == clock() + timedelta(minutes=5)


def test_a_duration_timer_does_not_fire_before_it_is_due(run_clocked):
    instance = run_clocked("timers.bpmn", process_id="wait_duration")

    instance.advance(minutes=4, seconds=59)

    assert instance.waiting() == []


def test_a_duration_timer_fires_when_the_clock_reaches_its_due_time(run_clocked):
    instance = run_clocked("timers.bpmn", process_id="wait_duration")

    instance.advance(minutes=5)

    assert instance.waiting() == ["wd_after"]
    assert instance.execution.next_timer_due() is None


def test_waiting_timers_name_the_element_and_the_kind(run_clocked, clock):
    [timer] = run_clocked("timers.bpmn", process_id="wait_duration").execution.waiting_timers()

    assert (timer.element_id, timer.kind, timer.due) == ("wd_timer", "duration", clock() + timedelta(minutes=5))


def test_a_bare_iso_date_timer_is_due_at_that_date(run_clocked):
    [timer] = run_clocked("timers.bpmn", process_id="wait_date").execution.waiting_timers()

    assert (timer.kind, timer.due) == ("date", utc(2026, 12, 1, 10, 0))


def test_a_date_timer_fires_at_its_date(run_clocked, clock):
    instance = run_clocked("timers.bpmn", process_id="wait_date")

    clock.now = utc(2026, 12, 1, 9, 59)
    instance.advance()
    assert instance.waiting() == []
    instance.advance(minutes=1)

    assert instance.waiting() == ["wdt_after"]


def test_a_timer_expression_is_evaluated_with_the_process_variables(run_clocked, clock):
    instance = run_clocked("timers.bpmn", process_id="wait_expression", minutes=3, follow_up="2026-03-05T00:00:00")

    assert instance.execution.next_timer_due() == clock() + timedelta(minutes=3)


def test_a_camunda_variable_reference_names_the_date_variable(run_clocked):
    instance = run_clocked("timers.bpmn", process_id="wait_expression", minutes=3, follow_up="2026-03-05T00:00:00")

    instance.advance(minutes=3)

    # A naive date-time is UTC, whatever the server's zone.
    assert instance.execution.next_timer_due() == utc(2026, 3, 5)


def test_the_next_due_timer_is_the_earliest_of_several(run_clocked, clock):
    instance = run_clocked("timers.bpmn", process_id="sla")

    assert instance.execution.next_timer_due() == clock() + timedelta(minutes=30)
    assert [t.element_id for t in instance.execution.waiting_timers()] == ["remind_timer", "sla_timer"]


def test_a_non_interrupting_boundary_timer_adds_a_task_and_keeps_the_original(run_clocked):
    instance = run_clocked("timers.bpmn", process_id="sla")

    instance.advance(minutes=30)

    assert instance.waiting() == ["handle", "remind"]


def test_an_interrupting_boundary_timer_cancels_the_task_it_escalates(run_clocked):
    instance = run_clocked("timers.bpmn", process_id="sla")

    instance.advance(hours=2)

    assert instance.waiting() == ["escalate", "remind"]
    assert instance.execution.waiting_timers() == []


def test_completing_the_task_in_time_cancels_its_boundary_timers(run_clocked):
    instance = run_clocked("timers.bpmn", process_id="sla")

    instance.complete("handle")

    assert instance.execution.waiting_timers() == []
    assert instance.execution.is_completed


def test_a_boundary_timer_that_fires_is_reported_as_an_escalation_of_its_task(run_clocked, clock):
    instance = run_clocked("timers.bpmn", process_id="sla")
    handle = instance.task("handle").task_id

    clock.advance(hours=2)
    instance.execution.run()

    fired = instance.execution.take_escalations()
    assert sorted((e.task_id, e.element_id, e.interrupting) for e in fired) == [
        (handle, "remind_timer", False), (handle, "sla_timer", True)]
    assert instance.execution.take_escalations() == []


def test_a_timer_that_is_not_due_is_no_escalation(run_clocked, clock):
    instance = run_clocked("timers.bpmn", process_id="sla")

    clock.advance(minutes=29)
    instance.execution.run()

    assert instance.execution.take_escalations() == []


def test_held_boundary_timers_do_not_fire_across_save_and_restore(run_clocked):
    instance = run_clocked("timers.bpmn", process_id="sla")
    assert instance.execution.hold_timers(instance.task("handle").task_id) == 2
    instance.save_and_restore()

    instance.advance(hours=5)

    assert instance.waiting() == ["handle"]
    assert instance.execution.waiting_timers() == []  # nothing for the scheduler to wake up for


def test_released_boundary_timers_are_due_later_by_the_time_held(run_clocked, clock):
    instance = run_clocked("timers.bpmn", process_id="sla")
    start = clock.now
    instance.execution.hold_timers(instance.task("handle").task_id)
    instance.save_and_restore()
    clock.advance(hours=3)

    moved = instance.execution.release_timers(instance.task("handle").task_id)

    assert sorted((element, datetime.fromisoformat(after)) for element, _, after in moved) == [
        ("remind_timer", start + timedelta(hours=3, minutes=30)), ("sla_timer", start + timedelta(hours=5))]
    assert instance.execution.next_timer_due() == start + timedelta(hours=3, minutes=30)
    instance.save_and_restore()
    instance.advance(minutes=31)
    assert instance.waiting() == ["handle", "remind"]


def test_a_timer_inside_a_subprocess_is_reported_and_fires(run_clocked, clock):
    instance = run_clocked("timers.bpmn", process_id="timer_in_subprocess")
    assert [(t.element_id, t.due) for t in instance.execution.waiting_timers()] == [
        ("ts_sub_timer", clock() + timedelta(days=1))]

    instance.advance(days=1)

    assert instance.waiting() == ["ts_after"]


def test_a_cron_cycle_fires_at_the_next_matching_time(run_clocked):
    instance = run_clocked("timers.bpmn", process_id="daily_cron")
    [timer] = instance.execution.waiting_timers()
    assert (timer.kind, timer.due) == ("cycle", utc(2026, 3, 2, 9, 0))

    instance.advance(hours=1)

    assert instance.waiting() == ["dc_report", "dc_work"]
    assert instance.execution.next_timer_due() == utc(2026, 3, 3, 9, 0)


def test_an_iso_cycle_fires_once_per_interval_until_its_repetitions_are_used_up(run_clocked):
    instance = run_clocked("BoundaryTimerNonInterruptingEventTest.testUpdateTimerRepeat.bpmn20.xml")  # R5/PT1H

    for _ in range(6):
        instance.advance(hours=1)

    assert sorted(instance.waiting()) == ["timerFired"] * 5 + ["userWaiting"]
    assert instance.execution.next_timer_due() is None


def test_an_already_quoted_spiff_timer_still_works(run_clocked):
    instance = run_clocked("timer-events.bpmn")  # "PT315S", interrupting

    instance.advance(seconds=315)

    assert instance.execution.reached_end_event
    assert "Event_11cgaj7" in instance.completed_ids()


def test_timers_follow_the_clock_given_at_restore(run_clocked, clock):
    instance = run_clocked("timers.bpmn", process_id="wait_duration")
    due = instance.execution.next_timer_due()

    clock.now = due - timedelta(seconds=1)
    instance.save_and_restore()
    instance.execution.run()

    assert instance.waiting() == []


def test_a_timer_in_a_corpus_subprocess_races_a_signal_boundary(run_clocked):
    instance = run_clocked("SignalEventTest.testSignalBoundaryOnSubProcess.bpmn20.xml")  # bare P1D

    instance.advance(days=1)

    assert "timer" in instance.completed_ids()
    assert instance.execution.reached_end_event


def test_timer_start_events_are_listed_with_their_kind_and_value(parse):
    [process] = parse("BpmnParseTest.testMultipleTimerStartEvents.bpmn20.xml")

    starts = timers.timer_starts(ProcessSpec.from_dict(process.process_id, process.spec_dict).spec)

    assert [(s.element_id, s.kind, s.value) for s in starts] == [
        ("timerStart1", "duration", "PT2H"), ("timerStart2", "duration", "PT2H")]


def test_an_instance_started_by_its_timer_runs_past_the_start_event(run_clocked):
    instance = run_clocked("timers.bpmn", process_id="nightly", by_timer=True)

    assert instance.waiting() == ["nightly_check"]
    assert instance.execution.waiting_timers() == []


def test_an_instance_started_by_hand_waits_for_its_timer_start(run_clocked):
    instance = run_clocked("timers.bpmn", process_id="nightly")

    assert instance.waiting() == []
    assert instance.execution.next_timer_due() == utc(2026, 3, 3, 2, 0)


def test_an_instance_started_by_one_timer_start_event_completes_only_that_one(run_clocked):
    instance = run_clocked("BpmnParseTest.testMultipleTimerStartEvents.bpmn20.xml", by_timer="timerStart2")

    assert "timerStart2" in instance.completed_ids()
    assert "timerStart1" not in instance.completed_ids()


@pytest.mark.parametrize("start, reference, after, expected", [
    (TimerStart("s", "date", '"2026-05-01T00:00:00Z"', "2026-05-01T00:00:00Z"),
     utc(2026, 1, 1), utc(2026, 1, 1), utc(2026, 5, 1)),
    (TimerStart("s", "date", '"2026-05-01T00:00:00Z"', "2026-05-01T00:00:00Z"),
     utc(2026, 1, 1), utc(2026, 5, 1), None),
    (TimerStart("s", "duration", '"PT2H"', "PT2H"), utc(2026, 1, 1), utc(2026, 1, 1), utc(2026, 1, 1, 2)),
    (TimerStart("s", "cycle", '"R3/PT1H"', "R3/PT1H"), utc(2026, 1, 1), utc(2026, 1, 1, 1, 30), utc(2026, 1, 1, 2)),
    (TimerStart("s", "cycle", '"R3/PT1H"', "R3/PT1H"), utc(2026, 1, 1), utc(2026, 1, 1, 3), None),
    (TimerStart("s", "cycle", '"0 2 * * *"', "0 2 * * *"), utc(2026, 1, 1), utc(2026, 1, 5, 3), utc(2026, 1, 6, 2)),
    (TimerStart("s", "duration", "delay", None), utc(2026, 1, 1), utc(2026, 1, 1), None),
])
def test_the_next_start_of_a_timer_start_event(start, reference, after, expected):
    assert start.next_due(reference, after) == expected


@pytest.mark.parametrize("expression, after, expected", [
    ("0 0 9 * * ?", utc(2026, 3, 2, 8, 0), utc(2026, 3, 2, 9, 0)),
    ("0 0 9 * * ?", utc(2026, 3, 2, 9, 0), utc(2026, 3, 3, 9, 0)),
    ("0 */15 * * * ?", utc(2026, 3, 2, 8, 1), utc(2026, 3, 2, 8, 15)),
    ("0 0 9 ? * MON-FRI", utc(2026, 3, 6, 10, 0), utc(2026, 3, 9, 9, 0)),  # Friday -> Monday
    ("0 0 12 1 JAN ? 2027", utc(2026, 3, 2), utc(2027, 1, 1, 12)),
    ("30 8 * * 1-5", utc(2026, 3, 7, 0, 0), utc(2026, 3, 9, 8, 30)),  # 5-field, Saturday -> Monday
    ("0 0 29 2 *", utc(2026, 3, 1), utc(2028, 2, 29)),
    ("0 9 1 * 0", utc(2026, 3, 2), utc(2026, 3, 8, 9)),  # day of month OR Sunday, as cron does
])
def test_cron_finds_the_next_matching_time(expression, after, expected):
    assert Cron(expression).next_after(after) == expected


@pytest.mark.parametrize("expression", ["0 0 12 L * ?", "0 0 9 ? * MON#1", "1 2 3", "0 0 30 2 *", "61 * * * *"])
def test_cron_refuses_what_it_cannot_evaluate(expression):
    with pytest.raises(ValueError):
        Cron(expression).next_after(utc(2026, 1, 1))


def _with_timer(timer: str) -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">
  <bpmn:process id="p" isExecutable="true">
    <bpmn:startEvent id="s" />
    <bpmn:intermediateCatchEvent id="bad_timer">
      <bpmn:timerEventDefinition>{timer}</bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:endEvent id="e" />
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="bad_timer" />
    <bpmn:sequenceFlow id="f2" sourceRef="bad_timer" targetRef="e" />
  </bpmn:process>
</bpmn:definitions>""".encode()


@pytest.mark.parametrize("timer", [
    "<bpmn:timeCycle>0 0 12 L * ?</bpmn:timeCycle>",
    "<bpmn:timeDuration>PT5X</bpmn:timeDuration>",
    "<bpmn:timeDate>\"next tuesday\"</bpmn:timeDate>",
    "<bpmn:timeDuration></bpmn:timeDuration>",
    "<bpmn:timeDuration>import os</bpmn:timeDuration>",
])
def test_a_timer_value_that_can_never_work_is_refused_at_deploy_naming_the_element(parse, timer):
    with pytest.raises(ModelError) as raised:
        parse("bad_timer.bpmn", _with_timer(timer))

    [issue] = raised.value.issues
    assert issue.element_id == "bad_timer"
    assert "timer" in issue.message
