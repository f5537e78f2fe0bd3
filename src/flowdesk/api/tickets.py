"""/tickets: the agents' work queue."""

from __future__ import annotations

from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint

from ..engine.work import inbox, saved_filters, tickets
from ..engine.work.inbox import InboxQuery
from . import idempotency
from .auth import principal, runtime
from .schemas import CompleteSchema, CompletionSchema, TicketSchema
from .work_schemas import InboxFilterSchema, InboxPageSchema, InboxQuerySchema

blp = Blueprint("tickets", __name__, url_prefix="/api/v1/tickets", description="The work queue")


def _with_etag(ticket):
    return ticket, 200, {"ETag": ticket.etag}


# Made once: a schema instance builds its fields (and nested schemas) when created.
_COMPLETION_SCHEMA = CompletionSchema()


def render_completion(result) -> tuple[int, dict]:
    body = _COMPLETION_SCHEMA.dump({"ticket": result.ticket, "instance": result.instance,
                                    "open_tickets": result.open_tickets})
    return 200, body


@blp.route("")
class Tickets(MethodView):
    @blp.arguments(InboxQuerySchema, location="query")
    @blp.response(200, InboxPageSchema)
    def get(self, query):
        """Your inbox: tickets you hold, own or are offered, filtered, sorted and paged by cursor.

        `filter=<id>` starts from one of your saved filters; parameters given here override it.
        """
        after, limit, count = query.pop("after", None), query.pop("limit"), query.pop("count")
        saved_id = query.pop("filter", None)
        if saved_id:
            saved = saved_filters.get_mine(runtime(), principal(), saved_id)
            query = {**InboxFilterSchema().load(saved.query), **query}
        return inbox.list_tickets(runtime(), principal(), InboxQuery(**query), after, limit, count)


@blp.route("/<ticket_id>")
class TicketItem(MethodView):
    @blp.response(200, TicketSchema)
    def get(self, ticket_id):
        """One ticket with its form, its data and an ETag."""
        return _with_etag(tickets.get_ticket(runtime(), principal(), ticket_id))


@blp.route("/<ticket_id>/claim")
class TicketClaim(MethodView):
    @blp.response(200, TicketSchema)
    def post(self, ticket_id):
        """Take the ticket (you must be a candidate). Honours If-Match."""
        return _with_etag(tickets.claim(runtime(), principal(), ticket_id, request.headers.get("If-Match")))


@blp.route("/<ticket_id>/unclaim")
class TicketUnclaim(MethodView):
    @blp.response(200, TicketSchema)
    def post(self, ticket_id):
        """Give the ticket back to its candidates. Honours If-Match."""
        return _with_etag(tickets.unclaim(runtime(), principal(), ticket_id, request.headers.get("If-Match")))


@blp.route("/<ticket_id>/complete")
class TicketComplete(MethodView):
    @blp.arguments(CompleteSchema)
    @blp.response(200, CompletionSchema)
    def post(self, body, ticket_id):
        """Complete the task with form data; the instance moves on in the same transaction.

        Honours If-Match (412 when stale) and Idempotency-Key (replays the first answer).
        """
        key = idempotency.from_request("ticket.complete", render_completion)
        result = tickets.complete(runtime(), principal(), ticket_id, body["data"], body.get("comment"),
                                  request.headers.get("If-Match"), key)
        return idempotency.respond(result, render_completion)
