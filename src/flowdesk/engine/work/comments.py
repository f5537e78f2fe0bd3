"""Comments on tickets: add, list, edit (the author, for a while), soft-delete."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from ..access.principal import Principal
from ..models import TicketComment
from ..store import paging
from ..store.errors import Conflict, Forbidden, InvalidInput, NotFound
from ..store.runtime import Runtime
from . import progressions
from .tickets import find_visible

# How long after posting its author may still change a comment.
EDIT_WINDOW = timedelta(minutes=15)
MAX_BODY = 10000


def _checked_body(body) -> str:
    if not isinstance(body, str) or not body.strip():
        raise InvalidInput("a comment needs a body", {"body": ["must be a non-empty string"]})
    if len(body) > MAX_BODY:
        raise InvalidInput("comment too long", {"body": [f"at most {MAX_BODY} characters"]})
    return body


def add(rt: Runtime, principal: Principal, ticket_id: str, body: str, public: bool = False) -> TicketComment:
    """Comment on a ticket you may see; ``public`` marks it as fit to show the requester."""
    body = _checked_body(body)
    with rt.uow() as uow:
        ticket = find_visible(uow.session, principal, ticket_id)
        comment = TicketComment(ticket_id=ticket.id, author=principal.name, body=body, public=bool(public),
                                created_at=rt.clock())
        uow.session.add(comment)
        uow.session.flush()
        # The timeline points at the comment instead of copying it, so a deletion removes the text.
        progressions.record(uow.session, ticket, "commented", principal.name, ticket.status,
                            comment_id=comment.id, public=comment.public)
        uow.commit()
        return comment


def list_comments(rt: Runtime, principal: Principal, ticket_id: str, after: str | None = None,
                  limit: int | None = None) -> paging.Page:
    """The ticket's comments, oldest first; deleted ones stay in place without a body."""
    limit = paging.check_limit(limit)
    with rt.uow() as uow:
        find_visible(uow.session, principal, ticket_id)
        query = select(TicketComment).where(TicketComment.ticket_id == ticket_id)
        return paging.page_of(list(uow.session.scalars(paging.apply(query, TicketComment, after, limit))), limit)


def _find(session, principal: Principal, ticket_id: str, comment_id: str):
    ticket = find_visible(session, principal, ticket_id)
    comment = session.scalar(select(TicketComment).where(TicketComment.id == comment_id,
                                                         TicketComment.ticket_id == ticket.id))
    if comment is None:
        raise NotFound(f"comment '{comment_id}' does not exist on ticket '{ticket_id}'")
    return ticket, comment


def edit(rt: Runtime, principal: Principal, ticket_id: str, comment_id: str, body: str) -> TicketComment:
    """Change a comment's body: its author only, within :data:`EDIT_WINDOW` of posting it."""
    body = _checked_body(body)
    with rt.uow() as uow:
        ticket, comment = _find(uow.session, principal, ticket_id, comment_id)
        if comment.author != principal.name:
            raise Forbidden("only its author may edit a comment")
        if comment.deleted:
            raise Conflict(f"comment '{comment_id}' is deleted")
        now = rt.clock()
        if now - comment.created_at > EDIT_WINDOW:
            minutes = int(EDIT_WINDOW.total_seconds() // 60)
            raise Conflict(f"comments can only be edited within {minutes} minutes of posting")
        comment.body, comment.edited_at = body, now
        progressions.record(uow.session, ticket, "comment_edited", principal.name, ticket.status,
                            comment_id=comment.id)
        uow.commit()
        return comment


def delete(rt: Runtime, principal: Principal, ticket_id: str, comment_id: str) -> None:
    """Soft-delete: the author or an admin; the body is dropped, the comment keeps its place."""
    with rt.uow() as uow:
        ticket, comment = _find(uow.session, principal, ticket_id, comment_id)
        if comment.author != principal.name and not principal.is_admin:
            raise Forbidden("only its author or an admin may delete a comment")
        if comment.deleted:
            return  # deleting again changes nothing
        comment.body, comment.deleted_at = None, rt.clock()
        progressions.record(uow.session, ticket, "comment_deleted", principal.name, ticket.status,
                            comment_id=comment.id)
        uow.commit()
