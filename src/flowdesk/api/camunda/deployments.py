"""/engine-rest/deployment/create: deploying as Camunda Modeler and Camunda's clients send it.

flowdesk has no deployment entity: a deployment is the versions one upload created, and its id
is the first of them (Camunda's process definition DTOs name it as their ``deploymentId``).
"""

from __future__ import annotations

from flask import Blueprint, current_app, g, jsonify, request

from ...engine.models.base import new_id
from ...engine.process import definitions
from ...engine.store.errors import InvalidInput, InvalidModel
from .errors import CamundaError
from .process_definitions import definition_dto
from .variables import camunda_date

bp = Blueprint("deployment", __name__, url_prefix="/deployment")

BOOLEANS = {"true": True, "false": False}


def _flag(name: str) -> bool | None:
    value = request.form.get(name)
    if value is None:
        return None
    if value.strip().lower() not in BOOLEANS:
        raise InvalidInput(f"{name} must be true or false", {name: [f"got '{value}'"]})
    return BOOLEANS[value.strip().lower()]


def _files() -> list[tuple[str, bytes]]:
    """Every uploaded file, whatever its part's name (the Modeler names each part after its file)."""
    if request.mimetype != "multipart/form-data":
        raise InvalidInput("send multipart/form-data with the resources as file parts",
                           {"Content-Type": [f"got '{request.mimetype or 'none'}'"]})
    files = [(f.filename or name, f.read()) for name, f in request.files.items(multi=True)]
    if not files:
        raise InvalidInput("no resource uploaded", {"data": ["send one or more .bpmn/.dmn files as file parts"]})
    return files


def _issues(error: InvalidModel) -> str:
    issues = error.errors if isinstance(error.errors, list) else []
    lines = [f"{i.get('file') or ''}{':' + str(i['line']) if i.get('line') else ''} "
             f"{'[' + i['element_id'] + '] ' if i.get('element_id') else ''}{i.get('message', '')}".strip()
             for i in issues]
    return f"{error.detail}: " + " | ".join(lines) if lines else error.detail


@bp.post("/create")
def create():
    """Deploy the uploaded resources; only changed processes get a new version (as with
    ``deploy-changed-only``, which flowdesk always does)."""
    name = request.form.get("deployment-name")
    tenant = request.form.get("tenant-id") or None
    _flag("deploy-changed-only")
    _flag("enable-duplicate-filtering")
    if tenant is not None and tenant != g.principal.tenant_id:
        raise InvalidInput("tenant-id names another tenant: deploy with that tenant's credentials",
                           {"tenant-id": [tenant]})
    rt = current_app.extensions["flowdesk"]
    files = _files()
    try:
        deployed, _forms = definitions.deploy(rt, g.principal, files)
    except InvalidModel as error:
        raise CamundaError(400, "ParseException", _issues(error)) from error
    created = [d.version for d in deployed if d.created]
    deployment_id = created[0].id if created else new_id()
    moment = created[0].created_at if created else rt.clock()
    base = request.url_root.rstrip("/") + "/engine-rest"
    return jsonify({
        "links": [{"method": "GET", "href": f"{base}/deployment/{deployment_id}", "rel": "self"}],
        "id": deployment_id, "name": name, "source": request.form.get("deployment-source"),
        "deploymentTime": camunda_date(moment), "tenantId": g.principal.tenant_id,
        "deployedProcessDefinitions": {v.id: definition_dto(v) for v in created} or None,
        "deployedCaseDefinitions": None, "deployedDecisionDefinitions": None,
        "deployedDecisionRequirementsDefinitions": None,
    })
