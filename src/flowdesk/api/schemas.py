"""Marshmallow schemas: the JSON shapes of the API, shared by the blueprints."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from ..engine.instances import INSTANCE_STATUSES
from ..engine.tickets import TICKET_STATUSES


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
    created_at = fields.DateTime()
    claimed_at = fields.DateTime(allow_none=True)
    completed_at = fields.DateTime(allow_none=True)
    completed_by = fields.String(allow_none=True)


class TicketSchema(TicketSummarySchema):
    lane = fields.String(allow_none=True)
    documentation = fields.String(allow_none=True)
    form = fields.Dict(allow_none=True)
    data = fields.Dict()
    result = fields.Dict(allow_none=True)
    comment = fields.String(allow_none=True)
    etag = fields.String()


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


class InstanceSchema(InstanceCoreSchema):
    open_tickets = fields.List(fields.Nested(TicketSummarySchema))


class CompletionSchema(Schema):
    ticket = fields.Nested(TicketSchema)
    instance = fields.Nested(InstanceCoreSchema)
    open_tickets = fields.List(fields.Nested(TicketSummarySchema))


def page_schema(item_schema: type[Schema], name: str) -> type[Schema]:
    return Schema.from_dict({"items": fields.List(fields.Nested(item_schema)),
                             "next_cursor": fields.String(allow_none=True)}, name=name)


TicketPageSchema = page_schema(TicketSummarySchema, "TicketPage")
InstancePageSchema = page_schema(InstanceSchema, "InstancePage")


class PageQuerySchema(Schema):
    limit = fields.Integer(validate=validate.Range(1, 200), load_default=50)
    after = fields.String(metadata={"description": "`next_cursor` of the previous page"})


class TicketQuerySchema(PageQuerySchema):
    status = fields.String(validate=validate.OneOf(TICKET_STATUSES))
    assignee = fields.String(metadata={"description": "`me` or a user name"})
    candidate_group = fields.String()
    process_key = fields.String()
    instance_id = fields.String()
    element_id = fields.String()


class InstanceQuerySchema(PageQuerySchema):
    process_key = fields.String()
    status = fields.String(validate=validate.OneOf(INSTANCE_STATUSES))
    business_key = fields.String()


class CompleteSchema(Schema):
    data = fields.Dict(load_default=dict)
    comment = fields.String(allow_none=True, validate=validate.Length(max=10000))


class StartSchema(Schema):
    variables = fields.Dict(load_default=dict)
    business_key = fields.String(allow_none=True, validate=validate.Length(max=255))


class DeployedSchema(Schema):
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


class DefinitionSummarySchema(Schema):
    key = fields.String(attribute="process_key")
    name = fields.String()
    latest_version = fields.Integer()
    versions = fields.Integer()


class DefinitionSchema(Schema):
    key = fields.String()
    name = fields.String()
    versions = fields.List(fields.Nested(DefinitionVersionSchema))
