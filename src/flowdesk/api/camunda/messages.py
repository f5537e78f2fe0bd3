"""/engine-rest/message and /engine-rest/signal: correlate a message, broadcast a signal.

flowdesk's delivery rules apply: an uncorrelated message (no business key, correlation keys or
instance) goes to the instance that has waited longest, a correlated one to every instance that
matches, and a message no instance waits for starts the processes with that message start event.
``all`` is accepted; a message that nothing catches is Camunda's 400.
"""

from __future__ import annotations

from flask import Blueprint, current_app, g, jsonify, request

from ...engine.access.signing import SIGNATURE_HEADER
from ...engine.process import inbound, instances
from ...engine.process import messages as engine_messages
from ...engine.store.errors import NotFound
from .errors import CamundaError
from .params import body, field
from .process_instances import instance_dto
from .variables import from_flowdesk, to_flowdesk

bp = Blueprint("message", __name__)


def _runtime():
    return current_app.extensions["flowdesk"]


def _check_signature() -> None:
    """Callers that must sign their messages (a signing secret) sign them here too."""
    inbound.require_signature(_runtime(), g.principal, request.headers.get(SIGNATURE_HEADER),
                              request.get_data(cache=True), current_app.config.get("FLOWDESK_INBOUND_SECRET"),
                              method=request.method, path=request.path)


def _check_tenant(data: dict) -> None:
    tenant = field(data, "tenantId", str)
    if tenant is not None and tenant != g.principal.tenant_id:
        raise CamundaError(400, "MismatchingMessageCorrelationException",
                           f"no process definition or execution of tenant '{tenant}' matches the parameters")


@bp.post("/message")
def correlate():
    """Correlate a message; with resultEnabled answer 200 with where it went, else 204."""
    data = body()
    _check_signature()
    _check_tenant(data)
    name = field(data, "messageName", str, required=True)
    keys = to_flowdesk(data.get("correlationKeys"), "correlationKeys") or None
    variables = {**to_flowdesk(data.get("processVariablesLocal"), "processVariablesLocal"),
                 **to_flowdesk(data.get("processVariables"), "processVariables")}
    field(data, "all", bool)
    try:
        delivery = engine_messages.correlate(
            _runtime(), g.principal, name, business_key=field(data, "businessKey", str), correlation_keys=keys,
            instance_id=field(data, "processInstanceId", str), variables=variables)
    except NotFound as exc:
        raise CamundaError(400, "MismatchingMessageCorrelationException",
                           f"Cannot correlate message '{name}': {exc.detail}") from exc
    if not field(data, "resultEnabled", bool, default=False):
        return "", 204
    with_variables = field(data, "variablesInResultEnabled", bool, default=False)
    results = []
    for instance_id in delivery.delivered_to + delivery.started:
        view = instances.get_instance(_runtime(), g.principal, instance_id)
        started = instance_id in delivery.started
        result = {"resultType": "ProcessDefinition" if started else "Execution",
                  "execution": None if started else {"id": view.id, "processInstanceId": view.id,
                                                     "ended": instance_dto(view)["ended"],
                                                     "tenantId": view.tenant_id},
                  "processInstance": instance_dto(view) if started else None}
        if with_variables:
            result["variables"] = from_flowdesk(view.variables)
        results.append(result)
    return jsonify(results)


@bp.post("/signal")
def signal():
    """Broadcast a signal to every waiting instance and signal start event (204)."""
    data = body()
    _check_signature()
    tenant = field(data, "tenantId", str)
    if tenant is not None and tenant != g.principal.tenant_id:
        return "", 204  # no instance of another tenant is visible: nothing catches it
    if field(data, "executionId", str) is not None:
        raise CamundaError(400, "InvalidRequestException", "signals to one execution (executionId) are not supported")
    engine_messages.broadcast(_runtime(), g.principal, field(data, "name", str, required=True),
                              to_flowdesk(data.get("variables")))
    return "", 204
