"""Request and response shapes of /users, /groups, /api-keys and /audit-log."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from ..engine.access import api_keys
from ..engine.access.principal import ROLES, SCOPES
from .paging_schemas import PageQuerySchema, page_schema



def _names(description: str):
    return fields.List(fields.String(validate=validate.Length(min=1, max=255)), allow_none=True,
                       metadata={"description": description})


class UserInputSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    groups = fields.List(fields.String(validate=validate.Length(min=1, max=255)), load_default=list)
    lead_of = fields.List(fields.String(validate=validate.Length(min=1, max=255)), load_default=list)
    process_keys = _names("processes this user may start; absent or null: any")
    message_names = _names("messages and signals this user may send; absent or null: any")
    topics = _names("external-task topics this user may fetch and work; absent or null: any")


class UserPatchSchema(Schema):
    role = fields.String(validate=validate.OneOf(ROLES))
    groups = fields.List(fields.String(validate=validate.Length(min=1, max=255)))
    lead_of = fields.List(fields.String(validate=validate.Length(min=1, max=255)))
    process_keys = _names("null lifts the limit")
    message_names = _names("null lifts the limit")
    topics = _names("null lifts the limit")


class UserSchema(Schema):
    id = fields.String()
    name = fields.String()
    role = fields.String()
    groups = fields.List(fields.String(), attribute="group_names")
    lead_of = fields.List(fields.String())
    process_keys = fields.List(fields.String(), allow_none=True)
    message_names = fields.List(fields.String(), allow_none=True)
    topics = fields.List(fields.String(), allow_none=True)
    signs_inbound = fields.Function(lambda u: u.signing_secret is not None,
                                    metadata={"description": "messages and signals from this user must be signed"})
    created_at = fields.DateTime()


class CreatedUserSchema(UserSchema):
    api_key = fields.String(metadata={"description": "shown once: only its hash is stored"})


class SigningSecretInputSchema(Schema):
    secret = fields.String(validate=validate.Length(min=16, max=256),
                           metadata={"description": "generated when absent"})


class SigningSecretSchema(Schema):
    secret = fields.String(metadata={"description": "shown once; HMAC-SHA256 key for X-Flowdesk-Signature"})


class GroupInputSchema(Schema):
    members = fields.List(fields.String(validate=validate.Length(min=1, max=100)), required=True)
    leads = fields.List(fields.String(validate=validate.Length(min=1, max=100)), load_default=list)


class GroupSchema(Schema):
    name = fields.String()
    members = fields.List(fields.String())
    leads = fields.List(fields.String())


class ApiKeyInputSchema(Schema):
    user = fields.String(required=True, validate=validate.Length(min=1, max=100))
    name = fields.String(validate=validate.Length(min=1, max=100))
    scopes = fields.List(fields.String(validate=validate.OneOf(SCOPES)), validate=validate.Length(min=1))
    expires_in = fields.Integer(validate=validate.Range(1, api_keys.MAX_EXPIRES_IN),
                                metadata={"description": "seconds (at most ten years)"})
    process_keys = _names("narrows the user's allow-list")
    message_names = _names("narrows the user's allow-list")
    topics = _names("narrows the user's allow-list")


class ApiKeyQuerySchema(PageQuerySchema):
    user = fields.String()


class RotateInputSchema(Schema):
    grace_seconds = fields.Integer(load_default=0, validate=validate.Range(min=0, max=7 * 24 * 3600),
                                   metadata={"description": "how long the old key keeps working; 0 revokes it now"})


class ApiKeySchema(Schema):
    id = fields.String()
    user = fields.Function(lambda k: k.user.name)
    name = fields.String(allow_none=True)
    prefix = fields.String(metadata={"description": "the first few characters of a long random key, to "
                                                    "recognise it (empty for short chosen keys: use the id)"})
    scopes = fields.List(fields.String())
    process_keys = fields.List(fields.String(), allow_none=True)
    message_names = fields.List(fields.String(), allow_none=True)
    topics = fields.List(fields.String(), allow_none=True)
    created_at = fields.DateTime()
    last_used_at = fields.DateTime(allow_none=True, metadata={"description": "to the minute"})
    expires_at = fields.DateTime(allow_none=True)
    revoked_at = fields.DateTime(allow_none=True)
    replaced_by = fields.String(allow_none=True)


class CreatedApiKeySchema(ApiKeySchema):
    key = fields.String(metadata={"description": "shown once: only its hash is stored"})


class AuditLogQuerySchema(PageQuerySchema):
    action = fields.String(validate=validate.Length(max=50))
    actor = fields.String(validate=validate.Length(max=100))


class AuditLogEntrySchema(Schema):
    id = fields.Integer()
    action = fields.String()
    actor = fields.String(allow_none=True)
    target_type = fields.String()
    target = fields.String(allow_none=True)
    detail = fields.Dict()
    created_at = fields.DateTime()


AuditLogPageSchema = page_schema(AuditLogEntrySchema, "AuditLogPage")

UserPageSchema = page_schema(UserSchema, "UserPage")
GroupPageSchema = page_schema(GroupSchema, "GroupPage")
ApiKeyPageSchema = page_schema(ApiKeySchema, "ApiKeyPage")
