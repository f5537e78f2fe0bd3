"""History across instances: completed tickets and completed BPMN elements, and their filters."""

from __future__ import annotations

from datetime import timezone

from marshmallow import Schema, fields, validate

from .paging_schemas import PageQuerySchema, page_schema
from .schemas import TicketSummarySchema


def _bound(description: str) -> fields.AwareDateTime:
    return fields.AwareDateTime(default_timezone=timezone.utc, metadata={
        "description": f"{description} (ISO 8601; without an offset, UTC)"})


class TicketHistoryQuerySchema(PageQuerySchema):
    process_key = fields.String(validate=validate.Length(max=255))
    element_id = fields.String(validate=validate.Length(max=255), metadata={"description": "the user task's id"})
    completed_by = fields.String(validate=validate.Length(max=100))
    completed_after = _bound("completed at or after")
    completed_before = _bound("completed before")


class ActivityHistoryQuerySchema(PageQuerySchema):
    process_key = fields.String(validate=validate.Length(max=255))
    element_id = fields.String(validate=validate.Length(max=255))
    type = fields.String(validate=validate.Length(max=50), metadata={
        "description": "BPMN element type: `userTask`, `serviceTask`, `exclusiveGateway`, `endEvent`..."})
    instance_id = fields.String(validate=validate.Length(max=36))
    finished_after = _bound("finished at or after")
    finished_before = _bound("finished before")


class CompletedActivitySchema(Schema):
    id = fields.Integer()
    instance_id = fields.String()
    process_key = fields.String()
    process_version = fields.Integer()
    element_id = fields.String()
    name = fields.String(allow_none=True)
    type = fields.String(metadata={"description": "BPMN element type"})
    finished_at = fields.DateTime()


CompletedTicketPageSchema = page_schema(TicketSummarySchema, "CompletedTicketPage")
CompletedActivityPageSchema = page_schema(CompletedActivitySchema, "CompletedActivityPage")
