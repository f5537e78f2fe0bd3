"""Marshmallow schemas: the JSON shapes of the API, shared by the blueprints."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from ..engine.process.instances import INSTANCE_STATUSES
from ..engine.work import sla
from .auth import runtime
from .case_schemas import CaseDecisionSchema, CaseFieldSchema


class SlaSchema(Schema):
    state = fields.String(metadata={"description": "`ok`, `at_risk` (75% of the allowed time used) or `breached`"})
    due_at = fields.DateTime(allow_none=True)
    remaining_seconds = fields.Integer(allow_none=True, metadata={
        "description": "wall-clock seconds to the due date (negative when past it); frozen while waiting"})
    at_risk_at = fields.DateTime(allow_none=True)
    paused = fields.Boolean(metadata={"description": "waiting: the SLA clock stands still"})
    breached_at = fields.DateTime(allow_none=True, metadata={"description": "when the scheduler marked the breach"})
    calendar = fields.String(allow_none=True, metadata={"description": "business calendar the time counts in"})


class _SlaField(fields.Nested):
    """The ticket's SLA at the runtime's clock, computed when the ticket is written out."""

    def get_value(self, obj, attr, accessor=None, default=None):
        return sla.status_of(obj, runtime().clock())


class TicketSummarySchema(Schema):
    id = fields.String()
    name = fields.String()
    element_id = fields.String()
    process_key = fields.String()
    instance_id = fields.String()
    business_key = fields.String(allow_none=True)
    status = fields.String()
    assignee = fields.String(allow_none=True)
    candidate_users = fields.List(fields.String())
    candidate_groups = fields.List(fields.String())
    priority = fields.Integer(allow_none=True)
    due_at = fields.DateTime(allow_none=True)
    follow_up_at = fields.DateTime(allow_none=True, metadata={
        "description": "when to look at it again (the model's follow-up date); no SLA hangs on it"})
    created_at = fields.DateTime()
    claimed_at = fields.DateTime(allow_none=True)
    completed_at = fields.DateTime(allow_none=True)
    completed_by = fields.String(allow_none=True)
    process_version = fields.Integer(allow_none=True)
    owner = fields.String(allow_none=True, metadata={"description": "who delegated the ticket (keeps it)"})
    delegation_state = fields.String(allow_none=True, metadata={"description": "`pending` or `resolved`"})
    approval_level = fields.Integer(allow_none=True, metadata={"description": "set on approval tasks"})
    sla = _SlaField(SlaSchema)
    case = fields.List(fields.Nested(CaseFieldSchema), attribute="case_fields", allow_none=True, metadata={
        "description": "what the ticket is about: the variables the model's `caseFields` property names "
                       "(on the task or its process), else the instance's start variables, in that order; null on "
                       "tickets opened before flowdesk kept it"})


class TicketSchema(TicketSummarySchema):
    lane = fields.String(allow_none=True)
    documentation = fields.String(allow_none=True)
    form = fields.Dict(allow_none=True)
    form_schema = fields.Dict(allow_none=True, metadata={
        "description": "JSON schema the completion data must fit (detail view)"})
    form_fields = fields.List(fields.String(), metadata={
        "description": "`form_schema`'s top-level field names in the order to show them (detail view): "
                       "`ui:order` of the UI schema where given, else the modeler's; JSON objects keep "
                       "no key order, so show the fields in this order"})
    form_ui_schema = fields.Dict(allow_none=True, metadata={
        "description": "the form's UI schema (`ui:order`, widgets...) deployed with the model (detail view)"})
    data = fields.Dict()
    result = fields.Dict(allow_none=True)
    comment = fields.String(allow_none=True)
    etag = fields.String()
    earlier_decisions = fields.List(fields.Nested(CaseDecisionSchema), metadata={
        "description": "approval tickets only (detail view): the instance's decisions on other approval "
                       "tickets, oldest first, with their comments"})


class InstanceCoreSchema(Schema):
    id = fields.String()
    process_key = fields.String()
    process_version = fields.Integer()
    business_key = fields.String(allow_none=True)
    status = fields.String()
    variables = fields.Dict()
    error = fields.String(allow_none=True)
    started_by = fields.String(allow_none=True)
    version = fields.Integer()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    completed_at = fields.DateTime(allow_none=True)
    archived_at = fields.DateTime(allow_none=True, metadata={
        "description": "set when retention removed the state of this finished instance"})


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
    url = fields.Function(lambda job: job.request.get("url"))
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


class WaitingTimerSchema(Schema):
    element_id = fields.String()
    due = fields.DateTime()
    kind = fields.String()


class WaitingExternalTaskSchema(Schema):
    id = fields.String()
    element_id = fields.String()
    topic = fields.String()
    status = fields.String(metadata={"description": "`available` (for any worker) or `locked` (a worker holds it)"})
    worker_id = fields.String(allow_none=True)
    lock_expires_at = fields.DateTime(allow_none=True)
    retries = fields.Integer(allow_none=True)
    retry_at = fields.DateTime(allow_none=True, metadata={"description": "fetchable again from then on"})
    error_message = fields.String(allow_none=True, metadata={"description": "the last failure a worker reported"})
    created_at = fields.DateTime()


class SubscriptionSchema(Schema):
    kind = fields.String()
    name = fields.String()
    element_id = fields.String(allow_none=True)
    correlations = fields.Dict()


class CompletedElementSchema(Schema):
    element_id = fields.String()
    name = fields.String(allow_none=True)
    type = fields.String()
    finished_at = fields.DateTime()


class InstanceSchema(InstanceCoreSchema):
    next_timer_at = fields.DateTime(allow_none=True)
    open_tickets = fields.List(fields.Nested(TicketSummarySchema))
    jobs = fields.List(fields.Nested(JobSummarySchema), metadata={"description": "jobs not finished yet"})
    incidents = fields.List(fields.Nested(IncidentSchema), metadata={"description": "open incidents"})
    timers = fields.List(fields.Nested(WaitingTimerSchema), metadata={"description": "detail view only"})
    external_tasks = fields.List(fields.Nested(WaitingExternalTaskSchema),
                                 metadata={"description": "external tasks waiting for or held by a worker "
                                           "(detail view only)"})
    waiting_for = fields.List(fields.Nested(SubscriptionSchema), attribute="subscriptions",
                              metadata={"description": "messages and signals it can catch (detail view only)"})
    history = fields.List(fields.Nested(CompletedElementSchema),
                          metadata={"description": "completed BPMN elements, in order (detail view only)"})


class CompletionSchema(Schema):
    ticket = fields.Nested(TicketSchema)
    instance = fields.Nested(InstanceCoreSchema)
    open_tickets = fields.List(fields.Nested(TicketSummarySchema))


def page_schema(item_schema: type[Schema], name: str, counted: bool = False) -> type[Schema]:
    shape = {"items": fields.List(fields.Nested(item_schema)), "next_cursor": fields.String(allow_none=True)}
    if counted:
        shape |= {"total": fields.Integer(allow_none=True, metadata={
                      "description": "with `count=true` only: how many match, at most 10,000 (see `total_capped`)"}),
                  "total_capped": fields.Boolean(metadata={
                      "description": "true when more than `total` match: the count stopped there"})}
    return Schema.from_dict(shape, name=name)


InstancePageSchema = page_schema(InstanceSchema, "InstancePage", counted=True)
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


class PageQuerySchema(Schema):
    limit = fields.Integer(validate=validate.Range(1, 200), load_default=50)
    after = fields.String(metadata={"description": "`next_cursor` of the previous page"})


class SortedPageQuerySchema(PageQuerySchema):
    sort = fields.String(load_default="created", validate=validate.OneOf(("created", "-created")), metadata={
        "description": "`created` (oldest first, the default) or `-created` (newest first); a cursor "
                       "continues the order it came from"})
    count = fields.Boolean(load_default=False, metadata={"description": "add `total`: how many match the filter"})


class IncidentQuerySchema(SortedPageQuerySchema):
    status = fields.String(validate=validate.OneOf(("open", "resolved")))
    instance_id = fields.String()


class InstanceQuerySchema(SortedPageQuerySchema):
    process_key = fields.String()
    status = fields.String(validate=validate.OneOf(INSTANCE_STATUSES))
    business_key = fields.String()
    has_incident = fields.Boolean(metadata={
        "description": "`true`: only instances with an open incident (they stay `running`); `false`: none"})


class CompleteSchema(Schema):
    data = fields.Dict(load_default=dict)
    comment = fields.String(allow_none=True, validate=validate.Length(max=10000))


class CancelSchema(Schema):
    reason = fields.String(allow_none=True, validate=validate.Length(max=2000))


class StartSchema(Schema):
    variables = fields.Dict(load_default=dict)
    business_key = fields.String(allow_none=True, validate=validate.Length(max=255))


class DeployedSchema(Schema):
    kind = fields.String(metadata={"description": "process or form"})
    id = fields.String()
    key = fields.String()
    version = fields.Integer()
    name = fields.String()
    created = fields.Boolean(metadata={"description": "false when the content was already deployed"})
    created_at = fields.DateTime()


class DefinitionVersionSchema(Schema):
    id = fields.String()
    key = fields.String(attribute="process_key")
    version = fields.Integer()
    name = fields.String()
    filename = fields.String()
    content_hash = fields.String()
    deployed_by = fields.String(allow_none=True)
    created_at = fields.DateTime()
    start_form_schema = fields.Dict(allow_none=True, metadata={
        "description": "JSON schema of the form the plain start event declares (camunda:formData), or null"})
    start_form_fields = fields.List(fields.String(), metadata={
        "description": "`start_form_schema`'s field names in the modeler's order"})


class DefinitionSummarySchema(Schema):
    key = fields.String(attribute="process_key")
    name = fields.String()
    latest_version = fields.Integer()
    versions = fields.Integer()


class DefinitionSchema(Schema):
    key = fields.String()
    name = fields.String()
    versions = fields.List(fields.Nested(DefinitionVersionSchema))


# -- ticket timeline, progress steps, comments and attachments --


class ProgressionSchema(Schema):
    id = fields.Integer()
    ticket_id = fields.String()
    instance_id = fields.String()
    action = fields.String()
    performed_by = fields.String(allow_none=True)
    previous_status = fields.String(allow_none=True)
    new_status = fields.String()
    comment = fields.String(allow_none=True)
    metadata = fields.Dict(attribute="details")
    created_at = fields.DateTime()


class HistoryEntrySchema(Schema):
    source = fields.String(metadata={"description": "`audit` (instance, jobs...) or `progression` (a ticket step)"})
    id = fields.Integer()
    action = fields.String()
    actor = fields.String(allow_none=True)
    created_at = fields.DateTime()
    ticket_id = fields.String(allow_none=True)
    detail = fields.Dict()
    previous_status = fields.String(allow_none=True)
    new_status = fields.String(allow_none=True)
    comment = fields.String(allow_none=True)


ProgressionListSchema = Schema.from_dict({"items": fields.List(fields.Nested(ProgressionSchema))},
                                         name="ProgressionList")
HistorySchema = Schema.from_dict({"items": fields.List(fields.Nested(HistoryEntrySchema))}, name="History")


class ProgressSchema(Schema):
    action = fields.String(required=True, validate=validate.Length(min=1, max=50),
                           metadata={"description": "start_review, waiting_customer or resume"})
    comment = fields.String(allow_none=True, validate=validate.Length(max=10000))
    data = fields.Dict(load_default=dict)


class CommentInputSchema(Schema):
    body = fields.String(required=True, validate=validate.Length(min=1, max=10000))
    public = fields.Boolean(load_default=False, metadata={"description": "fit to show the requester"})


class CommentEditSchema(Schema):
    body = fields.String(required=True, validate=validate.Length(min=1, max=10000))


class CommentSchema(Schema):
    id = fields.String()
    ticket_id = fields.String()
    author = fields.String()
    body = fields.String(allow_none=True, metadata={"description": "null once deleted"})
    public = fields.Boolean()
    deleted = fields.Boolean()
    created_at = fields.DateTime()
    edited_at = fields.DateTime(allow_none=True)
    deleted_at = fields.DateTime(allow_none=True)


class AttachmentSchema(Schema):
    id = fields.String()
    ticket_id = fields.String()
    filename = fields.String(metadata={"description": "display name; never used as a path"})
    content_type = fields.String()
    size = fields.Integer()
    sha256 = fields.String()
    uploaded_by = fields.String()
    public = fields.Boolean(metadata={"description": "fit to show the requester"})
    created_at = fields.DateTime()


CommentPageSchema = page_schema(CommentSchema, "CommentPage")
AttachmentPageSchema = page_schema(AttachmentSchema, "AttachmentPage")
