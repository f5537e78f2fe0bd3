"""/tickets/{id}/assign, /delegate, /resolve, /assignment and /tickets/bulk: who works a ticket."""

from __future__ import annotations

from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint

from ..engine.work import assignment, delegation
from .auth import principal, runtime
from .errors import problem_of
from .schemas import TicketSchema
from .work_schemas import (
    AssigneesSchema, AssignmentSchema, AssignSchema, BulkResultSchema, BulkSchema, DelegateSchema, ResolveSchema,
)

blp = Blueprint("assignment", __name__, url_prefix="/api/v1/tickets", description="Assigning and delegating tickets")


def _with_etag(ticket):
    return ticket, 200, {"ETag": ticket.etag}


@blp.route("/<ticket_id>/assign")
class TicketAssign(MethodView):
    @blp.arguments(AssignSchema)
    @blp.response(200, TicketSchema)
    def post(self, body, ticket_id):
        """Give the ticket to a user; a transfer when it is held already.

        Admins (anyone), leads of a candidate group and the holder (to a candidate). Honours If-Match.
        """
        return _with_etag(delegation.assign(runtime(), principal(), ticket_id, body["user"],
                                            request.headers.get("If-Match")))


@blp.route("/<ticket_id>/assignees")
class TicketAssignees(MethodView):
    @blp.response(200, AssigneesSchema)
    def get(self, ticket_id):
        """Whom you may assign or delegate the ticket to (a user picker): any agent or admin for
        admins; its candidate users and its groups' members for its groups' leads and its holder.

        403 for anyone else: they may do neither.
        """
        return {"users": delegation.assignees(runtime(), principal(), ticket_id)}


@blp.route("/<ticket_id>/delegate")
class TicketDelegate(MethodView):
    @blp.arguments(DelegateSchema)
    @blp.response(200, TicketSchema)
    def post(self, body, ticket_id):
        """Let a user work the ticket for its holder, who becomes its `owner` until it is resolved."""
        return _with_etag(delegation.delegate(runtime(), principal(), ticket_id, body["user"], body.get("comment"),
                                              request.headers.get("If-Match")))


@blp.route("/<ticket_id>/resolve")
class TicketResolve(MethodView):
    @blp.arguments(ResolveSchema)
    @blp.response(200, TicketSchema)
    def post(self, body, ticket_id):
        """The delegate hands the ticket back to its owner (who can then complete it)."""
        return _with_etag(delegation.resolve(runtime(), principal(), ticket_id, body.get("comment"),
                                             request.headers.get("If-Match")))


@blp.route("/<ticket_id>/assignment")
class TicketAssignment(MethodView):
    @blp.response(200, AssignmentSchema)
    def get(self, ticket_id):
        """Why the ticket is with whom: its task's policy and every decision with candidates and loads."""
        return assignment.explain(runtime(), principal(), ticket_id)


@blp.route("/bulk")
class TicketBulk(MethodView):
    @blp.arguments(BulkSchema)
    @blp.response(200, BulkResultSchema)
    def post(self, body):
        """Claim or assign several tickets; each succeeds or fails on its own (status and problem per ticket)."""
        results = delegation.bulk(runtime(), principal(), body["action"], body["ticket_ids"], body.get("user"))
        items = []
        for result in results:
            if result.error is None:
                items.append({"ticket_id": result.ticket_id, "status": 200, "ticket": result.ticket, "problem": None})
            else:
                problem = problem_of(result.error)
                items.append({"ticket_id": result.ticket_id, "status": problem["status"], "ticket": None,
                              "problem": problem})
        succeeded = sum(1 for i in items if i["status"] == 200)
        return {"results": items, "succeeded": succeeded, "failed": len(items) - succeeded}
