"""/tickets/{id}/comments: discussing a ticket."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from ..engine.work import comments
from .auth import principal, runtime
from .paging_schemas import PageQuerySchema
from .timeline_schemas import CommentEditSchema, CommentInputSchema, CommentPageSchema, CommentSchema

blp = Blueprint("comments", __name__, url_prefix="/api/v1/tickets/<ticket_id>/comments",
                description="Comments on tickets")


@blp.route("")
class Comments(MethodView):
    @blp.arguments(CommentInputSchema)
    @blp.response(201, CommentSchema)
    def post(self, body, ticket_id):
        """Comment on a ticket you may see; `public` marks it as fit to show the requester."""
        return comments.add(runtime(), principal(), ticket_id, body["body"], body["public"])

    @blp.arguments(PageQuerySchema, location="query")
    @blp.response(200, CommentPageSchema)
    def get(self, query, ticket_id):
        """The ticket's comments, oldest first; deleted ones stay listed with no body."""
        return comments.list_comments(runtime(), principal(), ticket_id, query.get("after"), query["limit"])


@blp.route("/<comment_id>")
class CommentItem(MethodView):
    @blp.arguments(CommentEditSchema)
    @blp.response(200, CommentSchema)
    def patch(self, body, ticket_id, comment_id):
        """Change the body: the author only, within 15 minutes of posting."""
        return comments.edit(runtime(), principal(), ticket_id, comment_id, body["body"])

    @blp.response(204)
    def delete(self, ticket_id, comment_id):
        """Delete the comment (its author or an admin); it stays in the list without its body."""
        comments.delete(runtime(), principal(), ticket_id, comment_id)
