"""The HTTP API: ``create_app()`` builds the Flask app around an engine runtime."""

from __future__ import annotations

import logging

from flask import Flask, g, request

from ..config import Settings
from ..engine.access import identity
from ..engine.store import database
from ..engine.store.errors import Conflict
from ..engine.store.runtime import Runtime
from . import auth, definitions, errors, external_tasks, health, instances, messages, observability, operations, security, text_input, tickets
from . import attachments, comments, timeline
from . import approvals, assignment, calendars, data_stores, filters, me, ui
from . import decisions, history, processes
from . import audit_log, camunda, compression, oidc, openapi_document, rate_limits, users
from . import requests as request_api

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None, runtime: Runtime | None = None) -> Flask:
    """Build the app. With no arguments, settings come from the ``FLOWDESK_*`` environment."""
    settings = settings or Settings.from_env()
    app = Flask(__name__)
    app.config.update(
        API_TITLE="flowdesk",
        API_VERSION=openapi_document.version(),
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api",
        OPENAPI_JSON_PATH="openapi.json",
        # Several files per upload, each checked against max_upload_bytes on its own.
        MAX_CONTENT_LENGTH=settings.max_upload_bytes * 8 + 64 * 1024,
        JSON_SORT_KEYS=False,
    )
    if runtime is None:
        runtime = Runtime(settings.database_url, max_upload_bytes=settings.max_upload_bytes)
        if settings.auto_migrate:
            runtime.upgrade_schema()
    app.extensions["flowdesk"] = runtime
    # An attachment (one file) may be allowed more than a whole batch of BPMN files.
    app.config["MAX_CONTENT_LENGTH"] = max(app.config["MAX_CONTENT_LENGTH"], runtime.max_attachment_bytes + 64 * 1024)
    try:
        created_key = identity.ensure_admin(runtime, settings.admin_key)
    except Conflict:
        created_key = None  # another process (gunicorn worker) created it at the same moment
    if created_key:
        # Shown once: only its hash is stored.
        print(f"flowdesk: created user 'admin' with API key {created_key}  (shown once; keep it)", flush=True)

    options = openapi_document.spec_options()
    api = errors.ProblemApi(app, spec_kwargs={"components": {"securitySchemes": {
        "bearer": {"type": "http", "scheme": "bearer"}}}, "security": [{"bearer": []}],
        "extra_plugins": options.pop("plugins"), **options})
    api.ma_plugin.converter.add_attribute_function(openapi_document.any_value_needs_no_nullable)
    for module in (health, observability, definitions, instances, tickets, operations, external_tasks, messages):
        api.register_blueprint(module.blp)
    for module in (timeline, comments, attachments):
        api.register_blueprint(module.blp)
    for module in (assignment, approvals, calendars, filters, me, data_stores):
        api.register_blueprint(module.blp)
    for module in (users, audit_log, oidc, request_api, processes, decisions, history):
        api.register_blueprint(module.blp)
    app.config["FLOWDESK_INBOUND_SECRET"] = (settings.inbound_signing_secret or "").encode() or None
    app.config["FLOWDESK_METRICS_TOKEN"] = settings.metrics_token or None
    _reads_take_no_write_lock(app)  # first: the key lookup of every request is a read too
    compression.register(app)  # first registered, last to run: it sends what the others made
    errors.register(app)
    observability.register(app)
    security.register(app, settings.max_json_bytes)
    text_input.register(app)
    rate_limits.register(app, settings)
    oidc.register(app, settings)
    auth.register(app, settings)
    # One 404 handler answers for the whole app: the Camunda surface's under /engine-rest, the
    # UI's HTML page under /ui/, problem+json elsewhere.
    ui.register(app)
    camunda.register(app, lambda error: ui.not_found(error) if error.code == 404 else api.handle_http_exception(error))
    return app


def _reads_take_no_write_lock(app: Flask) -> None:
    """GET and HEAD requests read: their transactions start without SQLite's write lock.

    One that writes after all (a first login recording its user) takes the lock when it
    writes, or answers 503 with Retry-After when another write came between.
    """
    @app.before_request
    def _mark():
        g.read_only_token = database.read_only.set(request.method in ("GET", "HEAD"))

    @app.teardown_request
    def _unmark(_error):
        token = g.pop("read_only_token", None)
        if token is not None:
            database.read_only.reset(token)
