"""/decisions: the DMN decisions deployed with processes, and evaluating one on given variables."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from ..engine.process import decisions
from .auth import principal, runtime
from .decision_schemas import DecisionPageSchema, DecisionResultSchema, DecisionSchema, EvaluateSchema
from .paging_schemas import PageQuerySchema

blp = Blueprint("decisions", __name__, url_prefix="/api/v1/decisions", description="DMN decisions")


@blp.route("")
class Decisions(MethodView):
    @blp.arguments(PageQuerySchema, location="query")
    @blp.response(200, DecisionPageSchema)
    def get(self, query):
        """Decisions of every process's latest version, by id (a DMN file deploys with the BPMN that uses it)."""
        return decisions.list_decisions(runtime(), principal(), query.get("after"), query["limit"])


@blp.route("/<decision_id>")
class DecisionItem(MethodView):
    @blp.response(200, DecisionSchema)
    def get(self, decision_id):
        """One deployed decision."""
        return decisions.get_decision(runtime(), principal(), decision_id)


@blp.route("/<decision_id>/evaluate")
class DecisionEvaluate(MethodView):
    @blp.arguments(EvaluateSchema)
    @blp.response(200, DecisionResultSchema)
    def post(self, body, decision_id):
        """Evaluate a decision on `variables` as a business rule task would; nothing is stored (system, modeler).

        The same rules and script sandbox as in an instance. 422 (`execution_failed`) when a rule
        cannot be evaluated, e.g. a variable it reads is missing.
        """
        return decisions.evaluate(runtime(), principal(), decision_id, body["variables"])
