"""/audit-log: administrative actions, oldest first (admins and auditors)."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from ..engine.access import audit_log
from .auth import principal, runtime
from .identity_schemas import AuditLogPageSchema, AuditLogQuerySchema

blp = Blueprint("audit_log", __name__, url_prefix="/api/v1", description="Administrative audit log")


@blp.route("/audit-log")
class AuditLog(MethodView):
    @blp.arguments(AuditLogQuerySchema, location="query")
    @blp.response(200, AuditLogPageSchema)
    def get(self, query):
        """Deploys, deletions, key and secret changes, incident retries, user and group changes."""
        after, limit = query.pop("after", None), query.pop("limit")
        return audit_log.entries(runtime(), principal(), after=after, limit=limit, **query)
