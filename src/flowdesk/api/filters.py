"""/me/filters: inbox filters each user saves for themselves."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from ..engine.work import saved_filters
from .auth import principal, runtime
from .paging_schemas import PageQuerySchema
from .work_schemas import InboxFilterSchema, SavedFilterInputSchema, SavedFilterPageSchema, SavedFilterSchema

blp = Blueprint("filters", __name__, url_prefix="/api/v1/me/filters", description="Saved inbox filters")


@blp.route("")
class SavedFilters(MethodView):
    @blp.arguments(SavedFilterInputSchema)
    @blp.response(201, SavedFilterSchema)
    def post(self, body):
        """Save GET /tickets filters under a name; use them with `GET /tickets?filter=<id>`."""
        query = InboxFilterSchema().dump(body["query"])  # validated; stored as JSON
        return saved_filters.save(runtime(), principal(), body["name"], query)

    @blp.arguments(PageQuerySchema, location="query")
    @blp.response(200, SavedFilterPageSchema)
    def get(self, query):
        """Your saved filters, by name, a page at a time."""
        return saved_filters.list_mine(runtime(), principal(), query.get("after"), query["limit"])


@blp.route("/<filter_id>")
class SavedFilterItem(MethodView):
    @blp.response(204)
    def delete(self, filter_id):
        """Delete one of your saved filters."""
        saved_filters.delete(runtime(), principal(), filter_id)
