"""/engine-rest/task: the inbox as Camunda's task API (list, count, read, claim, assign, complete, comment).

A Camunda task is a flowdesk ticket that is still to be done (open, claimed or waiting). Lists
page by ``firstResult``/``maxResults``, oldest first.
"""

from __future__ import annotations

from flask import Blueprint, current_app, g, jsonify, request
from sqlalchemy import inspect

from ...engine import comments, delegation, inbox, paging, tickets
from ...engine.errors import InvalidInput
from ...engine.models.ticket import ACTIVE_STATUSES
from .params import body, field, page
from .variables import camunda_date, from_flowdesk, to_flowdesk

bp = Blueprint("task", __name__, url_prefix="/task")

DEFAULT_PRIORITY = 50  # Camunda's, for a task the model gives none


def _runtime():
    return current_app.extensions["flowdesk"]


def _loaded(row, name: str):
    """An attribute the query loaded, or None (the inbox leaves long texts unloaded)."""
    return None if name in inspect(row).unloaded else getattr(row, name)


def task_dto(ticket) -> dict:
    return {
        "id": ticket.id, "name": ticket.name, "assignee": ticket.assignee, "owner": ticket.owner,
        "created": camunda_date(ticket.created_at), "lastUpdated": None, "due": camunda_date(ticket.due_at),
        "followUp": None, "delegationState": ticket.delegation_state.upper() if ticket.delegation_state else None,
        "description": _loaded(ticket, "documentation"), "executionId": ticket.task_id, "parentTaskId": None,
        "priority": ticket.priority if ticket.priority is not None else DEFAULT_PRIORITY,
        "processDefinitionId": None, "processInstanceId": ticket.instance_id,
        "taskDefinitionKey": ticket.element_id, "caseExecutionId": None, "caseInstanceId": None,
        "caseDefinitionId": None, "suspended": ticket.status == "waiting", "formKey": None,
        "camundaFormRef": None, "tenantId": ticket.tenant_id,
    }


def _queries() -> list[inbox.InboxQuery]:
    args = request.args
    assignee = args.get("assignee")
    statuses = list(ACTIVE_STATUSES)
    if args.get("unassigned", "").lower() == "true":
        statuses = ["open"]
    elif assignee or args.get("assigned", "").lower() == "true":
        statuses = ["claimed", "waiting"]
    common = dict(assignee=assignee, candidate_group=args.get("candidateGroup"),
                  process_key=args.get("processDefinitionKey"), instance_id=args.get("processInstanceId"),
                  element_id=args.get("taskDefinitionKey"), business_key=args.get("processInstanceBusinessKey"),
                  q=args.get("nameLike", "").strip("%") or None)
    return [inbox.InboxQuery(status=status, **common) for status in statuses]


def _matching(enough: int | None) -> list:
    """Tickets of every open status, oldest first, at least ``enough`` of them when there are (None: all)."""
    found = []
    for query in _queries():
        cursor, taken = None, 0
        while True:
            got = inbox.list_tickets(_runtime(), g.principal, query, after=cursor, limit=paging.MAX_LIMIT)
            found.extend(got.items)
            taken += len(got.items)
            cursor = got.next_cursor
            if cursor is None or (enough is not None and taken >= enough):
                break
    return sorted(found, key=lambda t: (t.created_at, t.id))


@bp.get("")
def list_tasks():
    first, limit = page()
    rows = _matching(None if limit is None else first + limit)
    return jsonify([task_dto(t) for t in rows[first:None if limit is None else first + limit]])


@bp.get("/count")
def count_tasks():
    return jsonify({"count": len(_matching(None))})


@bp.get("/<task_id>")
def get_task(task_id):
    return jsonify(task_dto(tickets.get_ticket(_runtime(), g.principal, task_id)))


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
