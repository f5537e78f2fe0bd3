"""Tickets' and instances' shapes, and the commands that start, complete and cancel them."""

from __future__ import annotations

from datetime import timezone

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from ..engine.process.instances import INSTANCE_STATUSES
from ..engine.work import sla
from .auth import runtime
from .case_schemas import CaseDecisionSchema, CaseFieldSchema
from .operation_schemas import IncidentSchema, JobSummarySchema
from .paging_schemas import SortedPageQuerySchema, page_schema


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
    priority = fields.Integer(metadata={"description": "the service task's camunda:taskPriority (default 0)"})
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


InstancePageSchema = page_schema(InstanceSchema, "InstancePage", counted=True)


class InstanceQuerySchema(SortedPageQuerySchema):
    process_key = fields.String()
    status = fields.String(validate=validate.OneOf(INSTANCE_STATUSES))
    business_key = fields.String()
    has_incident = fields.Boolean(metadata={
        "description": "`true`: only instances with an open incident (they stay `running`); `false`: none"})
    var = fields.List(fields.String(validate=validate.Length(3, 1000)), validate=validate.Length(max=10), metadata={
        "description": "a variable condition `name:op:value`, repeatable (all must hold); op is `eq`, `neq`, "
                       "`gt`, `gte`, `lt` or `lte`; the value is read as JSON when it is JSON (`42`, `true`, "
                       "`null`, `\"42\"` for the text), else as text. Orderings compare numbers with numbers "
                       "and text with text (ISO dates order as text); `neq` needs the variable to be set"})
    started_after = fields.AwareDateTime(default_timezone=timezone.utc, metadata={
        "description": "started at or after (ISO 8601; without an offset, UTC)"})
    started_before = fields.AwareDateTime(default_timezone=timezone.utc, metadata={"description": "started before"})
    ended_after = fields.AwareDateTime(default_timezone=timezone.utc, metadata={
        "description": "finished (completed, failed or cancelled) at or after"})
    ended_before = fields.AwareDateTime(default_timezone=timezone.utc, metadata={"description": "finished before"})


class CompleteSchema(Schema):
    data = fields.Dict(load_default=dict)
    comment = fields.String(allow_none=True, validate=validate.Length(max=10000))


class CancelSchema(Schema):
    reason = fields.String(allow_none=True, validate=validate.Length(max=2000))


class StartSchema(Schema):
    variables = fields.Dict(load_default=dict)
    business_key = fields.String(allow_none=True, validate=validate.Length(max=255))
    version = fields.Integer(allow_none=True, strict=True, validate=validate.Range(1, 2_147_483_647), metadata={
        "description": "the deployed version to start (404 if the process has no such version); "
                       "default: the latest"})


class VariableWriteSchema(Schema):
    set = fields.Dict(keys=fields.String(validate=validate.Length(1, 255)), load_default=dict, metadata={
        "description": "variables to set (added or replaced), by name"})
    remove = fields.List(fields.String(validate=validate.Length(1, 255)), load_default=list, metadata={
        "description": "names of variables to remove (a name not set is ignored)"})

    @validates_schema
    def _something_to_write(self, data, **_kwargs):
        if not data["set"] and not data["remove"]:
            raise ValidationError("name variables to `set` or `remove`", "_schema")
        both = sorted(set(data["set"]) & set(data["remove"]))
        if both:
            raise ValidationError(f"set and removed at once: {', '.join(both)}", "remove")
