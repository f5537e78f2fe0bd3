"""/health: is the process up (no key needed)."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

blp = Blueprint("health", __name__, description="Liveness")


@blp.route("/health")
class Health(MethodView):
    @blp.doc(security=[])
    @blp.response(200)
    def get(self):
        """The process is up and serving requests."""
        return {"status": "ok"}
