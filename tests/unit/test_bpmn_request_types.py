"""What a model says about being requested: bpmn.request_types reads it from the deployed source."""

from pathlib import Path

from flowdesk.bpmn.request_types import request_spec

DATA = Path(__file__).parents[1] / "data"
EXAMPLES = Path(__file__).parents[2] / "examples"
REQUESTABLE = (DATA / "requestable.bpmn").read_bytes()


def _one(process: str, start: str = "", properties: str = "", tasks: str = "") -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="t">
  <bpmn:process id="p" name="Plain name" isExecutable="true">
    <bpmn:extensionElements><camunda:properties>{properties}</camunda:properties></bpmn:extensionElements>
    {process}
    <bpmn:startEvent id="s" {start}><bpmn:outgoing>f</bpmn:outgoing></bpmn:startEvent>
    {tasks}
  </bpmn:process>
</bpmn:definitions>""".encode()


def test_a_process_without_the_property_is_no_request_type():
    assert request_spec(REQUESTABLE, "internal_audit") is None
    assert request_spec(_one(""), "p") is None


def test_an_unknown_process_is_no_request_type():
    assert request_spec(REQUESTABLE, "nothing_like_it") is None


def test_the_property_on_the_process_makes_it_requestable_with_its_own_name():
    spec = request_spec(_one("", properties='<camunda:property name="requestable" value="true" />'), "p")
    assert (spec.name, spec.description, spec.groups, spec.form, spec.cancel) == ("Plain name", None, (), None, None)
    assert (spec.subject_field, spec.closed_stage, spec.public_variables) == ("subject", "Closed", ())


def test_the_property_false_is_not_requestable():
    assert request_spec(_one("", properties='<camunda:property name="requestable" value="false" />'), "p") is None


def test_the_start_event_properties_and_a_json_schema_form():
    spec = request_spec(REQUESTABLE, "order_laptop")
    assert spec.name == "Order a laptop" and spec.description == "A new laptop for work."
    assert spec.groups == ("acme",)
    assert spec.cancel == ("signal", "withdraw_order")
    assert spec.subject_field == "model"
    assert spec.form == {"key": None, "fields": [], "schema_file": "laptop-schema.json", "ui_schema_file": None,
                         "free_data": False}


def test_camunda_form_data_stages_and_public_variables_of_the_example():
    spec = request_spec((EXAMPLES / "it_support.bpmn").read_bytes(), "it_support")
    assert [f["id"] for f in spec.form["fields"]] == ["subject", "category", "details"]
    assert [o["id"] for o in spec.form["fields"][1]["options"]] == ["hardware", "software", "access"]
    assert spec.public_variables == ("subject", "category", "details", "resolution")
    assert spec.cancel == ("message", "cancel_request")
    assert spec.stages == {"triage": "Received", "resolve": "In progress", "confirm": "Waiting for your confirmation"}


def test_a_form_key_and_a_task_without_a_stage_property_stands_for_its_name():
    spec = request_spec(_one("", start='camunda:formKey="deployment:laptop-schema"',
                             properties='<camunda:property name="requestable" value="yes" />',
                             tasks='<bpmn:userTask id="t" name="Call back" /><bpmn:manualTask id="m" />'), "p")
    assert spec.form["key"] == "deployment:laptop-schema"
    assert spec.stages == {"t": "Call back", "m": "m"}


def test_a_cancel_message_wins_over_a_cancel_signal():
    spec = request_spec(_one("", properties='<camunda:property name="requestable" value="true" />'
                                            '<camunda:property name="cancelSignal" value="sig" />'
                                            '<camunda:property name="cancelMessage" value="msg" />'), "p")
    assert spec.cancel == ("message", "msg")


def test_only_a_plain_start_event_is_a_request_form():
    source = _one('<bpmn:startEvent id="timer"><bpmn:timerEventDefinition /></bpmn:startEvent>',
                  properties='<camunda:property name="requestable" value="true" />')
    spec = request_spec(source, "p")
    assert spec is not None  # the plain start "s" is still there
    only_timer = source.replace(b'<bpmn:startEvent id="s" ><bpmn:outgoing>f</bpmn:outgoing></bpmn:startEvent>', b"")
    assert only_timer != source
    assert request_spec(only_timer, "p") is None
