"""Operations' shapes: jobs and their attempts, incidents, secrets and webhooks."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from ..engine.process import job_credentials
from .paging_schemas import SortedPageQuerySchema, page_schema


class JobSummarySchema(Schema):
    id = fields.String()
    kind = fields.String()
    element_id = fields.String(allow_none=True)
    status = fields.String()
    attempts = fields.Integer()
    max_attempts = fields.Integer()
    next_attempt_at = fields.DateTime(allow_none=True)
    last_error = fields.String(allow_none=True)
    last_status_code = fields.Integer(allow_none=True)
    created_at = fields.DateTime()
    finished_at = fields.DateTime(allow_none=True)


class JobAttemptSchema(Schema):
    number = fields.Integer()
    worker = fields.String(allow_none=True)
    outcome = fields.String(allow_none=True)
    status_code = fields.Integer(allow_none=True)
    error = fields.String(allow_none=True)
    started_at = fields.DateTime()
    finished_at = fields.DateTime(allow_none=True)


class JobSchema(JobSummarySchema):
    instance_id = fields.String(allow_none=True)
    task_id = fields.String(allow_none=True)
    subscription_id = fields.String(allow_none=True)
    event = fields.String(allow_none=True)
    url = fields.Function(lambda job: job_credentials.shown(job.request.get("url")), metadata={
        "description": "the URL called; credentials in it (a secret-looking query parameter) show as ***"})
    method = fields.Function(lambda job: job.request.get("method"))
    mode = fields.Function(lambda job: job.request.get("mode"))
    result = fields.Raw(allow_none=True)
    attempt_log = fields.List(fields.Nested(JobAttemptSchema))


class IncidentSchema(Schema):
    id = fields.String()
    instance_id = fields.String(allow_none=True)
    element_id = fields.String(allow_none=True)
    job_id = fields.String(allow_none=True)
    delivery_id = fields.String(allow_none=True, metadata={
        "description": "the message or signal (the `id` its delivery answered) the instance failed to catch: "
                       "a retry delivers it again"})
    message = fields.String()
    attempts = fields.Integer()
    status = fields.String()
    created_at = fields.DateTime()
    resolved_at = fields.DateTime(allow_none=True)
    resolved_by = fields.String(allow_none=True)


class IncidentResolutionSchema(Schema):
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000), metadata={
        "description": "why it is resolved without a retry (kept in the audit log), e.g. what was done by hand"})


IncidentPageSchema = page_schema(IncidentSchema, "IncidentPage", counted=True)


DeliveryPageSchema = page_schema(JobSummarySchema, "DeliveryPage")


class SecretInputSchema(Schema):
    value = fields.String(required=True, validate=validate.Length(min=1, max=10000))
    models_may_use = fields.Boolean(load_default=None, allow_none=True, metadata={
        "description": "On the tenant's allow-list of secrets models may use in action URLs and headers "
                       "(default for a new secret: true; omitted: unchanged)."})


class SecretSchema(Schema):
    name = fields.String()
    updated_by = fields.String(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    models_may_use = fields.Boolean()


class WebhookInputSchema(Schema):
    url = fields.String(required=True)
    events = fields.List(fields.String(), required=True)
    secret = fields.String(validate=validate.Length(min=16, max=200),
                           metadata={"description": "HMAC key for signatures; generated when absent"})


class WebhookSchema(Schema):
    id = fields.String()
    url = fields.String()
    events = fields.List(fields.String())
    active = fields.Boolean()
    created_at = fields.DateTime()
    secret = fields.String(metadata={"description": "only in the creation response"})


class IncidentQuerySchema(SortedPageQuerySchema):
    status = fields.String(validate=validate.OneOf(("open", "resolved")))
    instance_id = fields.String()


SecretPageSchema = page_schema(SecretSchema, "SecretPage")
WebhookPageSchema = page_schema(WebhookSchema, "WebhookPage")
