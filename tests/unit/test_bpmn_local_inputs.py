"""Input mappings are local to their activity (Camunda 7 ``camunda:inputParameter``, Camunda 8
``zeebe:input``): the activity sees them, the process does not once it is done; with output
mappings, Camunda 7 still passes on what the task set and Zeebe passes on only the outputs."""

from pathlib import Path

import pytest

from flowdesk.bpmn import ModelError, external

DATA = Path(__file__).resolve().parents[1] / "data"
MODELS = {"camunda7": "local_inputs_camunda7.bpmn", "zeebe": "local_inputs_zeebe.bpmn"}


@pytest.fixture(params=sorted(MODELS))
def dialect(request):
    return request.param


@pytest.fixture
def parcel(run, dialect):
    return run(MODELS[dialect], x="process", grams=2500)


def test_an_input_shadows_the_process_variable_only_inside_its_task(parcel):
    variables = parcel.execution.variables

    assert variables["seen"] == "local"  # the script read its input x
    assert variables["x"] == "process"  # and the process's x is back afterwards


def test_the_ticket_of_a_user_task_sees_its_inputs(parcel):
    data = parcel.task("Task_review").data

    assert (data["note"], data["limit"]) == ("Check the parcel", 5000)
    assert "note" not in parcel.execution.variables


def test_an_output_mapping_copies_out_and_the_inputs_are_gone(parcel):
    parcel.complete("Task_review", verdict="ok")

    variables = parcel.execution.variables
    assert variables["reviewed"] is True  # the output read the input limit and the form's verdict
    assert "note" not in variables and "limit" not in variables


def test_form_data_passes_on_in_camunda7_but_only_the_outputs_in_zeebe(parcel, dialect):
    parcel.complete("Task_review", verdict="ok")

    assert ("verdict" in parcel.execution.variables) is (dialect == "camunda7")


def test_a_worker_fetches_the_inputs_of_its_task(parcel):
    parcel.complete("Task_review", verdict="ok")

    [job] = external.waiting(parcel.execution)

    assert job.element_id == "Task_pack"
    assert (job.variables["weightKg"], job.variables["x"]) == (2.5, "worker")


def test_without_outputs_the_workers_variables_pass_on_and_the_inputs_do_not(parcel):
    parcel.complete("Task_review", verdict="ok")
    [job] = external.waiting(parcel.execution)

    external.complete(parcel.execution, job.task_id, {"parcelId": "P-7"})

    variables = parcel.execution.variables
    assert variables["parcelId"] == "P-7"
    assert variables["x"] == "process" and "weightKg" not in variables


def test_with_only_outputs_a_zeebe_job_passes_on_only_its_outputs(run):
    parcel = run(MODELS["zeebe"], x="process", grams=2500)
    parcel.complete("Task_review", verdict="ok")
    external.complete(parcel.execution, external.waiting(parcel.execution)[0].task_id, {})
    [job] = external.waiting(parcel.execution)

    external.complete(parcel.execution, job.task_id, {"labelId": "L-1", "printer": "p2"})

    assert parcel.waiting() == ["Task_done"]
    assert parcel.execution.variables["label"] == "L-1"
    assert "printer" not in parcel.execution.variables and "labelId" not in parcel.execution.variables


@pytest.mark.parametrize(("name", "old", "new"), [
    ("local_inputs_camunda7.bpmn", b'<bpmn:outgoing>Flow_4</bpmn:outgoing>',
     b'<bpmn:outgoing>Flow_4</bpmn:outgoing><bpmn:multiInstanceLoopCharacteristics camunda:collection="${items}" />'),
    ("local_inputs_zeebe.bpmn", b'<bpmn:outgoing>Flow_4</bpmn:outgoing>',
     b'<bpmn:outgoing>Flow_4</bpmn:outgoing><bpmn:multiInstanceLoopCharacteristics />'),
])
def test_inputs_on_a_multi_instance_activity_are_refused_at_deploy(parse, name, old, new):
    with pytest.raises(ModelError) as refused:
        parse(name, (DATA / name).read_bytes().replace(old, new, 1))

    [issue] = refused.value.issues
    assert issue.element_id == "Task_pack"
    assert "input mappings on a multi-instance serviceTask are not supported" in issue.message


def test_an_embedded_subprocess_shares_its_inputs_with_its_tasks_and_not_the_process(run):
    review = run("local_inputs_subprocess.bpmn", x="process")
    assert review.task("Task_inner").data["x"] == "local"

    review.complete("Task_inner", decision="ok")

    assert review.waiting() == ["Task_after"]
    assert review.execution.variables["x"] == "process"
    assert review.execution.variables["verdict"] == "ok"


def test_a_call_activity_passes_its_inputs_to_the_called_process_and_drops_them_after(run):
    call = run("call_variable_mappings.bpmn", process_id="c8_caller", amount=5)
    assert call.task("a_inside").data["double"] == 10

    call.complete("a_inside")

    after = call.task("c8_after").data
    assert after["outcome"] == 15
    assert "total" not in after and "double" not in after


def test_a_zeebe_message_with_outputs_passes_on_only_its_outputs(run):
    payment = run("zeebe_message_outputs.bpmn", amount=1)

    assert payment.execution.deliver_message("payment-received", {"amount": 5, "card": "4242"})

    assert payment.waiting() == ["Task_book"]
    variables = payment.execution.variables
    assert variables["paidAmount"] == 5
    assert variables["amount"] == 1  # the message's amount was local to the event
    assert "card" not in variables


def test_a_zeebe_signal_catch_with_outputs_is_refused_at_deploy(parse):
    source = (DATA / "zeebe_message_outputs.bpmn").read_bytes().replace(
        b'<bpmn:messageEventDefinition id="MessageEventDefinition_1" messageRef="Message_paid" />',
        b'<bpmn:signalEventDefinition id="SignalEventDefinition_1" signalRef="Signal_paid" />').replace(
        b'<bpmn:message id="Message_paid" name="payment-received" />',
        b'<bpmn:signal id="Signal_paid" name="payment-received" />')

    with pytest.raises(ModelError) as refused:
        parse("zeebe_signal_outputs.bpmn", source)

    [issue] = refused.value.issues
    assert issue.element_id == "Event_paid"
    assert "output mappings on a signal intermediateCatchEvent are not supported" in issue.message
