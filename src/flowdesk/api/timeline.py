"""Ticket timelines, progress steps and instance history."""

from __future__ import annotations

from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint

from ..engine.process import instance_history
from ..engine.work import ticket_progress
from .auth import principal, runtime
from .schemas import TicketSchema
from .timeline_schemas import HistorySchema, ProgressSchema, ProgressionListSchema

blp = Blueprint("timeline", __name__, url_prefix="/api/v1", description="Ticket timelines and instance history")


@blp.route("/tickets/<ticket_id>/progressions")
class TicketProgressions(MethodView):
    @blp.response(200, ProgressionListSchema)
    def get(self, ticket_id):
        """Everything done to the ticket, oldest first: created, claimed, commented, completed..."""
        return {"items": ticket_progress.list_for_ticket(runtime(), principal(), ticket_id)}


@blp.route("/tickets/<ticket_id>/progress")
class TicketProgress(MethodView):
    @blp.arguments(ProgressSchema)
    @blp.response(200, TicketSchema)
    def post(self, body, ticket_id):
        """Record a progress step without completing the task.

        `start_review` (claimed, the holder only), `waiting_customer` (open or claimed -> waiting),
        `resume` (waiting -> the status before). Any other action, or one the current status does
        not allow, is 409 with `allowed_actions`. Honours If-Match.
        """
        ticket = ticket_progress.progress(runtime(), principal(), ticket_id, body["action"], body.get("comment"),
                                          body["data"], request.headers.get("If-Match"))
        return ticket, 200, {"ETag": ticket.etag}


@blp.route("/instances/<instance_id>/history")
class InstanceHistory(MethodView):
    @blp.response(200, HistorySchema)
    def get(self, instance_id):
        """The instance's audit events (jobs and their attempts included) and its tickets' progressions, by time."""
        return {"items": instance_history.instance_history(runtime(), principal(), instance_id)}
