"""/incidents, /jobs, /secrets and /webhooks: what operators and admins need for service tasks."""

from __future__ import annotations

from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint

from ..engine.access import secrets
from ..engine.process import incidents, job_results, jobs, webhooks
from .auth import principal, runtime
from .operation_schemas import (
    DeliveryPageSchema, IncidentPageSchema, IncidentQuerySchema, IncidentResolutionSchema, IncidentSchema,
    JobSchema, SecretInputSchema, SecretPageSchema, SecretSchema, WebhookInputSchema, WebhookPageSchema,
    WebhookSchema,
)
from .paging_schemas import PageQuerySchema

blp = Blueprint("operations", __name__, url_prefix="/api/v1",
                description="Jobs, incidents, secrets and webhooks")

CALLBACK_ENDPOINT = "operations.JobCallback"


@blp.route("/incidents")
class Incidents(MethodView):
    @blp.arguments(IncidentQuerySchema, location="query")
    @blp.response(200, IncidentPageSchema)
    def get(self, query):
        """Work that stopped and needs a person, by status and instance; oldest first unless `sort=-created`."""
        after, limit = query.pop("after", None), query.pop("limit")
        return incidents.list_incidents(runtime(), principal(), after=after, limit=limit, **query)


@blp.route("/incidents/<incident_id>")
class IncidentItem(MethodView):
    @blp.response(200, IncidentSchema)
    def get(self, incident_id):
        """One incident."""
        return incidents.get_incident(runtime(), principal(), incident_id)


@blp.route("/incidents/<incident_id>/retry")
class IncidentRetry(MethodView):
    @blp.response(200, IncidentSchema)
    def post(self, incident_id):
        """Resolve the incident and run its job again with a fresh round of retries (admins)."""
        return incidents.retry(runtime(), principal(), incident_id)


@blp.route("/incidents/<incident_id>/resolve")
class IncidentResolve(MethodView):
    @blp.arguments(IncidentResolutionSchema, required=False)
    @blp.response(200, IncidentSchema)
    def post(self, body, incident_id):
        """Mark the incident resolved without retrying anything (admins), e.g. when the failed work
        was done by hand.

        Only the incident closes, as in Camunda 7: the instance stays where it stopped and its
        job is not run again; the instance's own actions (cancel, migrate, variables) move it on.
        409 when the incident is already resolved.
        """
        return incidents.resolve(runtime(), principal(), incident_id, (body or {}).get("note"))


@blp.route("/jobs/<job_id>")
class JobItem(MethodView):
    @blp.response(200, JobSchema)
    def get(self, job_id):
        """One job (action call or webhook delivery) with its attempt log."""
        job, attempts = jobs.get_job(runtime(), principal(), job_id)
        job.attempt_log = attempts
        return job


@blp.route("/jobs/<job_id>/callback")
class JobCallback(MethodView):
    @blp.response(200, JobSchema)
    @blp.doc(security=[], parameters=[{"in": "header", "name": "X-Flowdesk-Callback-Token", "required": True,
                                       "schema": {"type": "string"}}])
    def post(self, job_id):
        """An async action reports its result (JSON body) with the token it was sent.

        Needs no API key: the token (header ``X-Flowdesk-Callback-Token`` or ``Authorization:
        Bearer``) proves the caller got the request.
        """
        token = request.headers.get("X-Flowdesk-Callback-Token")
        if token is None and request.headers.get("Authorization", "").lower().startswith("bearer "):
            token = request.headers["Authorization"][7:].strip()
        body = request.get_json(silent=True) if request.data else None
        job = job_results.callback(runtime(), job_id, token, body)
        job.attempt_log = []
        return job


@blp.route("/secrets")
class Secrets(MethodView):
    @blp.arguments(PageQuerySchema, location="query")
    @blp.response(200, SecretPageSchema)
    def get(self, query):
        """Secret names (never values), by name, a page at a time. Admins only."""
        return secrets.list_secrets(runtime(), principal(), query.get("after"), query["limit"])


@blp.route("/secrets/<name>")
class SecretItem(MethodView):
    @blp.arguments(SecretInputSchema)
    @blp.response(200, SecretSchema, description="Replaced")
    @blp.alt_response(201, schema=SecretSchema, description="Created", success=True)
    def put(self, body, name):
        """Create or replace a secret, referenced in action URLs and headers as ``{{secret:NAME}}``."""
        info, created = secrets.put(runtime(), principal(), name, body["value"], body.get("models_may_use"))
        return info, 201 if created else 200

    @blp.response(204)
    def delete(self, name):
        """Delete a secret."""
        secrets.delete(runtime(), principal(), name)


@blp.route("/webhooks")
class Webhooks(MethodView):
    @blp.arguments(PageQuerySchema, location="query")
    @blp.response(200, WebhookPageSchema)
    def get(self, query):
        """Webhook subscriptions, oldest first, a page at a time."""
        return webhooks.list_subscriptions(runtime(), principal(), query.get("after"), query["limit"])

    @blp.arguments(WebhookInputSchema)
    @blp.response(201, WebhookSchema)
    def post(self, body):
        """Subscribe a URL to events; the response carries the signing secret once."""
        created = webhooks.subscribe(runtime(), principal(), body["url"], body["events"], body.get("secret"))
        created.subscription.secret = created.secret
        return created.subscription


@blp.route("/webhooks/<subscription_id>")
class WebhookItem(MethodView):
    @blp.response(204)
    def delete(self, subscription_id):
        """Stop deliveries to this subscription."""
        webhooks.unsubscribe(runtime(), principal(), subscription_id)


@blp.route("/webhooks/<subscription_id>/deliveries")
class WebhookDeliveries(MethodView):
    @blp.arguments(PageQuerySchema, location="query")
    @blp.response(200, DeliveryPageSchema)
    def get(self, query, subscription_id):
        """The delivery log of a subscription: status, attempts, last error."""
        return webhooks.deliveries(runtime(), principal(), subscription_id, query.get("after"), query["limit"])
