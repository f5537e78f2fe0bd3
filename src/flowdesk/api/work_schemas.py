"""JSON shapes of the work queue: inbox filters, assignment, approvals, calendars, saved filters."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from ..engine.work.inbox import SORT
from ..engine.work.sla import SLA_STATES
from ..engine.work.tickets import TICKET_STATUSES
from .number_input import STORED_INT, VERSION
from .paging_schemas import PageQuerySchema, page_schema
from .schemas import TicketSummarySchema

NAME = validate.Length(min=1, max=100)
COMMENT = validate.Length(max=10000)


class InboxFilterSchema(Schema):
    """The filters of GET /tickets; a saved filter stores these."""

    status = fields.String(validate=validate.OneOf(TICKET_STATUSES))
    active = fields.Boolean(metadata={"description": "`true`: only tickets still to be worked (open, claimed or "
                                                     "waiting), e.g. with `sla_state`, which finished tickets keep"})
    assignee = fields.String(validate=NAME, metadata={"description": "`me` or a user name"})
    candidate_group = fields.String(validate=NAME)
    process_key = fields.String(validate=validate.Length(max=255))
    process_version = fields.Integer(validate=VERSION)
    instance_id = fields.String(validate=validate.Length(max=36))
    element_id = fields.String(validate=validate.Length(max=255))
    business_key = fields.String(validate=validate.Length(max=255))
    min_priority = fields.Integer(validate=STORED_INT, metadata={"description": "priority at least this"})
    sla_state = fields.String(validate=validate.OneOf(SLA_STATES))
    due_before = fields.DateTime(metadata={"description": "ISO date-time; without an offset it is UTC"})
    due_after = fields.DateTime()
    created_before = fields.DateTime()
    created_after = fields.DateTime()
    q = fields.String(validate=validate.Length(min=1, max=200), metadata={
        "description": "case-insensitive text in the name, the business key or a case field's value"})
    sort = fields.String(validate=[validate.Length(max=200), validate.Regexp(
        SORT, error="one of due, priority, created or case.<field>, with - first for descending")], metadata={
        "description": "`due`, `priority`, `created` (default) or `case.<field>` (a case field's name, as in "
                       "the tickets' `case`: numbers by value, then text); `-` first for descending; no due date, "
                       "priority or case value comes last either way"})


class InboxQuerySchema(InboxFilterSchema, PageQuerySchema):
    count = fields.Boolean(load_default=False, metadata={"description": "add `total`: how many match the filter"})
    filter = fields.String(validate=validate.Length(max=36), metadata={
        "description": "id of one of your saved filters; parameters given here override its own"})


class InboxPageSchema(Schema):
    items = fields.List(fields.Nested(TicketSummarySchema))
    next_cursor = fields.String(allow_none=True)
    total = fields.Integer(allow_none=True, metadata={
        "description": "with `count=true` only: how many match, at most 10,000 (see `total_capped`)"})
    total_capped = fields.Boolean(metadata={
        "description": "true when more than `total` match: the count stopped there (show it as `10000+`)"})


class AssigneesSchema(Schema):
    users = fields.List(fields.String(), metadata={
        "description": "user names, alphabetically (at most 500): whom you may assign or delegate the ticket to"})


class SavedFilterInputSchema(Schema):
    name = fields.String(required=True, validate=NAME)
    query = fields.Nested(InboxFilterSchema, required=True)


class SavedFilterSchema(Schema):
    id = fields.String()
    name = fields.String()
    query = fields.Dict()
    created_at = fields.DateTime()


# -- assignment --


class AssignSchema(Schema):
    user = fields.String(required=True, validate=NAME)


class DelegateSchema(AssignSchema):
    comment = fields.String(allow_none=True, validate=COMMENT)


class ResolveSchema(Schema):
    comment = fields.String(allow_none=True, validate=COMMENT)


class BulkSchema(Schema):
    action = fields.String(required=True, validate=validate.OneOf(("claim", "assign")))
    ticket_ids = fields.List(fields.String(validate=validate.Length(min=1, max=36)), required=True,
                             validate=validate.Length(min=1, max=100))
    user = fields.String(validate=NAME, metadata={"description": "required for `assign`"})


class BulkItemSchema(Schema):
    ticket_id = fields.String()
    status = fields.Integer(metadata={"description": "the HTTP status this ticket alone would have answered"})
    ticket = fields.Nested(TicketSummarySchema, allow_none=True)
    problem = fields.Dict(allow_none=True, metadata={"description": "problem+json body when it failed"})


class BulkResultSchema(Schema):
    results = fields.List(fields.Nested(BulkItemSchema))
    succeeded = fields.Integer()
    failed = fields.Integer()


class CandidateWeightSchema(Schema):
    name = fields.String()
    load = fields.Integer(metadata={"description": "open and claimed tickets held at the time"})
    last_active_at = fields.String(allow_none=True, metadata={"description": "last assignment or completion"})


class AssignmentDecisionSchema(Schema):
    id = fields.Integer()
    rule = fields.String(metadata={"description": "least_loaded, round_robin, manual, delegated or resolved"})
    assignee = fields.String(allow_none=True)
    previous_assignee = fields.String(allow_none=True)
    assigned_by = fields.String(allow_none=True, metadata={"description": "null for automatic rules"})
    candidates = fields.List(fields.Nested(CandidateWeightSchema))
    reason = fields.String()
    created_at = fields.DateTime()


class AssignmentSchema(Schema):
    ticket_id = fields.Function(lambda view: view.ticket.id)
    assignee = fields.Function(lambda view: view.ticket.assignee)
    owner = fields.Function(lambda view: view.ticket.owner)
    delegation_state = fields.Function(lambda view: view.ticket.delegation_state)
    policy = fields.String(metadata={"description": "manual, least_loaded or round_robin"})
    decisions = fields.List(fields.Nested(AssignmentDecisionSchema))


# -- approvals --


class ApproveSchema(Schema):
    comment = fields.String(allow_none=True, validate=COMMENT)


class RejectSchema(Schema):
    comment = fields.String(required=True, validate=validate.Length(min=1, max=10000))
    request_changes = fields.Boolean(load_default=False, metadata={
        "description": "send it back for changes (`changes_requested`) instead of rejecting it"})


class ApprovalSchema(Schema):
    id = fields.String()
    ticket_id = fields.String()
    instance_id = fields.String()
    element_id = fields.String()
    name = fields.String(allow_none=True, metadata={"description": "the approval task's name (instance view)"})
    level = fields.Integer()
    approver = fields.String()
    decision = fields.String(metadata={"description": "approved, rejected or changes_requested"})
    comment = fields.String(allow_none=True)
    created_at = fields.DateTime()


class ApprovalStepSchema(Schema):
    element_id = fields.String()
    name = fields.String()
    level = fields.Integer()
    candidate_groups = fields.List(fields.String())


class InstanceApprovalsSchema(Schema):
    instance_id = fields.String()
    decided = fields.List(fields.Nested(ApprovalSchema))
    pending = fields.List(fields.Nested(TicketSummarySchema), metadata={"description": "approval tickets open now"})
    ahead = fields.List(fields.Nested(ApprovalStepSchema), metadata={
        "description": "approval tasks not reached yet that a path of the diagram still leads to"})


# -- business calendars --


class CalendarInputSchema(Schema):
    time_zone = fields.String(required=True, validate=validate.Length(min=1, max=64))
    working_days = fields.List(fields.Integer(validate=validate.Range(1, 7)), required=True,
                               metadata={"description": "ISO weekdays, 1 = Monday"})
    hours = fields.List(fields.String(), required=True, metadata={"description": '["09:00", "17:00"]'})
    holidays = fields.List(fields.String(), load_default=list, metadata={"description": "YYYY-MM-DD"})


class CalendarSchema(CalendarInputSchema):
    name = fields.String()
    updated_by = fields.String(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


SavedFilterPageSchema = page_schema(SavedFilterSchema, "SavedFilterPage")
CalendarPageSchema = page_schema(CalendarSchema, "CalendarPage")
