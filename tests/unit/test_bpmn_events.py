"""Messages and signals: what an instance waits for, delivering them, and what it throws."""

import pytest

from flowdesk.bpmn import Execution, ExecutionError, ProcessSpec, events


def test_a_receive_task_waits_for_its_message(run_clocked):
    [message] = run_clocked("messages.bpmn", process_id="order", order_id=42).execution.waiting_messages()

    assert (message.element_id, message.name) == ("wait_payment", "payment_received")


def test_a_waiting_message_shows_the_correlation_value_it_expects(run_clocked):
    [message] = run_clocked("messages.bpmn", process_id="order", order_id=42).execution.waiting_messages()

    assert message.correlations == {"order_id": 42}


def test_a_delivered_message_moves_the_instance_on(run_clocked):
    instance = run_clocked("messages.bpmn", process_id="order", order_id=42)

    assert instance.deliver("payment_received", {"amount": 10}, {"order_id": 42})

    assert instance.waiting() == ["ship"]


def test_the_message_payload_becomes_process_variables(run_clocked):
    instance = run_clocked("messages.bpmn", process_id="order", order_id=42)

    instance.deliver("payment_received", {"amount": 10})

    assert instance.task("ship").data == {"order_id": 42, "amount": 10}


def test_a_message_for_another_correlation_is_not_caught(run_clocked):
    instance = run_clocked("messages.bpmn", process_id="order", order_id=42)

    assert not instance.deliver("payment_received", {"amount": 10}, {"order_id": 41})
    assert [m.name for m in instance.execution.waiting_messages()] == ["payment_received"]


def test_a_message_nobody_waits_for_is_not_caught(run_clocked):
    instance = run_clocked("messages.bpmn", process_id="order", order_id=42)

    assert not instance.deliver("order_cancelled", {})
    assert instance.waiting() == []


def test_an_interrupting_message_boundary_cancels_the_task(run_clocked):
    instance = run_clocked("messages.bpmn", process_id="order", order_id=42)
    instance.deliver("payment_received", {})

    assert instance.deliver("order_cancelled", {"reason": "changed my mind"})

    assert instance.waiting() == []
    assert instance.execution.reached_end_event
    assert "ship" not in instance.completed_ids()


def test_a_thrown_message_is_handed_over_with_its_payload(run_clocked):
    instance = run_clocked("messages.bpmn", process_id="order", order_id=42)
    instance.deliver("payment_received", {})

    instance.complete("ship", tracking="T-1")

    [thrown] = instance.execution.take_thrown_events()
    assert (thrown.kind, thrown.name) == ("message", "order_shipped")
    assert thrown.payload == {"order_id": 42, "tracking": "T-1"}


def test_thrown_events_are_handed_over_once(run_clocked):
    instance = run_clocked("messages.bpmn", process_id="order", order_id=42)
    instance.deliver("payment_received", {})
    instance.complete("ship", tracking="T-1")
    instance.execution.take_thrown_events()

    assert instance.execution.take_thrown_events() == []


def test_thrown_events_survive_save_and_restore_until_taken(run_clocked):
    instance = run_clocked("messages.bpmn", process_id="signals")

    instance.save_and_restore()

    assert [e.name for e in instance.execution.take_thrown_events()] == ["work_started"]


def test_a_process_starts_with_the_message_its_start_event_names(run_clocked):
    instance = run_clocked("messages.bpmn", process_id="new_order", message=("new_order", {"customer": "ann"}))

    assert instance.task("review_order").data == {"customer": "ann"}


def test_starting_with_a_message_no_start_event_names_is_an_error(run_clocked):
    with pytest.raises(ExecutionError):
        run_clocked("messages.bpmn", process_id="new_order", message=("old_order", {}))


def test_message_start_names_are_listed_for_the_scheduler(parse):
    process = next(p for p in parse("messages.bpmn") if p.process_id == "new_order")

    spec = ProcessSpec.from_dict(process.process_id, process.spec_dict).spec

    assert events.message_start_names(spec) == ["new_order"]


def test_a_waiting_signal_is_listed_by_name(run_clocked):
    assert run_clocked("messages.bpmn", process_id="signals").execution.waiting_signals() == ["go"]


def test_a_broadcast_signal_is_caught_with_its_payload(run_clocked):
    instance = run_clocked("messages.bpmn", process_id="signals")

    assert instance.signal("go", {"who": "dispatch"})

    assert instance.task("after_go").data == {"who": "dispatch"}


def test_a_signal_nobody_waits_for_is_not_caught(run_clocked):
    assert not run_clocked("messages.bpmn", process_id="signals").signal("stop")


def test_thrown_signals_are_handed_over_for_other_instances(run_clocked):
    instance = run_clocked("messages.bpmn", process_id="signals")
    started = instance.execution.take_thrown_events()
    instance.signal("go")
    instance.complete("after_go")

    finished = instance.execution.take_thrown_events()

    assert [(e.kind, e.name) for e in started + finished] == [("signal", "work_started"), ("signal", "work_finished")]


def test_an_event_based_gateway_waits_for_a_message_and_a_timer(run_clocked):
    execution = run_clocked("messages.bpmn", process_id="race").execution

    assert [m.element_id for m in execution.waiting_messages()] == ["race_answer"]
    assert [t.element_id for t in execution.waiting_timers()] == ["race_timeout"]


def test_the_message_wins_the_race_when_it_comes_first(run_clocked):
    instance = run_clocked("messages.bpmn", process_id="race")

    instance.deliver("answer", {"text": "yes"})

    assert instance.waiting() == ["answered"]
    assert instance.execution.waiting_timers() == []


def test_the_timer_wins_the_race_when_the_message_is_late(run_clocked):
    instance = run_clocked("messages.bpmn", process_id="race")

    instance.advance(hours=1)

    assert instance.waiting() == ["chase"]
    assert not instance.deliver("answer", {"text": "too late"})


def test_a_corpus_message_after_an_event_gateway_is_caught(run_clocked):
    instance = run_clocked("InputOutputEventTest.testMessageCatchAfterEventGateway.bpmn20.xml")

    assert instance.deliver("foo", {})

    assert instance.waiting() == ["Task_140hnfz"]


def test_event_subprocess_message_starts_are_waiting_before_they_start(run_clocked):
    messages = run_clocked("messages.bpmn", process_id="interruptions").execution.waiting_messages()

    assert [(m.task_id, m.element_id, m.name) for m in messages] == [
        (None, "abort_start", "abort"), (None, "question_start", "question")]


def test_a_non_interrupting_event_subprocess_runs_beside_the_main_work(run_clocked):
    instance = run_clocked("messages.bpmn", process_id="interruptions")

    assert instance.deliver("question", {"q": "when?"})

    assert instance.waiting() == ["answer_question", "main_work"]


def test_a_non_interrupting_event_subprocess_can_start_again(run_clocked):
    instance = run_clocked("messages.bpmn", process_id="interruptions")
    instance.deliver("question", {"q": 1})

    assert instance.deliver("question", {"q": 2})

    assert instance.waiting() == ["answer_question", "answer_question", "main_work"]


def test_an_interrupting_event_subprocess_cancels_the_main_work(run_clocked):
    instance = run_clocked("messages.bpmn", process_id="interruptions")
    instance.deliver("question", {})

    assert instance.deliver("abort", {})

    assert instance.waiting() == ["handle_abort"]
    assert instance.execution.waiting_messages() == []


def test_a_process_ends_with_its_interrupting_event_subprocess(run_clocked):
    instance = run_clocked("messages.bpmn", process_id="interruptions")
    instance.deliver("abort", {})

    instance.complete("handle_abort")

    assert instance.execution.is_completed
    assert instance.execution.reached_end_event


def test_an_event_subprocess_started_in_one_instance_does_not_start_in_the_next(parse):
    process = next(p for p in parse("messages.bpmn") if p.process_id == "interruptions")
    spec = ProcessSpec.from_dict(process.process_id, process.spec_dict)  # shared, as the spec cache shares it
    Execution.start(spec).deliver_message("question", {})

    later = Execution.start(spec)
    later.complete_user_task(later.user_tasks()[0].task_id, {})

    assert later.is_completed


def test_an_event_subprocess_nested_in_a_subprocess_starts_on_its_message(run_clocked):
    instance = run_clocked("MessageEventSubprocessTest.testNonInterruptingWithTerminatingEndEvent.bpmn20.xml")

    assert instance.deliver("message", {})

    assert instance.waiting() == ["UserTask_1", "UserTask_2"]


@pytest.fixture
def broken_correlation(run, bpmn):
    """An order waiting for its payment whose correlation property divides by the payload's 'parts'."""
    content = bpmn("messages.bpmn").replace(b"<bpmn:formalExpression>order_id</bpmn:formalExpression>",
                                            b"<bpmn:formalExpression>order_id / parts</bpmn:formalExpression>")
    return run("messages.bpmn", content=content, process_id="order", order_id=42, parts=1)


def test_a_correlation_expression_that_fails_is_an_error_not_a_missing_value(broken_correlation):
    with pytest.raises(ExecutionError, match="division by zero"):
        broken_correlation.execution.deliver_message("payment_received", {"order_id": 42, "parts": 0},
                                                     {"order_id": 42})


def test_a_correlation_property_the_payload_lacks_stays_unknown(broken_correlation):
    assert broken_correlation.execution.deliver_message("payment_received", {"amount": 10}) is True


def test_a_start_event_with_a_message_and_a_signal_definition_starts_by_the_message(parse, run_clocked):
    [parsed] = parse("multiple_start.bpmn")
    assert ProcessSpec.from_dict(parsed.process_id, parsed.spec_dict).message_start_names() == ["order placed"]

    instance = run_clocked("multiple_start.bpmn", message=("order placed", {"order": 7}))

    assert instance.waiting() == ["ms_pack"]
    assert instance.task("ms_pack").data["order"] == 7


@pytest.mark.parametrize("expression, error", [
    (b"2 ** (order_id * 1000)", "ValueTooLarge"),  # past the sandbox's integer size, at run time
    (b"order_id.__class__", "Refused"),  # an attribute walk the sandbox refuses
])
def test_a_correlation_expression_past_the_sandbox_is_an_error_not_a_missing_value(run, bpmn, expression, error):
    content = bpmn("messages.bpmn").replace(b"<bpmn:formalExpression>order_id</bpmn:formalExpression>",
                                            b"<bpmn:formalExpression>" + expression + b"</bpmn:formalExpression>")
    instance = run("messages.bpmn", content=content, process_id="order", order_id=42)

    with pytest.raises(ExecutionError, match=error):
        instance.execution.deliver_message("payment_received", {"order_id": 42}, {"order_id": 42})
