"""SpiffArena http/* connectors become HTTP actions whose parameters are read from the task data."""

import base64
from pathlib import Path

import pytest

from flowdesk.bpmn import ExecutionError, ModelError, connectors, external

MODEL = (Path(__file__).resolve().parents[1] / "data" / "spiffarena_http.bpmn").read_bytes()

ORDERS = {"orders_url": "http://shop.example/orders", "status": "open", "api_user": "sync", "api_password": "pw"}


def test_a_get_request_reads_its_url_params_and_basic_auth_from_the_variables(run):
    instance = run("spiffarena_http.bpmn", **ORDERS)

    [call] = instance.execution.pending_actions()

    assert (call.element_id, call.method) == ("Activity_get_orders", "GET")
    assert call.url == "http://shop.example/orders?status=open"
    assert call.headers == {"Accept": "application/json",
                            "Authorization": "Basic " + base64.b64encode(b"sync:pw").decode()}
    assert call.body is None
    assert (call.result_variable, call.retries) == ("orders", 1)  # attempts="2": one retry


def test_a_post_request_sends_its_data_expression_as_the_body(run):
    instance = run("spiffarena_http.bpmn", **ORDERS)
    [get] = instance.execution.pending_actions()
    result = connectors.spiffarena_result("http/GetRequestV2", 200, "application/json", '{"items": [{"id": 1}, {"id": 2}]}')
    instance.execution.complete_action(get.task_id, result, get.result_variable)

    [post] = instance.execution.pending_actions()

    assert (post.method, post.url) == ("POST", "http://127.0.0.1:{{port}}/reports")
    assert post.body == {"open": 2}
    assert "Authorization" not in post.headers  # its auth parameters are empty


def test_a_url_variable_that_is_not_a_string_fails_the_task_naming_it(run):
    instance = run("spiffarena_http.bpmn", **{**ORDERS, "orders_url": 42})

    with pytest.raises(ExecutionError) as failed:
        instance.execution.pending_actions()

    assert failed.value.element_id == "Activity_get_orders"
    assert "orders_url" in failed.value.message


def test_the_corpus_model_deploys_its_get_requests_as_http_actions(parse_files):
    processes = parse_files("service-task-error-strategies.bpmn", "strategy-details.dmn")

    specs = processes[0].spec_dict["spec"]["task_specs"]
    assert {specs[name]["action"]["kind"] for name in ("Activity_0baloxq", "Activity_1brxl2s")} == {"http"}


@pytest.mark.parametrize(("old", "new", "says"), [
    (b'<spiffworkflow:parameter id="url" type="str" value="orders_url" />', b"",
     "http/GetRequestV2 needs a 'url' parameter"),
    (b'id="attempts" type="int" value="2"', b'id="attempts" type="int" value="many"',
     "attempts 'many' must be a whole number from 1 to 20"),
    (b'id="params"', b'id="timeout_seconds"', "http/GetRequestV2 has no parameter 'timeout_seconds'"),
    (b'value="api_user"', b'value="__import__(&#39;os&#39;).environ"',
     "http/GetRequestV2 parameter 'basic_auth_username' is refused"),
])
def test_what_a_connector_cannot_do_is_refused_at_deploy(parse, old, new, says):
    content = MODEL.replace(old, new)

    with pytest.raises(ModelError) as refused:
        parse("spiffarena_http.bpmn", content)

    [issue] = refused.value.issues
    assert issue.element_id == "Activity_get_orders" and issue.line == 8
    assert says in issue.message


def test_an_other_connector_is_a_worker_of_its_name_that_fetches_its_parameters_evaluated(run):
    content = MODEL.replace(b'"http/GetRequestV2"', b'"aws/AddDynamoItem"')
    instance = run("spiffarena_http.bpmn", content, **ORDERS)

    [task] = external.waiting(instance.execution)

    assert (task.element_id, task.topic) == ("Activity_get_orders", "aws/AddDynamoItem")
    assert task.variables["url"] == "http://shop.example/orders"  # the parameter url="orders_url"
    assert task.variables["params"] == {"status": "open"}
    assert "url" not in instance.execution.variables  # parameters are not process variables


def test_a_topic_property_names_the_worker_of_an_other_connector(parse):
    content = MODEL.replace(b'"http/GetRequestV2"', b'"aws/AddDynamoItem"').replace(
        b'<spiffworkflow:serviceTaskOperator id="aws/AddDynamoItem"',
        b'<spiffworkflow:properties><spiffworkflow:property name="topic" value="dynamo" /></spiffworkflow:properties>'
        b'<spiffworkflow:serviceTaskOperator id="aws/AddDynamoItem"')

    [process] = parse("spiffarena_http.bpmn", content)

    action = process.spec_dict["spec"]["task_specs"]["Activity_get_orders"]["action"]
    assert (action["kind"], action["topic"]) == ("external", "dynamo")


def test_a_connector_call_keeps_what_spiffarena_gives_its_result_variable(run):
    [get] = run("spiffarena_http.bpmn", **ORDERS).execution.pending_actions()

    assert get.result_shape == {"kind": "spiffarena", "operator": "http/GetRequestV2"}
    assert get.errors == {"4xx": "ServiceTaskHttpError{status}", "5xx": "ServiceTaskHttpError{status}"}


def test_a_json_answer_is_the_parsed_body_with_its_status():
    result = connectors.spiffarena_result("http/GetRequestV2", 200, "application/json; charset=utf-8", '{"a": [1]}')

    assert result == {"body": {"a": [1]}, "mimetype": "application/json", "http_status": 200,
                      "operator_identifier": "http/GetRequestV2"}


def test_an_xml_answer_is_parsed_as_xmltodict_does():
    text = '<order id="7"><item>a</item><item>b</item><note lang="en">hi</note></order>'

    body = connectors.spiffarena_result("http/GetRequest", 200, "text/xml", text)["body"]

    assert body == {"order": {"@id": "7", "item": ["a", "b"], "note": {"@lang": "en", "#text": "hi"}}}


def test_any_other_answer_is_kept_as_its_raw_text():
    body = connectors.spiffarena_result("http/GetRequestV2", 200, "text/html", "<p>hi</p>")["body"]

    assert body == {"raw_response": "<p>hi</p>"}


def test_a_json_answer_that_is_not_json_cannot_be_a_result():
    with pytest.raises(ValueError, match="cannot be parsed"):
        connectors.spiffarena_result("http/GetRequestV2", 200, "application/json", "{oops")
