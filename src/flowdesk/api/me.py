"""/me: who the bearer of this key is (the web UI shows it and offers the user's groups as filters)."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from .auth import principal

blp = Blueprint("me", __name__, url_prefix="/api/v1/me", description="The caller")


class MeSchema(Schema):
    name = fields.String()
    role = fields.String()
    groups = fields.List(fields.String())
    lead_of = fields.List(fields.String(), metadata={"description": "groups whose tickets you may assign"})


@blp.route("")
class Me(MethodView):
    @blp.response(200, MeSchema)
    def get(self):
        """Your user name, role and groups."""
        who = principal()
        return {"name": who.name, "role": who.role, "groups": sorted(who.groups), "lead_of": sorted(who.lead_of)}
