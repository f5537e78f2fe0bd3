"""Schemas of the requester API: request types, my requests with their public timeline, my tasks."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from ..engine.work.requests import REQUEST_STATES
from .paging_schemas import PageQuerySchema, page_schema


class RequestTypeSchema(Schema):
    key = fields.String(attribute="process_key", metadata={"description": "the process key; `type` of POST /requests"})
    name = fields.String()
    description = fields.String(allow_none=True)
    version = fields.Integer()
    groups = fields.List(fields.String(), metadata={"description": "requester groups allowed; empty: all"})
    cancellable = fields.Function(lambda kind: kind.cancel is not None)
    form_schema = fields.Dict(allow_none=True, metadata={"description": "JSON schema the form data must fit"})
    form_ui_schema = fields.Dict(allow_none=True)
    form_fields = fields.List(fields.String(), metadata={"description": "the form's fields in the order to show"})


class RequestTypeListSchema(Schema):
    items = fields.List(fields.Nested(RequestTypeSchema))


class RequestInputSchema(Schema):
    type = fields.String(required=True, validate=validate.Length(min=1, max=255),
                         metadata={"description": "a request type's key"})
    data = fields.Dict(load_default=dict, metadata={"description": "the start form's data"})


class RequestQuerySchema(PageQuerySchema):
    q = fields.String(validate=validate.Length(max=200), metadata={"description": "in subject, stage or type"})
    state = fields.String(validate=validate.OneOf(REQUEST_STATES))


class RequestSlaSchema(Schema):
    started = fields.Boolean(metadata={"description": "false until the desk accepts the request"})
    state = fields.String(metadata={"description": "pending (not accepted yet), ok, at_risk or breached"})
    due_at = fields.DateTime(allow_none=True)
    remaining_seconds = fields.Integer(allow_none=True)
    allowed_seconds = fields.Integer(allow_none=True)
    paused = fields.Boolean(metadata={"description": "the desk waits on you: the clock stands still"})


class RequesterTaskSummarySchema(Schema):
    id = fields.String()
    request_id = fields.String(attribute="instance_id")
    request_subject = fields.String(allow_none=True)
    name = fields.String()
    documentation = fields.String(allow_none=True)
    status = fields.String()
    created_at = fields.DateTime()


class RequesterTaskSchema(RequesterTaskSummarySchema):
    form_schema = fields.Dict(allow_none=True)
    form_ui_schema = fields.Dict(allow_none=True)
    form_fields = fields.List(fields.String())


class TimelineEntrySchema(Schema):
    kind = fields.String(metadata={"description": "submitted, stage, accepted, waiting_on_you, comment, attachment, "
                                                  "resumed, task_completed or closed"})
    at = fields.DateTime()
    by = fields.String(allow_none=True)
    stage = fields.String()
    body = fields.String()
    id = fields.String(metadata={"description": "a comment's or attachment's id"})
    filename = fields.String()
    size = fields.Integer()
    content_type = fields.String()
    task = fields.String()
    due_at = fields.DateTime(allow_none=True)


class RequestSummarySchema(Schema):
    id = fields.String()
    type = fields.String(attribute="process_key")
    type_name = fields.String()
    subject = fields.String()
    stage = fields.String(metadata={"description": "the status in the model's words"})
    state = fields.String(metadata={"description": "open, closed or cancelled"})
    waiting_on_you = fields.Boolean()
    can_cancel = fields.Boolean()
    sla = fields.Nested(RequestSlaSchema, allow_none=True)
    open_tasks = fields.List(fields.Nested(RequesterTaskSummarySchema))
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    closed_at = fields.DateTime(allow_none=True)


class RequestSchema(RequestSummarySchema):
    variables = fields.Dict(metadata={"description": "the variables the model marks public"})
    labels = fields.Dict(keys=fields.String(), values=fields.String(),
                         metadata={"description": "the start form's label of each variable that has one"})
    timeline = fields.List(fields.Nested(TimelineEntrySchema))


RequestPageSchema = page_schema(RequestSummarySchema, "RequestPage")
RequesterTaskPageSchema = page_schema(RequesterTaskSummarySchema, "RequesterTaskPage")


class ReplySchema(Schema):
    body = fields.String(required=True, validate=validate.Length(min=1, max=10000))


class TaskCompleteSchema(Schema):
    data = fields.Dict(load_default=dict)


class PublicAttachmentSchema(Schema):
    id = fields.String()
    request_id = fields.Function(lambda a: getattr(a, "request_id", None))
    filename = fields.String()
    content_type = fields.String()
    size = fields.Integer()
    uploaded_by = fields.String()
    created_at = fields.DateTime()
