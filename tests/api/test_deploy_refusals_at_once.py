"""A refused deploy answers every stage's errors at once: scripts, properties and the parser's."""

from pathlib import Path

import pytest

DATA = Path(__file__).parent.parent / "data"
PROBLEM = "application/problem+json"


@pytest.fixture
def upload(client, admin):
    def post(*names: str):
        files = [((DATA / name).open("rb"), name) for name in names]
        return client.post("/api/v1/definitions", data={"file": files}, headers=admin,
                           content_type="multipart/form-data")
    return post


def _refusal(response) -> list[dict]:
    assert response.status_code == 422 and response.mimetype == PROBLEM, response.get_json()
    body = response.get_json()
    assert body["code"] == "invalid_model"
    for error in body["errors"]:
        assert set(error) == {"file", "line", "element_id", "message"}
    return body["errors"]


def test_a_script_error_does_not_hide_the_property_and_parser_errors_of_its_file(upload):
    errors = _refusal(upload("refused_at_every_stage.bpmn"))
    found = [(e["element_id"], e["message"].split(":")[0]) for e in errors]
    assert found == [
        ("groovy_script", "refused script"),
        ("review", "property 'assignment' of task 'review'"),
        ("review", "property 'sla' of task 'review'"),
        ("call_nothing", 'No "calledElement" attribute for Call Activity.'),
    ]
    assert all(e["file"] == "refused_at_every_stage.bpmn" and e["line"] > 0 for e in errors)
    assert len({e["line"] for e in errors}) == 4  # each where it is written


def test_a_file_that_parsed_is_still_built_beside_a_refused_one(upload, client, admin):
    errors = _refusal(upload("bad_ticket_properties.bpmn", "call_names_nothing.bpmn", "case_review.bpmn"))
    assert len([e for e in errors if e["file"] == "bad_ticket_properties.bpmn"]) == 11
    [built] = [e for e in errors if e["file"] == "call_names_nothing.bpmn"]
    assert built["element_id"] == "call_without_element" and "calledElement" in built["message"]
    assert {e["file"] for e in errors} == {"bad_ticket_properties.bpmn", "call_names_nothing.bpmn"}
    assert client.get("/api/v1/definitions", headers=admin).get_json()["items"] == []


def test_an_expression_refused_once_is_reported_once(upload):
    # bad_ticket_properties' sla expression fails translation and the property check alike.
    errors = _refusal(upload("bad_ticket_properties.bpmn"))
    assert len([e for e in errors if e["element_id"] == "sla_expression"]) == 1
