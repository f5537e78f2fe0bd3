"""Every error leaves as application/problem+json (RFC 9457), mapped here and only here."""

from __future__ import annotations

import http
import logging

from flask import Flask, Response, json
from flask_smorest import Api
from marshmallow import INCLUDE, Schema, fields
from werkzeug.exceptions import HTTPException

from ..engine.store import database
from ..engine.store import errors as domain

log = logging.getLogger(__name__)

PROBLEM = "application/problem+json"

STATUS_OF = {
    domain.Unauthenticated: 401,
    domain.Forbidden: 403,
    domain.NotFound: 404,
    domain.Conflict: 409,
    domain.PreconditionFailed: 412,
    domain.PayloadTooLarge: 413,
    domain.BadDocument: 400,
    domain.InvalidModel: 422,
    domain.InvalidInput: 422,
    domain.ExecutionFailed: 422,
    domain.Unavailable: 503,
}
# Seconds a client should wait before retrying while a dependency is away.
RETRY_AFTER_UNAVAILABLE = 2

TITLES = {
    400: "Bad request", 401: "Unauthenticated", 403: "Forbidden", 404: "Not found",
    405: "Method not allowed", 409: "Conflict", 412: "Precondition failed", 413: "Payload too large",
    415: "Unsupported media type", 422: "Unprocessable content", 428: "Precondition required",
    429: "Too many requests", 500: "Internal server error", 503: "Service unavailable",
}


def problem_body(status: int, code: str, detail: str, errors=None, extra: dict | None = None) -> dict:
    body = {"type": f"https://flowdesk.dev/problems/{code}", "title": TITLES.get(status, "Error"),
            "status": status, "detail": detail, "code": code}
    if errors:
        body["errors"] = errors
    body.update({k: v for k, v in (extra or {}).items() if v is not None and k not in body})
    return body


def problem(status: int, code: str, detail: str, errors=None, headers: dict | None = None,
            extra: dict | None = None) -> Response:
    body = problem_body(status, code, detail, errors, extra)
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="flowdesk"'
    return response


def _status_for(error: domain.DomainError) -> int:
    for cls in type(error).__mro__:
        if cls in STATUS_OF:
            return STATUS_OF[cls]
    return 400


def problem_of(error: domain.DomainError) -> dict:
    """The problem+json body a domain error answers with (for results inside a 200, such as bulk)."""
    return problem_body(_status_for(error), error.code, error.detail, getattr(error, "errors", None), error.extra)


def handle_domain_error(error: domain.DomainError) -> Response:
    status = _status_for(error)
    extra = dict(error.extra)
    headers = {"Retry-After": str(extra.pop("retry_after", RETRY_AFTER_UNAVAILABLE))} if status == 503 else None
    return problem(status, error.code, error.detail, errors=getattr(error, "errors", None), headers=headers,
                   extra=extra)


def _http_code(status: int) -> str:
    return {400: "bad_request", 401: "unauthenticated", 403: "forbidden", 404: "not_found",
            405: "method_not_allowed", 413: "payload_too_large", 415: "unsupported_media_type",
            422: "invalid_input", 429: "rate_limited"}.get(status, "http_error")


class ProblemSchema(Schema):
    """RFC 9457 problem details, as every error of /api/v1 is answered."""

    class Meta:
        unknown = INCLUDE  # members particular to a problem (assignee, allowed_actions...) may follow

    type = fields.String(required=True, metadata={"description": "a URI naming the kind of problem"})
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String(required=True)
    code = fields.String(required=True, metadata={"description": "stable, documented error code"})
    errors = fields.Raw(metadata={"description": "per-field reasons (invalid input)"})


class ProblemApi(Api):
    """flask-smorest's Api with every HTTP error (incl. schema validation) as problem+json.

    The OpenAPI document says so too: its error responses are ``application/problem+json``
    with :class:`ProblemSchema` (other members, such as ``assignee`` on a conflict, may follow).
    """

    ERROR_SCHEMA = ProblemSchema

    def _register_responses(self):
        self.spec.components.schema("Problem", schema=ProblemSchema)
        for status in http.HTTPStatus:
            response = {"description": status.phrase}
            if status >= 400:
                response["content"] = {PROBLEM: {"schema": "Problem"}}
            self.spec.components.response(status.name, response, lazy=True)
        self.spec.components.response("DEFAULT_ERROR", {
            "description": "An error, as problem+json (RFC 9457)",
            "content": {PROBLEM: {"schema": "Problem"}}}, lazy=True)

    def _register_pagination_header(self):
        """None: lists page by cursor in the body (``{items, next_cursor}``), never with
        flask-smorest's pagination header, whose schema would sit unused in the document."""

    def handle_http_exception(self, error: HTTPException):
        status = error.code or 500
        data = getattr(error, "data", None) or {}
        messages = data.get("messages")
        if status == 422 and messages:
            # webargs nests messages by location (json, query, headers); flatten one level.
            errors = {}
            for location, found in messages.items():
                errors.update(found if isinstance(found, dict) else {location: found})
            return problem(422, "invalid_input", "the request does not match the expected schema", errors=errors)
        return problem(status, _http_code(status), error.description or TITLES.get(status, "error"))


def register(app: Flask) -> None:
    app.register_error_handler(domain.DomainError, handle_domain_error)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        if isinstance(error, HTTPException):
            return problem(error.code or 500, _http_code(error.code or 500), error.description or "")
        unavailable = database.unavailability(error)
        if unavailable is not None:
            # The database is away, busy or out of storage: a retryable answer, not a bug.
            log.warning("database unavailable: %s", str(error).splitlines()[0] if str(error) else type(error).__name__)
            return problem(503, unavailable.code, f"{unavailable.detail}; retry shortly",
                           headers={"Retry-After": str(RETRY_AFTER_UNAVAILABLE)})
        log.exception("unhandled error")
        return problem(500, "internal_error", "an unexpected error occurred; it has been logged")
