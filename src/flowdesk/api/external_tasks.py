"""/external-tasks: Camunda-style external task workers fetch, lock and complete service tasks."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from ..engine.process import external_tasks
from ..engine.store import external_task_waits
from .auth import principal, runtime

blp = Blueprint("external_tasks", __name__, url_prefix="/api/v1/external-tasks",
                description="External tasks for workers outside flowdesk (at least once, with lock expiry)")

# Bounds keep durations inside what a timestamp can hold; a week is longer than any sane lock.
MAX_LOCK_MS = 7 * 24 * 3600 * 1000


class ExternalTopicSchema(Schema):
    topic_name = fields.String(required=True, validate=validate.Length(min=1, max=255))
    lock_duration = fields.Integer(required=True, validate=validate.Range(1, MAX_LOCK_MS),
                                   metadata={"description": "milliseconds (at most one week)"})


class ExternalFetchSchema(Schema):
    worker_id = fields.String(required=True, validate=validate.Length(min=1, max=255))
    max_tasks = fields.Integer(load_default=10, validate=validate.Range(1, 100))
    topics = fields.List(fields.Nested(ExternalTopicSchema), required=True, validate=validate.Length(min=1))
    async_response_timeout = fields.Integer(
        load_default=0, validate=validate.Range(0, external_task_waits.MAX_WAIT_MS),
        metadata={"description": "long polling: milliseconds to wait for a task when none is available "
                                 "(0: answer at once); answers as soon as one becomes available"})
    use_priority = fields.Boolean(load_default=False, metadata={
        "description": "take the highest `priority` first (then the oldest); default: the oldest first"})


class ExternalWorkerSchema(Schema):
    worker_id = fields.String(required=True, validate=validate.Length(min=1, max=255))


class ExternalCompleteSchema(ExternalWorkerSchema):
    variables = fields.Dict(load_default=dict)


class ExternalFailureSchema(ExternalWorkerSchema):
    error_message = fields.String(load_default="", validate=validate.Length(max=2000))
    error_details = fields.String(allow_none=True, validate=validate.Length(max=20000))
    retries = fields.Integer(required=True, validate=validate.Range(0, 1000))
    retry_timeout = fields.Integer(load_default=0, validate=validate.Range(0, MAX_LOCK_MS),
                                   metadata={"description": "milliseconds before it can be fetched again"})


class ExternalBpmnErrorSchema(ExternalWorkerSchema):
    error_code = fields.String(required=True, validate=validate.Length(min=1, max=255))
    error_message = fields.String(allow_none=True)
    variables = fields.Dict(load_default=dict)


class ExternalExtendLockSchema(ExternalWorkerSchema):
    new_duration = fields.Integer(required=True, validate=validate.Range(1, MAX_LOCK_MS),
                                  metadata={"description": "milliseconds from now (at most one week)"})


class ExternalTaskSchema(Schema):
    id = fields.String()
    topic_name = fields.String(attribute="topic")
    worker_id = fields.String(allow_none=True)
    status = fields.String()
    lock_expiration_time = fields.DateTime(attribute="lock_expires_at", allow_none=True)
    process_instance_id = fields.String(attribute="instance_id")
    process_key = fields.String()
    activity_id = fields.String(attribute="element_id")
    business_key = fields.String(allow_none=True)
    retries = fields.Integer(allow_none=True)
    error_message = fields.String(allow_none=True)
    priority = fields.Integer(metadata={"description": "the service task's camunda:taskPriority (default 0)"})


class LockedExternalTaskSchema(ExternalTaskSchema):
    variables = fields.Dict()
    custom_headers = fields.Dict(keys=fields.String(), values=fields.String(), metadata={
        "description": "the task headers the model gives the worker (Camunda 8 zeebe:taskHeaders)"})


def _locked(item):
    item.task.variables = item.variables
    item.task.custom_headers = item.headers
    return item.task


@blp.route("/fetch-and-lock")
class FetchAndLock(MethodView):
    @blp.arguments(ExternalFetchSchema)
    @blp.response(200, LockedExternalTaskSchema(many=True))
    def post(self, body):
        """Lock up to max_tasks available tasks of the topics for this worker (system role).

        With `async_response_timeout` an empty answer waits up to that long for a task (long
        polling): an idle worker makes one request per timeout instead of polling in a loop.
        """
        rt, caller = runtime(), principal()
        found = external_task_waits.poll(rt.fetchable, lambda: external_tasks.fetch_and_lock(
            rt, caller, body["worker_id"], body["max_tasks"], body["topics"], body["use_priority"]),
            body["async_response_timeout"])
        return [_locked(i) for i in found]


@blp.route("/<task_id>/complete")
class Complete(MethodView):
    @blp.arguments(ExternalCompleteSchema)
    @blp.response(200, ExternalTaskSchema)
    def post(self, body, task_id):
        """Complete a locked task with variables; the instance moves on."""
        return external_tasks.complete(runtime(), principal(), task_id, body["worker_id"], body["variables"])


@blp.route("/<task_id>/failure")
class Failure(MethodView):
    @blp.arguments(ExternalFailureSchema)
    @blp.response(200, ExternalTaskSchema)
    def post(self, body, task_id):
        """Report a failure: fetchable again after retry_timeout while retries > 0, else an incident."""
        return external_tasks.failure(runtime(), principal(), task_id, body["worker_id"], body["error_message"],
                                      body.get("error_details"), body["retries"], body["retry_timeout"])


@blp.route("/<task_id>/bpmn-error")
class BpmnError(MethodView):
    @blp.arguments(ExternalBpmnErrorSchema)
    @blp.response(200, ExternalTaskSchema)
    def post(self, body, task_id):
        """Raise a BPMN error that an error event in the diagram catches (409 when none does)."""
        return external_tasks.bpmn_error(runtime(), principal(), task_id, body["worker_id"], body["error_code"],
                                         body.get("error_message"), body["variables"])


@blp.route("/<task_id>/extend-lock")
class ExtendLock(MethodView):
    @blp.arguments(ExternalExtendLockSchema)
    @blp.response(200, ExternalTaskSchema)
    def post(self, body, task_id):
        """Hold the lock new_duration ms longer (from now)."""
        return external_tasks.extend_lock(runtime(), principal(), task_id, body["worker_id"], body["new_duration"])
