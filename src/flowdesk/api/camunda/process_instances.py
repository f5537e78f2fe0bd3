"""/engine-rest/process-instance: list, read and cancel running instances; read and write their variables.

As in Camunda's runtime API only instances that have not ended are found here.
"""

from __future__ import annotations

from flask import Blueprint, current_app, g, jsonify, request

from ...engine.process import instance_queries, instance_variables, instances, lifecycle
from ...engine.store.errors import InvalidInput, NotFound
from .params import body, field, flag, listed, page
from .variables import from_flowdesk, to_flowdesk, typed, value_of

bp = Blueprint("process_instance", __name__, url_prefix="/process-instance")

ENDED = ("completed", "cancelled", "failed")
NOT_ENDED = ("running", "suspended")


def _runtime():
    return current_app.extensions["flowdesk"]


def instance_dto(view) -> dict:
    """Camunda's ProcessInstanceDto of an instance (or an instance view)."""
    return {"links": [], "id": view.id, "definitionId": view.definition_version_id,
            "definitionKey": view.process_key, "businessKey": view.business_key, "caseInstanceId": None,
            "ended": view.status in ENDED, "suspended": view.status == "suspended", "tenantId": view.tenant_id}


def _filter() -> instance_queries.InstanceFilter:
    args = request.args
    if args.get("variables"):
        raise InvalidInput("filtering process instances by variable values is not supported by flowdesk",
                           {"variables": ["leave out"]})
    statuses = NOT_ENDED
    if flag("active"):
        statuses = ("running",)
    elif flag("suspended"):
        statuses = ("suspended",)
    tenants = listed("tenantIdIn")
    if tenants is not None and g.principal.tenant_id not in tenants:
        statuses = ()
    ids = listed("processInstanceIds")
    return instance_queries.InstanceFilter(
        process_key=args.get("processDefinitionKey"), definition_version_id=args.get("processDefinitionId"),
        business_key=args.get("businessKey"), instance_ids=tuple(ids) if ids is not None else None,
        statuses=statuses)


@bp.get("")
def list_instances():
    first, limit = page()
    return jsonify([instance_dto(i) for i in instance_queries.find_instances(_runtime(), g.principal, _filter(),
                                                                             first, limit)])


@bp.get("/count")
def count_instances():
    return jsonify({"count": instance_queries.count_instances(_runtime(), g.principal, _filter())})


def _running(instance_id: str):
    view = instances.get_instance(_runtime(), g.principal, instance_id)
    if view.status in ENDED:
        raise NotFound(f"process instance with id {instance_id} does not exist")
    return view


@bp.get("/<instance_id>")
def get_instance(instance_id):
    return jsonify(instance_dto(_running(instance_id)))


@bp.delete("/<instance_id>")
def delete_instance(instance_id):
    """Cancel the instance (flowdesk keeps its history; Camunda's runtime no longer shows it)."""
    lifecycle.cancel(_runtime(), g.principal, instance_id, request.args.get("deleteReason") or "deleted over REST")
    return "", 204


@bp.get("/<instance_id>/variables")
def get_variables(instance_id):
    return jsonify(from_flowdesk(_running(instance_id).variables))


@bp.get("/<instance_id>/variables/<name>")
def get_variable(instance_id, name):
    values = _running(instance_id).variables or {}
    if name not in values:
        raise NotFound(f"process instance variable with name {name} does not exist")
    return jsonify(typed(values[name]))


@bp.put("/<instance_id>/variables/<name>")
def put_variable(instance_id, name):
    instance_variables.write_variables(_runtime(), g.principal, instance_id, {name: value_of(name, body())})
    return "", 204


@bp.delete("/<instance_id>/variables/<name>")
def delete_variable(instance_id, name):
    instance_variables.write_variables(_runtime(), g.principal, instance_id, deletions=[name])
    return "", 204


@bp.post("/<instance_id>/variables")
def modify_variables(instance_id):
    """Camunda's modification: ``{"modifications": {typed...}, "deletions": [names]}`` (204)."""
    data = body()
    deletions = field(data, "deletions", list, default=[])
    instance_variables.write_variables(_runtime(), g.principal, instance_id,
                                       to_flowdesk(data.get("modifications"), "modifications"), deletions)
    return "", 204
