"""/engine-rest/process-instance: list, read and cancel instances; read and write their variables."""

from __future__ import annotations

from flask import Blueprint, current_app, g, jsonify

bp = Blueprint("process_instance", __name__, url_prefix="/process-instance")

ENDED = ("completed", "cancelled", "failed")


def _runtime():
    return current_app.extensions["flowdesk"]


def instance_dto(view) -> dict:
    """Camunda's ProcessInstanceDto of an instance (or an instance view)."""
    return {"links": [], "id": view.id, "definitionId": view.definition_version_id,
            "definitionKey": view.process_key, "businessKey": view.business_key, "caseInstanceId": None,
            "ended": view.status in ENDED, "suspended": view.status == "suspended", "tenantId": view.tenant_id}
