"""/oidc: the web UI's sign-in with an OpenID Connect provider (see ``engine/access/oidc.py`` for the flow).

Both endpoints answer without a key: they are how a user without one gets a token.
"""

from __future__ import annotations

from flask import Flask, current_app, url_for
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from ..config import Settings
from ..engine.access import oidc

blp = Blueprint("oidc", __name__, url_prefix="/api/v1/oidc",
                description="Signing in to the web UI with an OpenID Connect provider")
# Endpoints the bearer check in auth.py lets through.
PUBLIC_ENDPOINTS = {"oidc.OidcLogin", "oidc.OidcToken"}


class LoginOptionsSchema(Schema):
    provider = fields.String(metadata={"description": "name for the sign-in button"})
    authorization_endpoint = fields.String()
    client_id = fields.String()
    scope = fields.String()
    redirect_uri = fields.String()


class CodeSchema(Schema):
    code = fields.String(required=True, metadata={"description": "the `code` the provider sent back"})
    code_verifier = fields.String(required=True, metadata={"description": "the PKCE verifier (RFC 7636)"})


class TokenSchema(Schema):
    token = fields.String(metadata={"description": "send it as `Authorization: Bearer <token>`"})
    token_type = fields.String()
    expires_in = fields.Integer(allow_none=True)


def client() -> oidc.OidcClient:
    return oidc.require(current_app.extensions.get("flowdesk_oidc"))


def callback_url() -> str:
    return url_for("ui.oidc_callback", _external=True)


@blp.route("")
class OidcLogin(MethodView):
    @blp.doc(security=[])
    @blp.response(200, LoginOptionsSchema)
    @blp.alt_response(404, "NOT_FOUND", description="No identity provider is configured")
    def get(self):
        """Where to send the browser to sign in (404 when no provider is configured)."""
        return client().login_options(callback_url())


@blp.route("/token")
class OidcToken(MethodView):
    @blp.doc(security=[])
    @blp.arguments(CodeSchema)
    @blp.response(200, TokenSchema)
    @blp.alt_response(401, "UNAUTHORIZED", description="The provider refused the code")
    @blp.alt_response(404, "NOT_FOUND", description="No identity provider is configured")
    def post(self, body):
        """Exchange the authorization code and PKCE verifier for the provider's token.

        401 when the provider refuses the code (used, expired, wrong verifier); nothing is stored.
        """
        answer = client().exchange(body["code"], body["code_verifier"], callback_url())
        return {**answer, "token_type": "Bearer"}


def register(app: Flask, settings: Settings) -> None:
    """Keep the provider client when both the issuer and the client id are set."""
    if settings.oidc_issuer and settings.oidc_client_id:
        app.extensions["flowdesk_oidc"] = oidc.OidcClient(
            settings.oidc_issuer, settings.oidc_client_id, settings.oidc_scopes, settings.oidc_provider_name,
            settings.oidc_token, settings.oidc_redirect_uri)
