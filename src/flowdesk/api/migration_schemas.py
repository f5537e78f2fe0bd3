"""Marshmallow schemas of migrating instances to another version (and of a deploy's impact on them)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from .number_input import VERSION


class MigrateSchema(Schema):
    version = fields.Integer(required=True, strict=True, validate=VERSION,
                             metadata={"description": "the version of its process to move the instance to"})


class BulkMigrateSchema(Schema):
    from_version = fields.Integer(strict=True, validate=VERSION,
                                  metadata={"description": "only instances of this version (default: all others)"})
    to_version = fields.Integer(required=True, strict=True, validate=VERSION)
    limit = fields.Integer(strict=True, validate=validate.Range(1, 1000), load_default=100,
                           metadata={"description": "at most this many instances, oldest first"})


class MigrationOutcomeSchema(Schema):
    instance_id = fields.String()
    status = fields.String(metadata={"description": "`migrated` or `refused`"})
    from_version = fields.Integer(allow_none=True)
    to_version = fields.Integer()
    reasons = fields.List(fields.String(), metadata={"description": "why it was refused"})


class BulkMigrationSchema(Schema):
    migrated = fields.Integer()
    refused = fields.Integer()
    results = fields.List(fields.Nested(MigrationOutcomeSchema))


class NotMigratableSchema(Schema):
    instance_id = fields.String()
    version = fields.Integer()
    reasons = fields.List(fields.String())


class DeployImpactSchema(Schema):
    key = fields.String()
    would_create_version = fields.Boolean(metadata={"description": "false when the content is already deployed"})
    current_version = fields.Integer(allow_none=True)
    running_instances = fields.Integer(metadata={
        "description": "running or suspended instances of the other versions"})
    migratable = fields.Integer(metadata={"description": "of those checked, how many could move to this content"})
    not_migratable = fields.List(fields.Nested(NotMigratableSchema))
    checked = fields.Integer(metadata={"description": "instances checked (at most 500 per process)"})
