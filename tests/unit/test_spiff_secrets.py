"""SpiffArena's ``SPIFF_SECRET:<name>`` in connector parameters becomes a flowdesk secret reference."""

import base64
from pathlib import Path

import pytest

from flowdesk.bpmn import ExecutionError, ModelError, connectors
from flowdesk.engine.process import job_credentials
from flowdesk.engine.store.keys import SecretBox

DATA = Path(__file__).resolve().parents[1] / "data"
SECRETS_MODEL = (DATA / "spiffarena_secrets.bpmn").read_bytes()
HTTP_MODEL = (DATA / "spiffarena_http.bpmn").read_bytes()
ORDERS = {"orders_url": "http://shop.example/orders", "status": "open", "api_user": "sync", "api_password": "pw"}
BOX = SecretBox(b"k" * 32)


def test_query_parameters_and_basic_auth_name_the_secrets_for_the_worker(run):
    [get] = run("spiffarena_secrets.bpmn", orders_url="http://shop.example/orders").execution.pending_actions()

    assert get.url == "http://shop.example/orders?status=open&shop={{secret:shop_id}}"
    assert get.headers["Authorization"] == "{{basic}}sync:{{secret:orders_api_password}}"
    assert "SPIFF_SECRET" not in repr(get)


def test_a_constant_header_names_its_secret_from_deploy_on(parse):
    [process] = parse("spiffarena_secrets.bpmn")

    action = process.spec_dict["spec"]["task_specs"]["Activity_post_count"]["action"]
    assert action["headers"] == {"Authorization": "Bearer {{secret:reports_token}}"}


@pytest.mark.parametrize(("variable", "typed"), [
    ("api_password", "SPIFF_SECRET:orders_pw"),
    ("api_password", "{{secret:orders_pw}}"),
    ("orders_url", "https://shop.example/{{ secret:shop_host }}/orders"),
    ("status", "SPIFF_SECRET:shop_host"),
])
def test_a_secret_named_in_the_task_data_fails_the_task_instead_of_being_sent(run, variable, typed):
    # Task data is what people typed (a form, a message): naming a secret there must not make the
    # worker send it to wherever the call goes.
    instance = run("spiffarena_http.bpmn", **{**ORDERS, variable: typed})

    with pytest.raises(ExecutionError) as failed:
        instance.execution.pending_actions()

    assert failed.value.element_id == "Activity_get_orders"
    assert "which its expression in the model does not" in failed.value.message


def test_basic_auth_without_a_secret_is_encoded_at_once(run):
    [get] = run("spiffarena_http.bpmn", **ORDERS).execution.pending_actions()

    assert get.headers["Authorization"] == "Basic " + base64.b64encode(b"sync:pw").decode()


def test_a_name_no_flowdesk_secret_can_have_fails_the_task_naming_it(run):
    content = SECRETS_MODEL.replace(b"SPIFF_SECRET:orders_api_password", "SPIFF_SECRET:mot_de_passé".encode())
    instance = run("spiffarena_secrets.bpmn", content, orders_url="http://shop.example/orders")

    with pytest.raises(ExecutionError) as failed:
        instance.execution.pending_actions()

    assert "SPIFF_SECRET:mot_de_passé" in failed.value.message


def test_a_secret_in_the_data_parameter_is_refused_at_deploy(parse):
    content = SECRETS_MODEL.replace(b'len(orders[&#34;body&#34;][&#34;items&#34;])', b'&#34;SPIFF_SECRET:pw&#34;')

    with pytest.raises(ModelError) as refused:
        parse("spiffarena_secrets.bpmn", content)

    [issue] = refused.value.issues
    assert issue.element_id == "Activity_post_count"
    assert connectors.NO_SECRET_IN_DATA in issue.message


def test_a_body_carrying_a_secret_from_the_task_data_fails_the_task(run):
    content = SECRETS_MODEL.replace(b'len(orders[&#34;body&#34;][&#34;items&#34;])', b'note')
    instance = run("spiffarena_secrets.bpmn", content, orders_url="http://shop.example/orders",
                   note="SPIFF_SECRET:pw")
    [get] = instance.execution.pending_actions()
    instance.execution.complete_action(get.task_id, {"body": {"items": []}}, get.result_variable)

    with pytest.raises(ExecutionError) as failed:
        instance.execution.pending_actions()

    assert failed.value.element_id == "Activity_post_count"
    assert connectors.NO_SECRET_IN_DATA in failed.value.message


def test_basic_auth_with_a_secret_is_stored_sealed_around_the_reference():
    _, headers, _ = job_credentials.seal_request(
        BOX, "https://x.example", {"Authorization": "{{basic}}sync:{{secret:orders_pw}}"}, None)

    stored = headers["Authorization"]
    assert stored.startswith("{{basic}}{{sealed:") and stored.endswith("}}{{secret:orders_pw}}")
    assert "sync" not in stored
    assert job_credentials.shown(stored) == "{{basic}}***{{secret:orders_pw}}"


def test_the_worker_encodes_basic_auth_once_the_secret_is_in_place():
    _, headers, _ = job_credentials.seal_request(
        BOX, "https://x.example", {"Authorization": "{{basic}}sync:{{secret:orders_pw}}"}, None)
    resolved = headers["Authorization"].replace("{{secret:orders_pw}}", "vault-pw")  # as secrets.resolve does
    used = []

    sent = job_credentials.open_basic(job_credentials.open_text(BOX, resolved, used), used)

    assert sent == "Basic " + base64.b64encode(b"sync:vault-pw").decode()
    assert {sent, "sync:vault-pw", "vault-pw"} <= set(used)  # what the worker scrubs from echoes
