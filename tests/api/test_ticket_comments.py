"""Comments on tickets: posting, listing, the author's edit window, soft deletion."""

from datetime import datetime, timedelta, timezone

import pytest

PROBLEM = "application/problem+json"
T0 = datetime(2030, 1, 1, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def ticket(deploy, start):
    """The open `first` ticket of a fresh two_step instance (candidate group agents)."""
    deploy("two_step.bpmn")
    return start("two_step")["open_tickets"][0]


@pytest.fixture
def bob(make_user):
    return make_user("bob", "agent", "agents")


def _url(ticket_id, comment_id=None):
    return f"/api/v1/tickets/{ticket_id}/comments" + (f"/{comment_id}" if comment_id else "")


def _comment(client, headers, ticket_id, body="hello", **extra):
    response = client.post(_url(ticket_id), json={"body": body, **extra}, headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def _comments(client, headers, ticket_id):
    response = client.get(_url(ticket_id), headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["items"]


def _timeline_actions(client, headers, ticket_id):
    items = client.get(f"/api/v1/tickets/{ticket_id}/progressions", headers=headers).get_json()["items"]
    return [i["action"] for i in items]


def test_comment_is_listed_with_author_and_private_by_default(client, ticket, bob):
    posted = _comment(client, bob, ticket["id"], "called the customer")
    assert (posted["author"], posted["body"], posted["public"], posted["deleted"]) == (
        "bob", "called the customer", False, False)
    assert _comments(client, bob, ticket["id"]) == [posted]


def test_public_comment_keeps_its_flag(client, ticket, bob):
    assert _comment(client, bob, ticket["id"], "we are on it", public=True)["public"] is True


def test_comment_appears_in_the_timeline(client, ticket, bob):
    posted = _comment(client, bob, ticket["id"])
    steps = client.get(f"/api/v1/tickets/{ticket['id']}/progressions", headers=bob).get_json()["items"]
    assert steps[-1]["action"] == "commented"
    assert steps[-1]["performed_by"] == "bob"
    assert steps[-1]["metadata"]["comment_id"] == posted["id"]
    assert (steps[-1]["previous_status"], steps[-1]["new_status"]) == ("open", "open")


def test_comments_page_in_posting_order(client, runtime, ticket, bob):
    ids = []
    for n in range(3):
        runtime.clock = lambda n=n: T0 + timedelta(seconds=n)
        ids.append(_comment(client, bob, ticket["id"], f"note {n}")["id"])
    first = client.get(_url(ticket["id"]) + "?limit=2", headers=bob).get_json()
    rest = client.get(_url(ticket["id"]) + f"?limit=2&after={first['next_cursor']}", headers=bob).get_json()
    assert [c["id"] for c in first["items"] + rest["items"]] == ids
    assert rest["next_cursor"] is None


def test_author_edits_within_the_window(client, runtime, ticket, bob):
    runtime.clock = lambda: T0
    posted = _comment(client, bob, ticket["id"], "typo")
    runtime.clock = lambda: T0 + timedelta(minutes=14, seconds=59)
    edited = client.patch(_url(ticket["id"], posted["id"]), json={"body": "fixed"}, headers=bob)
    assert edited.status_code == 200
    assert edited.get_json()["body"] == "fixed"
    assert edited.get_json()["edited_at"].startswith("2030-01-01T09:14:59")
    assert _timeline_actions(client, bob, ticket["id"])[-1] == "comment_edited"


def test_edit_after_the_window_is_409_and_changes_nothing(client, runtime, ticket, bob):
    runtime.clock = lambda: T0
    posted = _comment(client, bob, ticket["id"], "final words")
    runtime.clock = lambda: T0 + timedelta(minutes=15, seconds=1)
    late = client.patch(_url(ticket["id"], posted["id"]), json={"body": "changed"}, headers=bob)
    assert late.status_code == 409
    assert late.mimetype == PROBLEM
    assert "15 minutes" in late.get_json()["detail"]
    assert _comments(client, bob, ticket["id"])[0]["body"] == "final words"


def test_only_the_author_may_edit(client, admin, ticket, bob, make_user):
    posted = _comment(client, bob, ticket["id"], "mine")
    carl = make_user("carl", "agent", "agents")
    for other in (carl, admin):
        response = client.patch(_url(ticket["id"], posted["id"]), json={"body": "theirs"}, headers=other)
        assert response.status_code == 403
        assert response.mimetype == PROBLEM
    assert _comments(client, bob, ticket["id"])[0]["body"] == "mine"


def test_author_deletes_softly(client, ticket, bob):
    posted = _comment(client, bob, ticket["id"], "oops")
    assert client.delete(_url(ticket["id"], posted["id"]), headers=bob).status_code == 204
    [listed] = _comments(client, bob, ticket["id"])
    assert listed["id"] == posted["id"]
    assert (listed["deleted"], listed["body"]) == (True, None)
    assert listed["deleted_at"] is not None
    assert _timeline_actions(client, bob, ticket["id"])[-2:] == ["commented", "comment_deleted"]


def test_deleting_twice_changes_nothing(client, ticket, bob):
    posted = _comment(client, bob, ticket["id"])
    client.delete(_url(ticket["id"], posted["id"]), headers=bob)
    before = _comments(client, bob, ticket["id"])
    assert client.delete(_url(ticket["id"], posted["id"]), headers=bob).status_code == 204
    assert _comments(client, bob, ticket["id"]) == before
    assert _timeline_actions(client, bob, ticket["id"]).count("comment_deleted") == 1


def test_deleted_comment_cannot_be_edited(client, ticket, bob):
    posted = _comment(client, bob, ticket["id"])
    client.delete(_url(ticket["id"], posted["id"]), headers=bob)
    response = client.patch(_url(ticket["id"], posted["id"]), json={"body": "back"}, headers=bob)
    assert response.status_code == 409
    assert _comments(client, bob, ticket["id"])[0]["body"] is None


def test_admin_may_delete_anyones_comment(client, admin, ticket, bob):
    posted = _comment(client, bob, ticket["id"])
    assert client.delete(_url(ticket["id"], posted["id"]), headers=admin).status_code == 204
    assert _comments(client, bob, ticket["id"])[0]["deleted"] is True


def test_other_agent_may_not_delete(client, ticket, bob, make_user):
    posted = _comment(client, bob, ticket["id"], "stays")
    response = client.delete(_url(ticket["id"], posted["id"]), headers=make_user("carl", "agent", "agents"))
    assert response.status_code == 403
    assert _comments(client, bob, ticket["id"])[0]["body"] == "stays"


def test_outsider_cannot_read_or_write_comments(client, ticket, bob, make_user):
    posted = _comment(client, bob, ticket["id"])
    eve = make_user("eve", "agent", "finance")
    assert client.get(_url(ticket["id"]), headers=eve).status_code == 404
    assert client.post(_url(ticket["id"]), json={"body": "hi"}, headers=eve).status_code == 404
    assert client.patch(_url(ticket["id"], posted["id"]), json={"body": "x"}, headers=eve).status_code == 404
    assert client.delete(_url(ticket["id"], posted["id"]), headers=eve).status_code == 404
    assert len(_comments(client, bob, ticket["id"])) == 1


@pytest.mark.parametrize("body", [
    {}, {"body": ""}, {"body": 5}, {"body": None}, {"body": "x" * 10001}, {"body": "ok", "public": "maybe"},
    {"body": "ok", "author": "mallory"},
])
def test_malformed_comment_is_422_and_changes_nothing(client, admin, ticket, body):
    response = client.post(_url(ticket["id"]), json=body, headers=admin)
    assert response.status_code == 422
    assert response.mimetype == PROBLEM
    assert _comments(client, admin, ticket["id"]) == []
    assert _timeline_actions(client, admin, ticket["id"]) == ["created"]


def test_blank_comment_is_422(client, admin, ticket):
    response = client.post(_url(ticket["id"]), json={"body": "   "}, headers=admin)
    assert response.status_code == 422
    assert "body" in response.get_json()["errors"]


def test_malformed_edit_is_422_and_changes_nothing(client, ticket, bob):
    posted = _comment(client, bob, ticket["id"], "same")
    for body in ({}, {"body": ""}, {"body": ["x"]}, {"body": "x", "public": True}):
        response = client.patch(_url(ticket["id"], posted["id"]), json=body, headers=bob)
        assert response.status_code == 422
        assert response.mimetype == PROBLEM
    assert _comments(client, bob, ticket["id"])[0]["body"] == "same"


def test_unknown_ticket_or_comment_is_404(client, admin, ticket, deploy, start):
    posted = _comment(client, admin, ticket["id"])
    other = start("two_step")["open_tickets"][0]
    for response in (
        client.post(_url("nope"), json={"body": "x"}, headers=admin),
        client.get(_url("nope"), headers=admin),
        client.patch(_url(ticket["id"], "nope"), json={"body": "x"}, headers=admin),
        client.delete(_url(ticket["id"], "nope"), headers=admin),
        # A comment is only reachable under its own ticket.
        client.delete(_url(other["id"], posted["id"]), headers=admin),
    ):
        assert response.status_code == 404
        assert response.mimetype == PROBLEM
    assert _comments(client, admin, ticket["id"])[0]["deleted"] is False


def test_bad_paging_is_422(client, admin, ticket):
    assert client.get(_url(ticket["id"]) + "?limit=0", headers=admin).status_code == 422
    response = client.get(_url(ticket["id"]) + "?after=garbage", headers=admin)
    assert response.status_code == 422
    assert response.mimetype == PROBLEM
