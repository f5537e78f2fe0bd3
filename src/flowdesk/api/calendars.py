"""/calendars: business hours that SLA durations count in."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from ..engine.work import calendars
from .auth import principal, runtime
from .paging_schemas import PageQuerySchema
from .work_schemas import CalendarInputSchema, CalendarPageSchema, CalendarSchema

blp = Blueprint("calendars", __name__, url_prefix="/api/v1/calendars", description="Business calendars")


@blp.route("")
class Calendars(MethodView):
    @blp.arguments(PageQuerySchema, location="query")
    @blp.response(200, CalendarPageSchema)
    def get(self, query):
        """Business calendars, by name, a page at a time."""
        return calendars.list_calendars(runtime(), principal(), query.get("after"), query["limit"])


@blp.route("/<name>")
class CalendarItem(MethodView):
    @blp.arguments(CalendarInputSchema)
    @blp.response(200, CalendarSchema)
    def put(self, body, name):
        """Create (201) or replace (200) a calendar (admins); processes name it with property `calendar`."""
        row, created = calendars.put_calendar(runtime(), principal(), name, body["time_zone"], body["working_days"],
                                              body["hours"], body["holidays"])
        return row, 201 if created else 200

    @blp.response(200, CalendarSchema)
    def get(self, name):
        """One calendar."""
        return calendars.get_calendar(runtime(), principal(), name)

    @blp.response(204)
    def delete(self, name):
        """Delete a calendar (admins); tickets already counted in it keep their due dates."""
        calendars.delete_calendar(runtime(), principal(), name)
