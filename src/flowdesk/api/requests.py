"""The requester API: /request-types, /requests (mine) and /requester-tasks (my to-do).

Requesters reach these endpoints and ``GET /me`` only (see ``auth``); everything here is also
refused to other roles, except reading request types (admins and auditors may preview them).
"""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from ..engine.process import request_types
from ..engine.work import requester_tasks, requests
from . import idempotency
from .attachments import send_attachment, uploaded_file
from .auth import principal, runtime
from .paging_schemas import PageQuerySchema
from .request_schemas import (PublicAttachmentSchema, ReplySchema, RequesterTaskPageSchema, RequesterTaskSchema,
                              RequestInputSchema, RequestPageSchema, RequestQuerySchema, RequestSchema,
                              RequestTypeListSchema, RequestTypeSchema, TaskCompleteSchema)

blp = Blueprint("requests", __name__, url_prefix="/api/v1", description="Requesters: request types, my requests, my tasks")

_REQUEST = RequestSchema()


def render_opened(view) -> tuple[int, dict]:
    return 201, _REQUEST.dump(view)


@blp.route("/request-types")
class RequestTypes(MethodView):
    @blp.response(200, RequestTypeListSchema)
    def get(self):
        """The request types you may open, with their start forms."""
        return {"items": request_types.list_types(runtime(), principal())}


@blp.route("/request-types/<key>")
class RequestTypeItem(MethodView):
    @blp.response(200, RequestTypeSchema)
    def get(self, key):
        """One request type and its start form (404 when you may not open it)."""
        return request_types.get_type(runtime(), principal(), key)


@blp.route("/requests")
class Requests(MethodView):
    @blp.arguments(RequestInputSchema)
    @blp.response(201, RequestSchema)
    def post(self, body):
        """Open a request: the type's start form data is checked like a ticket form; you are its
        `initiator`. Honours Idempotency-Key."""
        key = idempotency.from_request("request.open", render_opened)
        result = requests.open_request(runtime(), principal(), body["type"], body["data"], key)
        return idempotency.respond(result, render_opened)

    @blp.arguments(RequestQuerySchema, location="query")
    @blp.response(200, RequestPageSchema)
    def get(self, query):
        """My requests, newest first; `q` searches, `state` is open or closed."""
        return requests.list_requests(runtime(), principal(), q=query.get("q"), state=query.get("state"),
                                      after=query.get("after"), limit=query["limit"])


@blp.route("/requests/<request_id>")
class RequestItem(MethodView):
    @blp.response(200, RequestSchema)
    def get(self, request_id):
        """One of my requests: its stage, SLA, public variables and public timeline."""
        return requests.get_request(runtime(), principal(), request_id)


@blp.route("/requests/<request_id>/comments")
class RequestReplies(MethodView):
    @blp.arguments(ReplySchema)
    @blp.response(201, RequestSchema)
    def post(self, body, request_id):
        """Reply (a public comment). When the desk waits on you, this resumes it."""
        return requests.reply(runtime(), principal(), request_id, body["body"])


@blp.route("/requests/<request_id>/attachments")
class RequestAttachments(MethodView):
    @blp.response(201, PublicAttachmentSchema)
    @blp.doc(requestBody={"content": {"multipart/form-data": {"schema": {
        "type": "object", "properties": {"file": {"type": "string", "format": "binary"}}}}}})
    def post(self, request_id):
        """Attach a file (multipart field `file`), public on your request; resumes a wait on you."""
        filename, data, content_type = uploaded_file()
        attachment = requests.attach(runtime(), principal(), request_id, filename, data, content_type)
        attachment.request_id = request_id
        return attachment


@blp.route("/requests/<request_id>/attachments/<attachment_id>")
class RequestAttachmentItem(MethodView):
    @blp.response(200, content_type="application/octet-stream")
    def get(self, request_id, attachment_id):
        """Download a public file of your request."""
        return send_attachment(*requests.download(runtime(), principal(), request_id, attachment_id))


@blp.route("/requests/<request_id>/cancel")
class RequestCancel(MethodView):
    @blp.response(200, RequestSchema)
    def post(self, request_id):
        """Cancel my request, where its model allows it (409 otherwise)."""
        return requests.cancel(runtime(), principal(), request_id)


@blp.route("/requester-tasks")
class RequesterTasks(MethodView):
    @blp.arguments(PageQuerySchema, location="query")
    @blp.response(200, RequesterTaskPageSchema)
    def get(self, query):
        """My to-do: tasks of my requests assigned to me, oldest first."""
        return requester_tasks.list_tasks(runtime(), principal(), query.get("after"), query["limit"])


@blp.route("/requester-tasks/<task_id>")
class RequesterTaskItem(MethodView):
    @blp.response(200, RequesterTaskSchema)
    def get(self, task_id):
        """One of my tasks with its form."""
        return requester_tasks.get_task(runtime(), principal(), task_id)


@blp.route("/requester-tasks/<task_id>/complete")
class RequesterTaskComplete(MethodView):
    @blp.arguments(TaskCompleteSchema)
    @blp.response(200, RequestSchema)
    def post(self, body, task_id):
        """Complete my task with its form's data; answers the request afterwards."""
        done = requester_tasks.complete_task(runtime(), principal(), task_id, body["data"])
        return requests.get_request(runtime(), principal(), done.instance.id)
