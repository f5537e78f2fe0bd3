"""Deployed definitions: what a deploy answers and the processes with their versions."""

from __future__ import annotations

from marshmallow import Schema, fields

from .paging_schemas import page_schema


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


DefinitionSummaryPageSchema = page_schema(DefinitionSummarySchema, "DefinitionSummaryPage")
