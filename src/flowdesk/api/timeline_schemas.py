"""A ticket's and an instance's story: progressions, history, progress, comments and attachments."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from .paging_schemas import page_schema


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
