"""/history: what instances did, across instances (completed tickets, completed BPMN elements)."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from ..engine.process import activity_history
from ..engine.work import ticket_history
from .auth import principal, runtime
from .history_schemas import (ActivityHistoryQuerySchema, CompletedActivityPageSchema, CompletedTicketPageSchema,
                              TicketHistoryQuerySchema)

blp = Blueprint("history", __name__, url_prefix="/api/v1/history", description="History across instances")


@blp.route("/tickets")
class TicketHistory(MethodView):
    @blp.arguments(TicketHistoryQuerySchema, location="query")
    @blp.response(200, CompletedTicketPageSchema)
    def get(self, query):
        """Completed tickets (of the tickets you see), in completion order, by process, task, time and who completed them."""
        after, limit = query.pop("after", None), query.pop("limit")
        return ticket_history.completed_tickets(runtime(), principal(), after=after, limit=limit, **query)


@blp.route("/activities")
class ActivityHistory(MethodView):
    @blp.arguments(ActivityHistoryQuerySchema, location="query")
    @blp.response(200, CompletedActivityPageSchema)
    def get(self, query):
        """Completed BPMN elements (of the instances you see), in completion order, by process, element, type and time.

        Recorded as instances complete them: elements completed before flowdesk kept this
        history are only in each instance's own `history`.
        """
        after, limit = query.pop("after", None), query.pop("limit")
        return activity_history.list_activities(runtime(), principal(), after=after, limit=limit, **query)
