"""/processes/{key}/instances and /instances: starting and following process instances."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from ..engine.process import instance_variables, instances, lifecycle
from ..engine.work import instance_migration
from . import idempotency
from .auth import principal, runtime
from .migration_schemas import BulkMigrateSchema, BulkMigrationSchema, MigrateSchema
from .schemas import (CancelSchema, InstancePageSchema, InstanceQuerySchema, InstanceSchema, StartSchema,
                      VariableWriteSchema)

blp = Blueprint("instances", __name__, url_prefix="/api/v1", description="Process instances")


# Made once: a schema instance builds its fields (and nested schemas) when created.
_INSTANCE_SCHEMA = InstanceSchema()


def instance_body(view) -> dict:
    return _INSTANCE_SCHEMA.dump(view)


def render_started(view) -> tuple[int, dict]:
    return 201, instance_body(view)


@blp.route("/processes/<process_key>/instances")
class ProcessInstances(MethodView):
    @blp.arguments(StartSchema)
    @blp.response(201, InstanceSchema)
    def post(self, body, process_key):
        """Start the latest version of a process (or the `version` given); returns the instance and its open tickets.

        Honours Idempotency-Key: the same key replays the first answer.
        """
        key = idempotency.from_request("instance.start", render_started)
        result = instances.start_instance(runtime(), principal(), process_key, body["variables"],
                                          body.get("business_key"), key, version=body.get("version"))
        return idempotency.respond(result, render_started)


@blp.route("/instances")
class Instances(MethodView):
    @blp.arguments(InstanceQuerySchema, location="query")
    @blp.response(200, InstancePageSchema)
    def get(self, query):
        """Instances, filtered by process key, status, business key, variables (`var`) and dates; oldest first unless `sort=-created`.

        `count=true` adds `total`, how many match.
        """
        after, limit = query.pop("after", None), query.pop("limit")
        return instances.list_instances(runtime(), principal(), after=after, limit=limit, **query)


@blp.route("/instances/<instance_id>")
class InstanceItem(MethodView):
    @blp.response(200, InstanceSchema)
    def get(self, instance_id):
        """One instance: status, variables, open tickets, timestamps."""
        return instances.get_instance(runtime(), principal(), instance_id)


@blp.route("/instances/<instance_id>/variables")
class InstanceVariables(MethodView):
    @blp.arguments(VariableWriteSchema)
    @blp.response(200, InstanceSchema)
    def patch(self, body, instance_id):
        """Set and remove variables of a running instance (admins; audited with the names, not the values).

        What runs next sees the change. 409 when the instance is not running (suspended or finished).
        """
        return instance_variables.write_variables(runtime(), principal(), instance_id, body["set"], body["remove"])


@blp.route("/instances/<instance_id>/cancel")
class InstanceCancel(MethodView):
    @blp.arguments(CancelSchema)
    @blp.response(200, InstanceSchema)
    def post(self, body, instance_id):
        """Cancel the instance: its tickets, jobs and external tasks are closed (system, admin)."""
        return lifecycle.cancel(runtime(), principal(), instance_id, body.get("reason"))


@blp.route("/instances/<instance_id>/suspend")
class InstanceSuspend(MethodView):
    @blp.response(200, InstanceSchema)
    def post(self, instance_id):
        """Hold the instance: tickets cannot be worked, jobs and timers wait (system, admin)."""
        return lifecycle.suspend(runtime(), principal(), instance_id)


@blp.route("/instances/<instance_id>/resume")
class InstanceResume(MethodView):
    @blp.response(200, InstanceSchema)
    def post(self, instance_id):
        """Let a suspended instance move again (system, admin)."""
        return lifecycle.resume(runtime(), principal(), instance_id)


@blp.route("/instances/<instance_id>/migrate")
class InstanceMigrate(MethodView):
    @blp.arguments(MigrateSchema)
    @blp.response(200, InstanceSchema)
    def post(self, body, instance_id):
        """Move a running or suspended instance to another version of its process (modeler, admin).

        Refused with 409 and `reasons` when something it waits on (an open ticket, a running job,
        a waiting event, a running subprocess) has no counterpart in that version.
        """
        return instance_migration.migrate(runtime(), principal(), instance_id, body["version"])


@blp.route("/processes/<process_key>/migrate")
class ProcessMigrate(MethodView):
    @blp.arguments(BulkMigrateSchema)
    @blp.response(200, BulkMigrationSchema)
    def post(self, body, process_key):
        """Move up to `limit` running or suspended instances to `to_version`, oldest first (modeler, admin).

        Each instance moves in its own transaction; the answer says per instance whether it
        moved or why it was refused.
        """
        results = instance_migration.migrate_bulk(runtime(), principal(), process_key, body.get("from_version"),
                                                  body["to_version"], body["limit"])
        migrated = sum(1 for r in results if r.status == "migrated")
        return {"migrated": migrated, "refused": len(results) - migrated, "results": results}
