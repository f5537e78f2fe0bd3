"""What the OpenAPI document says about itself and every operation beyond the schemas.

An ``operationId`` on every operation (client generators name their methods after it), the
headers the API reads and sends (``Idempotency-Key``, ``If-Match``, ``ETag``,
``Idempotent-Replayed``, ``Retry-After``), the package version, a server and the licence.
"""

from __future__ import annotations

import re

from apispec import BasePlugin

from .. import __version__

# The operations that honour a request header, by "<blueprint>.<view>" and method.
IDEMPOTENT = {("instances.ProcessInstances", "post"), ("tickets.TicketComplete", "post"),
              ("approvals.TicketApprove", "post"), ("approvals.TicketReject", "post")}
CONDITIONAL = {("tickets.TicketClaim", "post"), ("tickets.TicketUnclaim", "post"), ("tickets.TicketComplete", "post"),
               ("approvals.TicketApprove", "post"), ("approvals.TicketReject", "post"),
               ("assignment.TicketAssign", "post"), ("assignment.TicketDelegate", "post"),
               ("assignment.TicketResolve", "post"), ("timeline.TicketProgress", "post")}
WITH_ETAG = {("tickets.TicketItem", "get"), ("tickets.TicketClaim", "post"), ("tickets.TicketUnclaim", "post"),
             ("assignment.TicketAssign", "post"), ("assignment.TicketDelegate", "post"),
             ("assignment.TicketResolve", "post"), ("timeline.TicketProgress", "post")}


def spec_options() -> dict:
    return {"info": {"license": {"name": "Apache-2.0", "url": "https://www.apache.org/licenses/LICENSE-2.0"},
                     "description": "flowdesk's REST API. Errors are application/problem+json (RFC 9457). "
                                    "A Camunda 7 compatible surface is served under /engine-rest."},
            "servers": [{"url": "/", "description": "this server"}],
            "plugins": [OperationDetails()]}


def any_value_needs_no_nullable(converter, field, ret: dict) -> dict:
    """Drop ``nullable`` from a schema without a ``type`` (``fields.Raw``): OpenAPI 3.0 ties
    ``nullable`` to a type, and a schema of no type already takes any JSON value, null too."""
    if "type" not in ret:
        ret.pop("nullable", None)
    return {}


def version() -> str:
    return __version__


def _words(name: str) -> list[str]:
    return [w.lower() for w in re.findall(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])", name)]


def operation_id(endpoint: str, method: str) -> str:
    """``tickets.Complete`` + post -> ``ticketsCompletePost``: unique, as each endpoint is."""
    words = [w for part in endpoint.split(".") for w in _words(part)] + [method.lower()]
    return words[0] + "".join(w.capitalize() for w in words[1:])


class OperationDetails(BasePlugin):
    """Adds operation ids and the declared headers while flask-smorest registers each path."""

    def operation_helper(self, path=None, operations=None, **kwargs):
        rule = kwargs.get("rule")
        if rule is None or not operations:
            return
        for method, operation in operations.items():
            key = (rule.endpoint, method)
            operation.setdefault("operationId", operation_id(rule.endpoint, method))
            parameters = operation.setdefault("parameters", [])
            if key in IDEMPOTENT:
                parameters.append({"in": "header", "name": "Idempotency-Key", "required": False,
                                   "schema": {"type": "string", "minLength": 1, "maxLength": 255},
                                   "description": "the same key replays the first answer"})
            if key in CONDITIONAL:
                parameters.append({"in": "header", "name": "If-Match", "required": False,
                                   "schema": {"type": "string"},
                                   "description": "the ticket's ETag: 412 when it changed since"})
            for status, response in operation.get("responses", {}).items():
                if not isinstance(response, dict) or not str(status).startswith("2"):
                    continue
                headers = response.setdefault("headers", {})
                if key in IDEMPOTENT:
                    headers["Idempotent-Replayed"] = {"schema": {"type": "string", "enum": ["true"]},
                                                      "description": "present when the answer is a replay"}
                if key in WITH_ETAG:
                    headers["ETag"] = {"schema": {"type": "string"}, "description": "the ticket's version"}
            responses = operation.setdefault("responses", {})
            # Named besides the default error, so clients (and generated ones) know them by status.
            if operation.get("security") != []:
                responses.setdefault("401", "UNAUTHORIZED")
                if (path or "").startswith("/api/v1/"):  # roles and scopes decide there
                    responses.setdefault("403", "FORBIDDEN")
            if "{" in (path or ""):
                responses.setdefault("404", "NOT_FOUND")
            responses.setdefault("503", {"description": "The database or queue is away: retry after a moment",
                                         "headers": {"Retry-After": {"schema": {"type": "integer"},
                                                                     "description": "seconds"}},
                                         "content": {"application/problem+json": {
                                             "schema": {"$ref": "#/components/schemas/Problem"}}}})
