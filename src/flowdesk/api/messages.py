"""/messages and /signals: external systems correlate messages and broadcast signals."""

from __future__ import annotations

from flask import current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from ..engine.access.signing import SIGNATURE_HEADER
from ..engine.process import inbound, messages
from ..engine.process.messages import MAX_BUFFER_TTL
from .auth import principal, runtime


def _check_signature(body: dict) -> None:
    """Callers with a signing secret must sign the method, path and exact body they send; a signed
    request without a ``message_id`` gets one derived from its signature, so a replay is harmless."""
    replay_id = inbound.require_signature(
        runtime(), principal(), request.headers.get(SIGNATURE_HEADER), request.get_data(cache=True),
        current_app.config.get("FLOWDESK_INBOUND_SECRET"), method=request.method, path=request.path)
    if replay_id is not None and not body.get("message_id"):
        body["message_id"] = replay_id

blp = Blueprint("messages", __name__, url_prefix="/api/v1", description="Messages and signals")


class MessageInputSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=255))
    message_id = fields.String(validate=validate.Length(min=1, max=255),
                               metadata={"description": "makes the message idempotent: a repeat changes nothing"})
    business_key = fields.String(validate=validate.Length(max=255))
    correlation_keys = fields.Dict(metadata={"description": "values the waiting instance must have"})
    instance_id = fields.String()
    variables = fields.Dict(load_default=dict)
    buffer_ttl = fields.Integer(validate=validate.Range(1, MAX_BUFFER_TTL), metadata={
        "description": "seconds to keep an uncorrelated message for a later waiter (at most 7 days)"})
    to_all = fields.Boolean(data_key="all", load_default=False, metadata={
        "description": "every matching wait catches it (default: one instance, or every instance the "
                       "business key or correlation keys match, and in each the wait that began first)"})


class SignalInputSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=255))
    message_id = fields.String(validate=validate.Length(min=1, max=255),
                               metadata={"description": "makes the signal idempotent: a repeat changes nothing"})
    variables = fields.Dict(load_default=dict)


class DeliverySchema(Schema):
    id = fields.Function(lambda d: d.message.id if d.message is not None else None)
    status = fields.Function(lambda d: "buffered" if d.buffered else "delivered")
    delivered_to = fields.List(fields.String(), metadata={"description": "instances that caught it"})
    started = fields.List(fields.String(), metadata={"description": "instances it started"})
    replayed = fields.Boolean()


@blp.route("/messages")
class Messages(MethodView):
    @blp.arguments(MessageInputSchema)
    @blp.response(200, DeliverySchema, description="Delivered")
    @blp.alt_response(202, schema=DeliverySchema, description="Buffered for a later waiter", success=True)
    def post(self, body):
        """Correlate a message to waiting instances, or start processes with a matching start event.

        404 when nothing waits for it (unless ``buffer_ttl`` keeps it for a later waiter: 202).
        """
        _check_signature(body)
        name = body.pop("name")
        result = messages.correlate(runtime(), principal(), name, **body)
        return result, 202 if result.buffered else 200


@blp.route("/signals")
class Signals(MethodView):
    @blp.arguments(SignalInputSchema)
    @blp.response(200, DeliverySchema)
    def post(self, body):
        """Broadcast a signal to every waiting instance and every process a signal starts."""
        _check_signature(body)
        return messages.broadcast(runtime(), principal(), body["name"], body["variables"], body.get("message_id"))
