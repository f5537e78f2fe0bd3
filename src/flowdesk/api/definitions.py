"""/definitions: deploying BPMN/DMN files and reading their versions."""

from __future__ import annotations

from flask import Response, jsonify, request
from flask.views import MethodView
from flask_smorest import Blueprint

from ..engine.process import definitions
from ..engine.store.errors import InvalidInput
from ..engine.work import instance_migration
from .auth import principal, runtime
from .migration_schemas import DeployImpactSchema
from .definition_schemas import DefinitionSchema, DefinitionSummaryPageSchema, DeployedSchema
from .paging_schemas import PageQuerySchema

blp = Blueprint("definitions", __name__, url_prefix="/api/v1/definitions",
                description="BPMN/DMN definitions and their versions")

XML_TYPES = ("application/xml", "text/xml", "application/bpmn+xml", "application/octet-stream")


def _dry_run() -> bool:
    value = request.args.get("dry_run", "false").strip().lower()
    if value not in ("true", "false", "1", "0"):
        raise InvalidInput("dry_run must be true or false", {"dry_run": [f"got '{value}'"]})
    return value in ("true", "1")


def _uploaded_files() -> list[tuple[str, bytes]]:
    """Multipart ``file`` fields, or a raw XML body (named by ``?filename=``)."""
    if request.mimetype == "multipart/form-data":
        files = request.files.getlist("file")
        if not files:
            raise InvalidInput("no file uploaded", {"file": ["send one or more files in the 'file' field"]})
        return [(f.filename or f"upload-{n}.bpmn", f.read()) for n, f in enumerate(files, 1)]
    if request.mimetype in XML_TYPES or request.mimetype.endswith("+xml"):
        return [(request.args.get("filename", "upload.bpmn"), request.get_data())]
    raise InvalidInput("send multipart/form-data with 'file' fields or an XML body",
                       {"Content-Type": [f"got '{request.mimetype or 'none'}'"]})


@blp.route("")
class Definitions(MethodView):
    @blp.response(201, DeployedSchema(many=True))
    @blp.alt_response(200, schema=DeployImpactSchema(many=True),
                      description="`?dry_run=true`: what the deploy would do to running instances; nothing stored")
    @blp.doc(parameters=[{"in": "query", "name": "dry_run", "schema": {"type": "boolean"}, "required": False}])
    @blp.doc(requestBody={"content": {
        "multipart/form-data": {"schema": {"type": "object", "properties": {
            "file": {"type": "array", "items": {"type": "string", "format": "binary"}}}}},
        "application/xml": {"schema": {"type": "string"}},
    }})
    def post(self):
        """Deploy one or more .bpmn/.dmn files, and .json form schemas the models reference.

        Each executable process gets a new version only when its content changed
        (`created: false` otherwise). Invalid models answer 422 with file, line and element.
        With `?dry_run=true` nothing is stored: the answer (200) lists per process whether a new
        version would be created and which running instances of older versions could move to it.
        """
        if _dry_run():
            impacts = instance_migration.deploy_dry_run(runtime(), principal(), _uploaded_files())
            return jsonify(DeployImpactSchema(many=True).dump(impacts))
        deployed, deployed_forms = definitions.deploy(runtime(), principal(), _uploaded_files())
        body = [{"id": d.version.id, "key": d.version.process_key, "version": d.version.version,
                 "name": d.version.name, "created": d.created, "created_at": d.version.created_at,
                 "kind": "process"} for d in deployed]
        body += [{"key": f.name, "version": f.version, "name": f.name, "created": f.created, "kind": "form"}
                 for f in deployed_forms]
        return body, 201 if any(d["created"] for d in body) else 200

    @blp.arguments(PageQuerySchema, location="query")
    @blp.response(200, DefinitionSummaryPageSchema)
    def get(self, query):
        """Deployed process keys with their latest versions, by key, a page at a time."""
        return definitions.list_definitions(runtime(), principal(), query.get("after"), query["limit"])


@blp.route("/<process_key>")
class DefinitionItem(MethodView):
    @blp.response(200, DefinitionSchema)
    def get(self, process_key):
        """All versions of one process key, newest first."""
        versions = definitions.versions_of(runtime(), principal(), process_key)
        return {"key": process_key, "name": versions[0].name, "versions": versions}


@blp.route("/<process_key>/versions/<int(max=2147483647):version>/xml")
class DefinitionXml(MethodView):
    @blp.response(200, content_type="application/xml")
    def get(self, process_key, version):
        """The XML file that was uploaded for this version."""
        row = definitions.get_version(runtime(), principal(), process_key, version)
        return Response(row.source, mimetype="application/xml")
