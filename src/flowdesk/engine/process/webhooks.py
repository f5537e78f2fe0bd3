"""Outbound webhooks: subscriptions, and deliveries written as jobs in the event's transaction."""

from __future__ import annotations

import secrets as random_secrets
from dataclasses import dataclass

from sqlalchemy import select

from ..access import audit_log
from ..access.principal import Principal, Role
from ..models import Job, JobKind, JobStatus, WebhookSubscription
from ..models.base import clock_of, new_id
from ..store import audit, paging
from ..store.changes import WEBHOOKS
from ..store.errors import InvalidInput, NotFound
from ..store.runtime import Runtime
from ..store.unit_of_work import UnitOfWork

EVENTS = ("instance.started", "instance.completed", "instance.failed", "instance.cancelled", "ticket.created",
          "ticket.completed", "ticket.escalated", "ticket.sla_breached", "incident.created", "request.updated")
DELIVERY_ATTEMPTS = 6


@dataclass
class CreatedSubscription:
    subscription: WebhookSubscription
    secret: str  # shown once, so the receiver can verify signatures


def _validate(url: str, events: list[str]) -> None:
    errors = {}
    if not isinstance(url, str) or not url.lower().startswith(("http://", "https://")) or len(url) > 2000:
        errors["url"] = ["an http(s) URL of at most 2000 characters"]
    unknown = [e for e in events or [] if e not in EVENTS]
    if not events or unknown:
        errors["events"] = [f"one or more of {', '.join(EVENTS)}" + (f"; unknown: {', '.join(unknown)}" if unknown else "")]
    if errors:
        raise InvalidInput("invalid webhook subscription", errors)


def subscribe(rt: Runtime, principal: Principal, url: str, events: list[str], secret: str | None = None) -> CreatedSubscription:
    """Register ``url`` for ``events``; deliveries are signed with ``secret`` (generated if absent)."""
    principal.require(Role.ADMIN, action="manage webhooks")
    _validate(url, events)
    secret = secret or random_secrets.token_urlsafe(32)
    with rt.uow() as uow:
        subscription = WebhookSubscription(url=url, events=sorted(set(events)), secret_ciphertext=rt.secret_box.seal(secret),
                                           created_by=principal.name, created_at=rt.clock())
        uow.session.add(subscription)
        uow.session.flush()
        audit.record(uow.session, "webhook.subscribed", principal.name, subscription_id=subscription.id, url=url)
        audit_log.record(uow.session, principal.name, "webhook.created", "webhook", subscription.id, url=url)
        uow.commit()
        return CreatedSubscription(subscription, secret)


def list_subscriptions(rt: Runtime, principal: Principal, after: str | None = None,
                       limit: int | None = None) -> paging.Page:
    """A page of webhook subscriptions, oldest first."""
    principal.require_reader(Role.ADMIN, action="list webhooks")
    limit = paging.check_limit(limit)
    with rt.uow() as uow:
        query = paging.apply(select(WebhookSubscription), WebhookSubscription, after, limit)
        return paging.page_of(list(uow.session.scalars(query)), limit)


def unsubscribe(rt: Runtime, principal: Principal, subscription_id: str) -> None:
    principal.require(Role.ADMIN, action="manage webhooks")
    with rt.uow() as uow:
        subscription = uow.session.get(WebhookSubscription, subscription_id)
        if subscription is None:
            raise NotFound(f"webhook subscription '{subscription_id}' does not exist")
        subscription.active = False
        audit.record(uow.session, "webhook.unsubscribed", principal.name, subscription_id=subscription_id)
        audit_log.record(uow.session, principal.name, "webhook.deleted", "webhook", subscription_id)
        uow.commit()


def deliveries(rt: Runtime, principal: Principal, subscription_id: str, after: str | None = None,
               limit: int | None = None) -> paging.Page:
    """The delivery log of one subscription, oldest first."""
    principal.require_reader(Role.ADMIN, action="read webhook deliveries")
    limit = paging.check_limit(limit)
    with rt.uow() as uow:
        if uow.session.get(WebhookSubscription, subscription_id) is None:
            raise NotFound(f"webhook subscription '{subscription_id}' does not exist")
        query = select(Job).where(Job.kind == JobKind.WEBHOOK.value, Job.subscription_id == subscription_id)
        return paging.page_of(list(uow.session.scalars(paging.apply(query, Job, after, limit))), limit)


def subscription_secret(rt: Runtime, session, subscription_id: str) -> str:
    subscription = session.get(WebhookSubscription, subscription_id)
    if subscription is None:
        raise NotFound(f"webhook subscription '{subscription_id}' does not exist")
    return rt.secret_box.open(subscription.secret_ciphertext)


def _active_subscriptions(session) -> tuple[tuple[str, str, frozenset[str]], ...]:
    # Few rows; filtering JSON lists in Python stays portable.
    with session.no_autoflush:  # the command's pending rows do not change who is subscribed
        return tuple((s.id, s.url, frozenset(s.events)) for s in session.scalars(
            select(WebhookSubscription).where(WebhookSubscription.active.is_(True))))


def emit(uow: UnitOfWork, event: str, data: dict) -> None:
    """Write one delivery job per active subscription to ``event``, in the caller's transaction."""
    session = uow.session
    # Per tenant: a scheduler round's transaction acts for several tenants in turn.
    cache = session.info.setdefault("webhook_subscriptions", {})
    subscriptions = cache.get(uow.tenant)
    if subscriptions is None:
        subscriptions = uow.reads.get(WEBHOOKS, uow.tenant, lambda: _active_subscriptions(session))
        cache[uow.tenant] = subscriptions
    for subscription_id, url, events in subscriptions:
        if event not in events:
            continue
        # Id and time given here, not at the INSERT: the delivery's body names them, and the row
        # goes out with the command's other rows in one flush.
        job_id, created_at = new_id(), clock_of(session)
        body = {"id": job_id, "event": event, "created_at": created_at.isoformat(), "data": data}
        session.add(Job(id=job_id, kind=JobKind.WEBHOOK.value, subscription_id=subscription_id, event=event,
                        instance_id=data.get("instance_id"), status=JobStatus.PENDING.value, attempts=0,
                        max_attempts=DELIVERY_ATTEMPTS, created_at=created_at, enqueued_at=created_at,
                        request={"url": url, "method": "POST", "timeout": 10.0, "body": body,
                                 "event": event, "data": data}))
        uow.enqueue_after_commit(job_id)
