"""/tickets/{id}/attachments: files on a ticket."""

from __future__ import annotations

from io import BytesIO

from flask import request, send_file
from flask.views import MethodView
from flask_smorest import Blueprint

from ..engine.store.errors import InvalidInput
from ..engine.work import attachments
from .auth import principal, runtime
from .paging_schemas import PageQuerySchema
from .timeline_schemas import AttachmentPageSchema, AttachmentSchema

blp = Blueprint("attachments", __name__, url_prefix="/api/v1/tickets/<ticket_id>/attachments",
                description="Files attached to tickets")


def uploaded_file():
    """The single multipart ``file`` field, read up to one byte over the limit."""
    files = request.files.getlist("file") if request.mimetype == "multipart/form-data" else []
    if len(files) != 1:
        raise InvalidInput("send one file as multipart/form-data in the 'file' field",
                           {"file": ["exactly one file is required"]})
    upload = files[0]
    # Reading one byte past the limit is enough to tell the engine it is too large.
    return upload.filename, upload.stream.read(runtime().max_attachment_bytes + 1), upload.content_type


def public_flag() -> bool:
    """The optional multipart field ``public`` (true/false)."""
    value = (request.form.get("public") or "false").strip().lower()
    if value not in ("true", "false", "1", "0"):
        raise InvalidInput("public must be true or false", {"public": ["true or false"]})
    return value in ("true", "1")


@blp.route("")
class Attachments(MethodView):
    @blp.response(201, AttachmentSchema)
    @blp.doc(requestBody={"content": {"multipart/form-data": {"schema": {
        "type": "object", "properties": {"file": {"type": "string", "format": "binary"},
                                         "public": {"type": "boolean", "default": False}}}}}})
    def post(self, ticket_id):
        """Attach a file (multipart field `file`; `public=true` shows it to the requester); 413 above
        FLOWDESK_MAX_ATTACHMENT_BYTES."""
        filename, data, content_type = uploaded_file()
        return attachments.upload(runtime(), principal(), ticket_id, filename, data, content_type,
                                  public=public_flag())

    @blp.arguments(PageQuerySchema, location="query")
    @blp.response(200, AttachmentPageSchema)
    def get(self, query, ticket_id):
        """The ticket's attachments, oldest first (metadata; download each by its id)."""
        return attachments.list_attachments(runtime(), principal(), ticket_id, query.get("after"), query["limit"])


@blp.route("/<attachment_id>")
class AttachmentItem(MethodView):
    @blp.response(200, content_type="application/octet-stream")
    def get(self, ticket_id, attachment_id):
        """Download the file, always as an attachment and with the type stored at upload."""
        return send_attachment(*attachments.download(runtime(), principal(), ticket_id, attachment_id))


def send_attachment(attachment, data: bytes):
    """A stored file as a download, with the type stored at upload (a ticket's or a request's)."""
    response = send_file(BytesIO(data), mimetype=attachment.content_type, as_attachment=True,
                         download_name=attachment.filename, etag=attachment.sha256, max_age=0)
    # Browsers must not second-guess the type, nor run anything the file contains.
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
