"""/tickets/{id}/approve, /reject and /instances/{id}/approvals: approval levels drawn in the diagram."""

from __future__ import annotations

from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint

from ..engine.work import approvals
from . import idempotency
from .auth import principal, runtime
from .schemas import CompletionSchema
from .tickets import render_completion
from .work_schemas import ApproveSchema, InstanceApprovalsSchema, RejectSchema

blp = Blueprint("approvals", __name__, url_prefix="/api/v1", description="Approvals")


@blp.route("/tickets/<ticket_id>/approve")
class TicketApprove(MethodView):
    @blp.arguments(ApproveSchema)
    @blp.response(200, CompletionSchema)
    def post(self, body, ticket_id):
        """Approve an approval ticket: sets `approved = true` and `<element_id>_decision`, completes the task.

        Four-eyes: 409 for the requester and for whoever approved a lower level of the same instance.
        Honours If-Match and Idempotency-Key.
        """
        key = idempotency.from_request("ticket.approve", render_completion)
        result = approvals.decide(runtime(), principal(), ticket_id, approvals.APPROVED, body.get("comment"),
                                  request.headers.get("If-Match"), key)
        return idempotency.respond(result, render_completion)


@blp.route("/tickets/<ticket_id>/reject")
class TicketReject(MethodView):
    @blp.arguments(RejectSchema)
    @blp.response(200, CompletionSchema)
    def post(self, body, ticket_id):
        """Reject (`approved = false`) or, with `request_changes`, send it back (`changes_requested = true`).

        A comment is required. Same rules as approve.
        """
        decision = approvals.CHANGES_REQUESTED if body["request_changes"] else approvals.REJECTED
        key = idempotency.from_request("ticket.reject", render_completion)
        result = approvals.decide(runtime(), principal(), ticket_id, decision, body["comment"],
                                  request.headers.get("If-Match"), key)
        return idempotency.respond(result, render_completion)


@blp.route("/instances/<instance_id>/approvals")
class InstanceApprovals(MethodView):
    @blp.response(200, InstanceApprovalsSchema)
    def get(self, instance_id):
        """Decided levels with approver and comment, approval tickets open now, and levels still ahead."""
        return approvals.for_instance(runtime(), principal(), instance_id)
