"""/processes/{key}/instances and /instances: starting and following process instances."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from ..engine import instances
from . import idempotency
from .auth import principal, runtime
from .schemas import InstancePageSchema, InstanceQuerySchema, InstanceSchema, StartSchema

blp = Blueprint("instances", __name__, url_prefix="/api/v1", description="Process instances")


def instance_body(view) -> dict:
    return InstanceSchema().dump(view)


def render_started(view) -> tuple[int, dict]:
    return 201, instance_body(view)


@blp.route("/processes/<process_key>/instances")
class ProcessInstances(MethodView):
    @blp.arguments(StartSchema)
    @blp.response(201, InstanceSchema)
    def post(self, body, process_key):
        """Start the latest version of a process; returns the instance and its open tickets.

        Honours Idempotency-Key: the same key replays the first answer.
        """
        key = idempotency.from_request("instance.start", render_started)
        result = instances.start_instance(runtime(), principal(), process_key, body["variables"],
                                          body.get("business_key"), key)
        return idempotency.respond(result, render_started)


@blp.route("/instances")
class Instances(MethodView):
    @blp.arguments(InstanceQuerySchema, location="query")
    @blp.response(200, InstancePageSchema)
    def get(self, query):
        """Instances, filtered by process key, status and business key; oldest first."""
        after, limit = query.pop("after", None), query.pop("limit")
        return instances.list_instances(runtime(), principal(), after=after, limit=limit, **query)


@blp.route("/instances/<instance_id>")
class InstanceItem(MethodView):
    @blp.response(200, InstanceSchema)
    def get(self, instance_id):
        """One instance: status, variables, open tickets, timestamps."""
        return instances.get_instance(runtime(), principal(), instance_id)
