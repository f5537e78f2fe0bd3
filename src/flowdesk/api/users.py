"""/users, /groups and /api-keys: who may call flowdesk, and with which keys (admins)."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from ..engine.access import api_keys, identity
from .auth import principal, runtime
from .identity_schemas import (
    ApiKeyInputSchema,
    ApiKeyPageSchema,
    ApiKeyQuerySchema,
    CreatedApiKeySchema,
    CreatedUserSchema,
    GroupInputSchema,
    GroupPageSchema,
    GroupSchema,
    RotateInputSchema,
    SigningSecretInputSchema,
    SigningSecretSchema,
    UserInputSchema,
    UserPageSchema,
    UserPatchSchema,
    UserSchema,
)
from .paging_schemas import PageQuerySchema

blp = Blueprint("users", __name__, url_prefix="/api/v1", description="Users, groups and API keys")


class _Issued:
    """A stored user or key plus the secret shown with it this once."""

    def __init__(self, row, **shown):
        self._row = row
        self.__dict__.update(shown)

    def __getattr__(self, name):
        return getattr(self._row, name)


@blp.route("/users")
class Users(MethodView):
    @blp.arguments(PageQuerySchema, location="query")
    @blp.response(200, UserPageSchema)
    def get(self, query):
        """Users, by name, a page at a time (admins, auditors)."""
        return identity.list_users(runtime(), principal(), query.get("after"), query["limit"])

    @blp.arguments(UserInputSchema)
    @blp.response(201, CreatedUserSchema)
    def post(self, body):
        """Create a user with a first API key, returned once (admins)."""
        user, key = identity.create_user(runtime(), body["name"], body["role"], body["groups"],
                                         lead_of=body["lead_of"], process_keys=body.get("process_keys"),
                                         message_names=body.get("message_names"), topics=body.get("topics"),
                                         by=principal())
        return _Issued(user, api_key=key)


@blp.route("/users/<name>")
class UserItem(MethodView):
    @blp.response(200, UserSchema)
    def get(self, name):
        """One user."""
        return identity.get_user(runtime(), principal(), name)

    @blp.arguments(UserPatchSchema)
    @blp.response(200, UserSchema)
    def patch(self, body, name):
        """Change a user's role, groups or allow-lists (what is absent stays)."""
        return identity.update_user(runtime(), principal(), name, **body)

    @blp.response(204)
    def delete(self, name):
        """Delete a user and their keys."""
        identity.delete_user(runtime(), principal(), name)


@blp.route("/users/<name>/signing-secret")
class UserSigningSecret(MethodView):
    @blp.arguments(SigningSecretInputSchema)
    @blp.response(200, SigningSecretSchema)
    def put(self, body, name):
        """Require this user's messages and signals to be signed with the returned secret."""
        return {"secret": identity.set_signing_secret(runtime(), principal(), name, body.get("secret"))}

    @blp.response(204)
    def delete(self, name):
        """Stop requiring signatures from this user (a global secret, if set, still applies)."""
        identity.set_signing_secret(runtime(), principal(), name, remove=True)


@blp.route("/groups")
class Groups(MethodView):
    @blp.arguments(PageQuerySchema, location="query")
    @blp.response(200, GroupPageSchema)
    def get(self, query):
        """Groups, by name, with members and leads, a page at a time."""
        return identity.list_groups(runtime(), principal(), query.get("after"), query["limit"])


@blp.route("/groups/<group>")
class GroupItem(MethodView):
    @blp.arguments(GroupInputSchema)
    @blp.response(200, GroupSchema)
    def put(self, body, group):
        """Set the group's members and leads exactly (admins)."""
        return identity.set_group(runtime(), principal(), group, body["members"], body["leads"])

    @blp.response(204)
    def delete(self, group):
        """Remove everybody from the group."""
        identity.delete_group(runtime(), principal(), group)


@blp.route("/api-keys")
class ApiKeys(MethodView):
    @blp.arguments(ApiKeyQuerySchema, location="query")
    @blp.response(200, ApiKeyPageSchema)
    def get(self, query):
        """Keys, without secrets, oldest first, a page at a time: all for admins and auditors, your
        own for others."""
        return api_keys.list_keys(runtime(), principal(), query.get("user"), query.get("after"), query["limit"])

    @blp.arguments(ApiKeyInputSchema)
    @blp.response(201, CreatedApiKeySchema)
    def post(self, body):
        """A new key for a user, with scopes, expiry and allow-lists; the secret is returned once."""
        user = body.pop("user")
        row, secret = api_keys.create(runtime(), principal(), user, **body)
        return _Issued(row, key=secret)


@blp.route("/api-keys/<key_id>/rotate")
class ApiKeyRotation(MethodView):
    @blp.arguments(RotateInputSchema)
    @blp.response(201, CreatedApiKeySchema)
    def post(self, body, key_id):
        """Replace a key (admins, or its owner): same rights, new secret; the old one lasts the grace."""
        row, secret = api_keys.rotate(runtime(), principal(), key_id, body["grace_seconds"])
        return _Issued(row, key=secret)


@blp.route("/api-keys/<key_id>")
class ApiKeyItem(MethodView):
    @blp.response(204)
    def delete(self, key_id):
        """Revoke a key at once (admins, or its owner)."""
        api_keys.revoke(runtime(), principal(), key_id)
