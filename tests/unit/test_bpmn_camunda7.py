"""Camunda 7 details: input/output parameters, call activity variables (see also
test_bpmn_call_mappings), async markers, the
http-connector and message events a worker implements run as modelled, or are refused at deploy."""

import json
from pathlib import Path

import pytest

from flowdesk.bpmn import ModelError
from flowdesk.bpmn import external

MODEL = (Path(__file__).resolve().parents[1] / "data" / "camunda7_details.bpmn").read_bytes()
ORDER = {"grams": 2500, "preferredBox": "large", "city": "Berlin"}


@pytest.fixture
def shipment(run):
    return run("camunda7_details.bpmn", process_id="c7_shipment", **ORDER)


def test_input_parameters_of_text_expressions_lists_maps_and_scripts_reach_the_task(shipment):
    data = shipment.task("Task_pack").data

    assert data["carrier"] == "DHL"
    assert data["weightKg"] == 2.5
    assert data["boxes"] == ["small", "large"]
    assert data["address"] == {"city": "Berlin", "country": "DE"}
    assert data["label"] == "BERLIN-2500"


def test_output_parameters_and_all_variables_of_the_called_process_come_back(shipment):
    shipment.complete("Task_pack")

    [call] = shipment.execution.pending_actions()
    assert call.element_id == "Task_book"
    assert shipment.execution.variables["packed"] is True
    assert shipment.execution.variables["tracking"] == "DHL-BERLIN-2500"  # set in the called process


def test_the_http_connector_is_an_http_action_with_its_inputs(shipment):
    shipment.complete("Task_pack")

    [call] = shipment.execution.pending_actions()

    assert (call.method, call.url) == ("POST", "http://127.0.0.1:{{port}}/pickups")
    assert call.headers == {"Content-Type": "application/json", "X-Carrier": "DHL"}
    assert call.body == {"city": "Berlin", "country": "DE"}  # payload ${address}
    assert call.result_variable == "pickup"  # the output parameter of ${response}


def test_message_throw_and_end_events_of_type_external_wait_for_workers_on_their_topics(shipment):
    shipment.complete("Task_pack")
    [call] = shipment.execution.pending_actions()
    shipment.execution.complete_action(call.task_id, {"pickup_id": "P-1"}, call.result_variable)

    [notify] = external.waiting(shipment.execution)
    assert (notify.element_id, notify.topic) == ("Event_notify", "notify-customer")
    external.complete(shipment.execution, notify.task_id, {})
    [shipped] = external.waiting(shipment.execution)
    assert (shipped.element_id, shipped.topic) == ("Event_shipped", "shipped")
    external.complete(shipment.execution, shipped.task_id, {})

    assert shipment.execution.reached_end_event
    assert shipment.execution.variables["pickup"] == {"pickup_id": "P-1"}


@pytest.mark.parametrize(("old", "new", "at", "element", "says"), [
    (b"<camunda:connectorId>http-connector</camunda:connectorId>", b"<camunda:connectorId/>", b"<camunda:connector>",
     "Task_book", "camunda:connector names no connectorId"),
    (b'scriptFormat="python">city', b'scriptFormat="javascript">city', b'<camunda:inputParameter name="label">',
     "Task_pack", "a script in 'javascript' (flowdesk runs Python only) is not supported"),
    (b'<camunda:in variables="all" />', b'<camunda:in source="carrier" target="ship.per" />', b"<camunda:in ",
     "Call_track", "camunda:in target 'ship.per' must be a variable name"),
    (b'<camunda:in variables="all" />', b'<camunda:in sourceExpression="${carrierService.pick()}" target="c" />',
     b"<camunda:in ", "Call_track", "camunda:in sourceExpression: the method call 'pick()' is not supported"),
    (b'camunda:type="external" camunda:topic="notify-customer"', b'camunda:class="org.acme.Notify"',
     b'id="MessageEventDefinition_0u9hm2c"', "Event_notify",
     "implemented by camunda:class 'org.acme.Notify': flowdesk runs no Java"),
    (b'<camunda:outputParameter name="pickup">${response}', b'<camunda:outputParameter name="code">${statusCode}',
     b'<camunda:outputParameter name="pickup">', "Task_book", "http-connector output 'code' is not supported"),
    (b'<camunda:inputParameter name="carrier">DHL', b'<camunda:inputParameter name="carrier">to ${city}',
     b'<camunda:inputParameter name="carrier">', "Task_pack", "a composite expression"),
])
def test_what_cannot_run_as_modelled_is_refused_naming_element_and_line(parse, old, new, at, element, says):
    line = MODEL[:MODEL.index(at)].count(b"\n") + 1

    with pytest.raises(ModelError) as refused:
        parse("camunda7_details.bpmn", MODEL.replace(old, new))

    assert [(i.element_id, i.line) for i in refused.value.issues if says in i.message] == [(element, line)], \
        refused.value.issues


def test_an_other_connector_is_a_worker_of_its_id_that_fetches_its_inputs_and_maps_its_outputs(run):
    content = MODEL.replace(b"<camunda:connectorId>http-connector", b"<camunda:connectorId>mail-send")
    instance = run("camunda7_details.bpmn", content, process_id="c7_shipment", **ORDER)
    instance.complete("Task_pack")

    [task] = external.waiting(instance.execution)
    assert (task.element_id, task.topic) == ("Task_book", "mail-send")
    assert task.variables["url"] == "http://127.0.0.1:{{port}}/pickups"
    assert task.variables["headers"] == {"Content-Type": "application/json", "X-Carrier": "DHL"}
    external.complete(instance.execution, task.task_id, {"response": {"sent": True}})

    assert instance.execution.variables["pickup"] == {"sent": True}  # output pickup = ${response}


def test_a_message_throw_with_a_constant_expression_throws_its_message(parse):
    content = MODEL.replace(b'camunda:type="external" camunda:topic="notify-customer"',
                            b'messageRef="Message_notify" camunda:expression="Interrupt!"').replace(
        b"</bpmn:definitions>", b'<bpmn:message id="Message_notify" name="notify" /></bpmn:definitions>')

    [shipment, _] = parse("camunda7_details.bpmn", content)

    assert "action" not in shipment.spec_dict["spec"]["task_specs"]["Event_notify"]


def test_the_http_connector_keeps_the_model_json_free_of_the_connector(parse):
    [shipment, _] = parse("camunda7_details.bpmn")

    action = shipment.spec_dict["spec"]["task_specs"]["Task_book"]["action"]
    assert action["kind"] == "http" and json.dumps(action).count("connector") == 0
