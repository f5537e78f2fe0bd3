"""Files attached to tickets: upload, list, download."""

from __future__ import annotations

import hashlib
import re
import unicodedata

from sqlalchemy import select

from ..access.principal import Principal
from ..models import TicketAttachment
from ..store import paging
from ..store.errors import InvalidInput, NotFound, PayloadTooLarge
from ..store.runtime import Runtime
from . import progressions
from .attachment_store import DirectoryStore, new_key, store_for
from .tickets import find_visible

OCTET_STREAM = "application/octet-stream"
# Leading bytes of the types worth recognising; these win over what the client says.
SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"%PDF-", "application/pdf"),
    (b"PK\x03\x04", "application/zip"),
    (b"PK\x05\x06", "application/zip"),  # an empty archive
)
SNIFFED_TYPES = {media_type for _, media_type in SIGNATURES}
# RFC 6838 type and subtype names, nothing else (no parameters, spaces or quotes).
PLAIN_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]{0,126}/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}")
MAX_FILENAME = 255


def display_name(raw: str | None) -> str:
    """A name to show and offer for download: the last path segment, no control characters."""
    name = unicodedata.normalize("NFC", raw or "")
    name = re.split(r"[/\\]", name)[-1]
    # Category C: control, format (right-to-left overrides), surrogate and unassigned characters.
    name = "".join(ch for ch in name if not unicodedata.category(ch).startswith("C"))
    name = name.strip().lstrip(".").strip()
    if len(name) > MAX_FILENAME:
        _, dot, extension = name.rpartition(".")
        if dot and len(extension) <= 16:  # keep the extension: it is what opens the file
            name = f"{name[:MAX_FILENAME - len(extension) - 1]}.{extension}"
        else:
            name = name[:MAX_FILENAME]
    return name or "attachment"


def content_type_of(data: bytes, claimed: str | None) -> str:
    """Sniffed for common types; else the client's type when it is a plain ``type/subtype``."""
    for magic, media_type in SIGNATURES:
        if data.startswith(magic):
            return media_type
    claimed = (claimed or "").split(";")[0].strip().lower()
    if claimed in SNIFFED_TYPES:
        return OCTET_STREAM  # it claims a type its bytes do not have
    return claimed if PLAIN_TYPE.fullmatch(claimed) else OCTET_STREAM


def upload(rt: Runtime, principal: Principal, ticket_id: str, filename: str | None, data: bytes,
           claimed_type: str | None = None) -> TicketAttachment:
    """Attach a file to a ticket you may see; its bytes go to the configured store."""
    if len(data) > rt.max_attachment_bytes:
        raise PayloadTooLarge(f"attachments are limited to {rt.max_attachment_bytes} bytes",
                              limit=rt.max_attachment_bytes)
    if not data:
        raise InvalidInput("the file is empty", {"file": ["must not be empty"]})
    with rt.uow() as uow:
        ticket = find_visible(uow.session, principal, ticket_id)
        attachment = TicketAttachment(
            ticket_id=ticket.id, filename=display_name(filename), content_type=content_type_of(data, claimed_type),
            size=len(data), sha256=hashlib.sha256(data).hexdigest(), storage_key=new_key(),
            uploaded_by=principal.name, created_at=rt.clock(),
        )
        uow.session.add(attachment)
        uow.session.flush()
        progressions.record(uow.session, ticket, "attachment_added", principal.name, ticket.status,
                            attachment_id=attachment.id, filename=attachment.filename, size=attachment.size,
                            content_type=attachment.content_type, sha256=attachment.sha256)
        store = store_for(rt.attachment_dir, uow.session)
        store.put(attachment.storage_key, data)
        try:
            uow.commit()
        except Exception:
            if isinstance(store, DirectoryStore):  # a file is not rolled back with the transaction
                store.delete(attachment.storage_key)
            raise
        return attachment


def list_attachments(rt: Runtime, principal: Principal, ticket_id: str, after: str | None = None,
                     limit: int | None = None) -> paging.Page:
    """The ticket's attachments (without their bytes), oldest first."""
    limit = paging.check_limit(limit)
    with rt.uow() as uow:
        find_visible(uow.session, principal, ticket_id)
        query = select(TicketAttachment).where(TicketAttachment.ticket_id == ticket_id)
        return paging.page_of(list(uow.session.scalars(paging.apply(query, TicketAttachment, after, limit))), limit)


def download(rt: Runtime, principal: Principal, ticket_id: str, attachment_id: str) -> tuple[TicketAttachment, bytes]:
    """An attachment and its bytes, for whoever may see the ticket (404 for anyone else)."""
    with rt.uow() as uow:
        ticket = find_visible(uow.session, principal, ticket_id)
        attachment = uow.session.scalar(select(TicketAttachment).where(TicketAttachment.id == attachment_id,
                                                                       TicketAttachment.ticket_id == ticket.id))
        if attachment is None:
            raise NotFound(f"attachment '{attachment_id}' does not exist on ticket '{ticket_id}'")
        try:
            data = store_for(rt.attachment_dir, uow.session).get(attachment.storage_key)
        except KeyError as exc:
            raise NotFound(f"the content of attachment '{attachment_id}' is no longer stored") from exc
        return attachment, data
