"""Errors under /engine-rest answer as Camunda 7 documents them: ``{"type": ..., "message": ...}``.

``type`` names the Java exception a Camunda engine would have thrown, which is what Camunda
clients show and some of them match on.
"""

from __future__ import annotations

from flask import Response, json
from werkzeug.exceptions import HTTPException

from ...engine.store import errors as domain

# Domain error -> (status, Camunda exception type). A lock held by another worker, a task no longer
# waiting or an uncaught BPMN error are "bad user requests" (400) to Camunda, not conflicts.
_CAMUNDA_OF = (
    (domain.Unauthenticated, 401, "AuthenticationException"),
    (domain.Forbidden, 403, "AuthorizationException"),
    (domain.NotFound, 404, "RestException"),
    (domain.PreconditionFailed, 409, "OptimisticLockingException"),
    (domain.Conflict, 400, "BadUserRequestException"),
    (domain.PayloadTooLarge, 413, "RestException"),
    (domain.InvalidInput, 400, "InvalidRequestException"),
    (domain.BadDocument, 400, "InvalidRequestException"),
    (domain.ExecutionFailed, 500, "ProcessEngineException"),
    (domain.Unavailable, 503, "RestException"),
)


class CamundaError(Exception):
    """An error whose Camunda status and type a handler chooses itself (a message that matched nothing)."""

    def __init__(self, status: int, kind: str, message: str):
        super().__init__(message)
        self.status, self.kind, self.message = status, kind, message


def exception_body(status: int, kind: str, message: str, headers: dict | None = None) -> Response:
    response = Response(json.dumps({"type": kind, "message": message}), status=status, mimetype="application/json")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Basic realm="flowdesk", Bearer realm="flowdesk"'
    return response


def domain_error(error: domain.DomainError) -> Response:
    for cls, status, kind in _CAMUNDA_OF:
        if isinstance(error, cls):
            headers = {"Retry-After": str(error.extra.get("retry_after", 2))} if status == 503 else None
            return exception_body(status, kind, _message(error), headers)
    return exception_body(400, "InvalidRequestException", _message(error))


def _message(error: domain.DomainError) -> str:
    errors = getattr(error, "errors", None)
    if isinstance(errors, dict) and errors:
        details = "; ".join(f"{field}: {', '.join(map(str, reasons)) if isinstance(reasons, list) else reasons}"
                            for field, reasons in errors.items())
        return f"{error.detail} ({details})"
    return error.detail


def http_error(error: HTTPException) -> Response:
    status = error.code or 500
    kind = {404: "NotFoundException", 405: "NotAllowedException", 415: "NotSupportedException"}.get(
        status, "InvalidRequestException" if status < 500 else "RestException")
    return exception_body(status, kind, error.description or "")


def camunda_error(error: CamundaError) -> Response:
    return exception_body(error.status, error.kind, error.message)
