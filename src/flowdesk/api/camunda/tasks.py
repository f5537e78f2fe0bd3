"""/engine-rest/task: the inbox as Camunda's task API (list, count, read, claim, assign, complete, comment).

A Camunda task is a flowdesk ticket that is still to be done (open, claimed or waiting). Lists
page by ``firstResult``/``maxResults``, oldest first.
"""

from __future__ import annotations

from flask import Blueprint, current_app, g, jsonify, request
from sqlalchemy import inspect

from ...engine.models.ticket import ACTIVE_STATUSES
from ...engine.process import instance_queries
from ...engine.store import paging
from ...engine.store.errors import InvalidInput
from ...engine.work import comments, delegation, inbox, tickets
from .params import body, field, page
from .variables import camunda_date, from_flowdesk, to_flowdesk

bp = Blueprint("task", __name__, url_prefix="/task")

DEFAULT_PRIORITY = 50  # Camunda's, for a task the model gives none


def _runtime():
    return current_app.extensions["flowdesk"]


def _loaded(row, name: str):
    """An attribute the query loaded, or None (the inbox leaves long texts unloaded)."""
    return None if name in inspect(row).unloaded else getattr(row, name)


def task_dto(ticket, definition_id: str | None = None) -> dict:
    return {
        "id": ticket.id, "name": ticket.name, "assignee": ticket.assignee, "owner": ticket.owner,
        "created": camunda_date(ticket.created_at), "lastUpdated": None, "due": camunda_date(ticket.due_at),
        "followUp": None, "delegationState": ticket.delegation_state.upper() if ticket.delegation_state else None,
        "description": _loaded(ticket, "documentation"), "executionId": ticket.task_id, "parentTaskId": None,
        "priority": ticket.priority if ticket.priority is not None else DEFAULT_PRIORITY,
        "processDefinitionId": definition_id, "processInstanceId": ticket.instance_id,
        "taskDefinitionKey": ticket.element_id, "caseExecutionId": None, "caseInstanceId": None,
        "caseDefinitionId": None, "suspended": ticket.status == "waiting", "formKey": None,
        "camundaFormRef": None, "tenantId": ticket.tenant_id,
    }


def _flag(source, name: str) -> bool:
    value = source.get(name)
    return value is True or (isinstance(value, str) and value.lower() == "true")


def _queries(source) -> list[inbox.InboxQuery]:
    """The inbox queries of a Camunda task query (query parameters, or the body of POST /task)."""
    def text(name: str) -> str | None:
        value = source.get(name)
        if value is not None and not isinstance(value, str):
            raise InvalidInput(f"'{name}' must be text", {name: ["text"]})
        return value

    assignee = text("assignee")
    statuses = list(ACTIVE_STATUSES)
    if _flag(source, "unassigned"):
        statuses = ["open"]
    elif assignee or _flag(source, "assigned"):
        statuses = ["claimed", "waiting"]
    common = dict(assignee=assignee, candidate_group=text("candidateGroup"),
                  process_key=text("processDefinitionKey"), instance_id=text("processInstanceId"),
                  element_id=text("taskDefinitionKey"), business_key=text("processInstanceBusinessKey"),
                  q=(text("nameLike") or "").strip("%") or None)
    return [inbox.InboxQuery(status=status, **common) for status in statuses]


def _matching(source, enough: int | None) -> list:
    """Tickets of every open status, oldest first, at least ``enough`` of them when there are (None: all)."""
    found = []
    for query in _queries(source):
        cursor, taken = None, 0
        while True:
            got = inbox.list_tickets(_runtime(), g.principal, query, after=cursor, limit=paging.MAX_LIMIT)
            found.extend(got.items)
            taken += len(got.items)
            cursor = got.next_cursor
            if cursor is None or (enough is not None and taken >= enough):
                break
    return sorted(found, key=lambda t: (t.created_at, t.id))


def _dtos(tickets_: list) -> list[dict]:
    definitions = instance_queries.definition_ids(_runtime(), [t.instance_id for t in tickets_])
    return [task_dto(t, definitions.get(t.instance_id)) for t in tickets_]


def _page_of(source):
    first, limit = page()
    rows = _matching(source, None if limit is None else first + limit)
    return jsonify(_dtos(rows[first:None if limit is None else first + limit]))


@bp.get("")
def list_tasks():
    return _page_of(request.args)


@bp.post("")
def query_tasks():
    """The same query with its filters in a JSON body (paging stays in the query string)."""
    return _page_of(body())


@bp.get("/count")
def count_tasks():
    return jsonify({"count": len(_matching(request.args, None))})


@bp.post("/count")
def count_tasks_by_body():
    return jsonify({"count": len(_matching(body(), None))})


@bp.get("/<task_id>")
def get_task(task_id):
    return jsonify(_dtos([tickets.get_ticket(_runtime(), g.principal, task_id)])[0])


@bp.get("/<task_id>/form-variables")
@bp.get("/<task_id>/variables")
def form_variables(task_id):
    ticket = tickets.get_ticket(_runtime(), g.principal, task_id)
    names = request.args.get("variableNames")
    return jsonify(from_flowdesk(ticket.data, names.split(",") if names else None))


def _user_id(data: dict, required: bool = True) -> str | None:
    return field(data, "userId", str, required=required)


@bp.post("/<task_id>/claim")
def claim(task_id):
    """Claim for yourself; naming another user assigns to them (who may do that is flowdesk's rule)."""
    user = _user_id(body())
    if user == g.principal.name:
        tickets.claim(_runtime(), g.principal, task_id)
    else:
        delegation.assign(_runtime(), g.principal, task_id, user)
    return "", 204


@bp.post("/<task_id>/unclaim")
def unclaim(task_id):
    tickets.unclaim(_runtime(), g.principal, task_id)
    return "", 204


@bp.post("/<task_id>/assignee")
def set_assignee(task_id):
    user = _user_id(body(), required=False)
    if user is None:
        tickets.unclaim(_runtime(), g.principal, task_id)
    elif user == g.principal.name:
        tickets.claim(_runtime(), g.principal, task_id)
    else:
        delegation.assign(_runtime(), g.principal, task_id, user)
    return "", 204


@bp.post("/<task_id>/complete")
@bp.post("/<task_id>/submit-form")
def complete(task_id):
    """Complete with typed variables: 204, or 200 with the instance's variables (withVariablesInReturn)."""
    data = body()
    completion = tickets.complete(_runtime(), g.principal, task_id, to_flowdesk(data.get("variables")))
    if field(data, "withVariablesInReturn", bool, default=False):
        return jsonify(from_flowdesk(completion.instance.variables))
    return "", 204


def comment_dto(comment, ticket) -> dict:
    return {"id": comment.id, "userId": comment.author, "taskId": comment.ticket_id,
            "processInstanceId": ticket.instance_id, "time": camunda_date(comment.created_at),
            "message": comment.body, "removalTime": None, "rootProcessInstanceId": ticket.instance_id}


@bp.get("/<task_id>/comment")
def list_comments(task_id):
    ticket = tickets.get_ticket(_runtime(), g.principal, task_id)
    found, cursor = [], None
    while True:
        got = comments.list_comments(_runtime(), g.principal, task_id, after=cursor, limit=paging.MAX_LIMIT)
        found.extend(c for c in got.items if c.deleted_at is None)
        cursor = got.next_cursor
        if cursor is None:
            return jsonify([comment_dto(c, ticket) for c in found])


@bp.post("/<task_id>/comment/create")
def create_comment(task_id):
    message = field(body(), "message", str, required=True)
    if not message.strip():
        raise InvalidInput("a comment needs a message", {"message": ["must not be empty"]})
    comment = comments.add(_runtime(), g.principal, task_id, message)
    return jsonify(comment_dto(comment, tickets.get_ticket(_runtime(), g.principal, task_id)))
