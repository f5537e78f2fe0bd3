"""/engine-rest/process-definition: list and read deployed versions, their XML, and start instances."""

from __future__ import annotations

from flask import Blueprint, current_app, g, jsonify, request

from ...engine.process import definitions, instances
from ...engine.store.errors import NotFound
from .params import body, field, flag, listed, number, page
from .process_instances import instance_dto
from .variables import from_flowdesk, to_flowdesk

bp = Blueprint("process_definition", __name__, url_prefix="/process-definition")


def _runtime():
    return current_app.extensions["flowdesk"]


def definition_dto(row) -> dict:
    return {"id": row.id, "key": row.process_key, "category": "http://flowdesk.dev/bpmn",
            "description": row.description, "name": row.name, "version": row.version, "resource": row.filename,
            "deploymentId": row.id, "diagram": None, "suspended": False, "tenantId": row.tenant_id,
            "versionTag": None, "historyTimeToLive": row.retention_days, "startableInTasklist": True}


def _check_tenant(tenant_id: str | None, what: str) -> None:
    # Every row the caller sees is of its own tenant: another tenant's definition does not exist for it.
    if tenant_id is not None and tenant_id != g.principal.tenant_id:
        raise NotFound(f"no matching process definition {what} and tenant-id {tenant_id}")


def _one(key: str | None = None, definition_id: str | None = None, tenant_id: str | None = None):
    _check_tenant(tenant_id, f"with key {key}")
    found = definitions.find_versions(_runtime(), g.principal, process_key=key, version_id=definition_id,
                                      latest_only=definition_id is None)
    if not found:
        raise NotFound(f"no matching process definition with key {key}" if definition_id is None
                       else f"no matching definition with id {definition_id}")
    return found[0]


def _matching(first: int = 0, limit: int | None = None):
    tenants = listed("tenantIdIn")
    if tenants is not None and g.principal.tenant_id not in tenants:
        return []
    return definitions.find_versions(
        _runtime(), g.principal, process_key=request.args.get("key"),
        version_id=request.args.get("processDefinitionId"), version=number("version"),
        latest_only=bool(flag("latestVersion")), first=first, limit=limit)


@bp.get("")
def list_definitions():
    first, limit = page()
    return jsonify([definition_dto(row) for row in _matching(first, limit)])


@bp.get("/count")
def count_definitions():
    return jsonify({"count": len(_matching())})


@bp.get("/key/<key>")
@bp.get("/key/<key>/tenant-id/<tenant_id>")
def by_key(key, tenant_id=None):
    return jsonify(definition_dto(_one(key, tenant_id=tenant_id)))


@bp.get("/<definition_id>")
def by_id(definition_id):
    return jsonify(definition_dto(_one(definition_id=definition_id)))


def _xml(row):
    return jsonify({"id": row.id, "bpmn20Xml": bytes(row.source).decode("utf-8", errors="replace")})


@bp.get("/key/<key>/xml")
@bp.get("/key/<key>/tenant-id/<tenant_id>/xml")
def xml_by_key(key, tenant_id=None):
    return _xml(_one(key, tenant_id=tenant_id))


@bp.get("/<definition_id>/xml")
def xml_by_id(definition_id):
    return _xml(_one(definition_id=definition_id))


def _start(key: str | None = None, definition_id: str | None = None):
    data = body()
    variables = to_flowdesk(data.get("variables"))
    view = instances.start_instance(_runtime(), g.principal, key, variables, field(data, "businessKey", str),
                                    version_id=definition_id)
    dto = instance_dto(view)
    if field(data, "withVariablesInReturn", bool, default=False):
        dto["variables"] = from_flowdesk(view.variables)
    return jsonify(dto)


@bp.post("/key/<key>/start")
@bp.post("/key/<key>/tenant-id/<tenant_id>/start")
def start_by_key(key, tenant_id=None):
    """Start the latest version of the key (Camunda answers 200 with the new instance)."""
    _check_tenant(tenant_id, f"with key {key}")
    return _start(key=key)


@bp.post("/<definition_id>/start")
def start_by_id(definition_id):
    """Start this very version."""
    return _start(definition_id=definition_id)
