"""/decisions: the DMN decisions deployed with processes, evaluated over the API."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

DATA = Path(__file__).parents[1] / "data"
EVALUATE = "/api/v1/decisions/{decision_id}/evaluate"


@pytest.fixture
def deployed(deploy):
    deploy("decisions.bpmn", "discounts.dmn")  # price_band (UNIQUE), discounts (COLLECT)
    deploy("shipping_rules.bpmn", "dmn12_shipping.dmn")  # shipping_12 (FIRST)


def _evaluate(client, headers, decision_id, variables):
    return client.post(f"/api/v1/decisions/{decision_id}/evaluate", json={"variables": variables}, headers=headers)


def test_list_decisions(client, admin, deployed, as_documented):
    response = client.get("/api/v1/decisions", headers=admin)
    page = as_documented(response, "/api/v1/decisions", "get")
    assert [(d["id"], d["hit_policy"], d["process_key"]) for d in page["items"]] == [
        ("discounts", "COLLECT", "pricing"), ("price_band", "UNIQUE", "pricing"), ("shipping_12", "FIRST", "ship_by_dmn12")]
    assert page["items"][1]["inputs"] == ["Amount"] and page["items"][1]["outputs"] == ["band"]
    assert page["next_cursor"] is None


def test_decisions_page_by_cursor(client, admin, deployed):
    first = client.get("/api/v1/decisions?limit=2", headers=admin).get_json()
    rest = client.get(f"/api/v1/decisions?limit=2&after={first['next_cursor']}", headers=admin).get_json()
    assert [d["id"] for d in first["items"] + rest["items"]] == ["discounts", "price_band", "shipping_12"]
    assert rest["next_cursor"] is None


def test_evaluate_a_unique_decision(client, admin, deployed, as_documented):
    response = _evaluate(client, admin, "price_band", {"amount": 250})
    body = as_documented(response, EVALUATE, "post")
    assert body["matched_rules"] == [{"id": "band_large", "row": 2, "outputs": {"band": "large"}}]
    assert body["result"] == [{"band": "large"}]


def test_evaluate_a_collect_decision(client, admin, deployed):
    body = _evaluate(client, admin, "discounts", {"amount": 1500, "member": True}).get_json()
    assert [r["id"] for r in body["matched_rules"]] == ["discount_member", "discount_bulk"]
    assert body["result"] == [{"discount": "member"}, {"discount": "bulk"}]


def test_first_hit_answers_one_rule(client, admin, deployed):
    assert _evaluate(client, admin, "shipping_12", {"weight": 3}).get_json()["result"] == [{"shipping": "parcel"}]


def test_no_rule_matches(client, admin, deploy):
    deploy("decisions.bpmn", "discounts.dmn")
    body = _evaluate(client, admin, "discounts", {"amount": 10, "member": None}).get_json()
    assert body == {"decision_id": "discounts", "hit_policy": "COLLECT", "matched_rules": [], "result": []}


def test_the_latest_version_answers(client, admin, deploy):
    deploy("decisions.bpmn", "discounts.dmn")
    changed = (DATA / "discounts.dmn").read_bytes().replace(b'"large"', b'"huge"')
    files = [((DATA / "decisions.bpmn").open("rb"), "decisions.bpmn"), (io.BytesIO(changed), "discounts.dmn")]
    assert client.post("/api/v1/definitions", data={"file": files}, headers=admin,
                       content_type="multipart/form-data").status_code == 201
    assert _evaluate(client, admin, "price_band", {"amount": 250}).get_json()["result"] == [{"band": "huge"}]


def test_unknown_decision_is_404(client, admin, deployed, as_documented):
    response = _evaluate(client, admin, "nope", {})
    assert response.status_code == 404
    assert as_documented(response, EVALUATE, "post")["code"] == "not_found"
    assert client.get("/api/v1/decisions/nope", headers=admin).status_code == 404


def test_a_rule_that_cannot_be_evaluated_is_422(client, admin, deployed, as_documented):
    response = _evaluate(client, admin, "price_band", {})  # 'amount' is missing
    assert response.status_code == 422
    body = as_documented(response, EVALUATE, "post")
    assert body["code"] == "execution_failed" and "amount" in body["detail"]


def test_variables_must_be_an_object(client, admin, deployed, as_documented):
    response = client.post("/api/v1/decisions/price_band/evaluate", json={"variables": [1]}, headers=admin)
    assert response.status_code == 422
    assert as_documented(response, EVALUATE, "post")["code"] == "invalid_input"


def test_agents_may_not_evaluate(client, deployed, make_user):
    response = _evaluate(client, make_user("ann", "agent"), "price_band", {"amount": 1})
    assert response.status_code == 403
