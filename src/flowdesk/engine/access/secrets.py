"""Named secrets: set by admins, stored encrypted, resolved only by workers just in time."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Secret
from ..store import audit, paging, tenancy
from ..store.errors import InvalidInput, NotFound
from ..store.keys import SecretBox
from ..store.runtime import Runtime
from . import audit_log
from .principal import Principal, Role

NAME = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")
REFERENCE = re.compile(r"\{\{\s*secret:([A-Za-z0-9_.-]{1,100})\s*\}\}")


@dataclass(frozen=True)
class SecretInfo:
    """What the API may show about a secret: never its value."""

    name: str
    updated_by: str | None
    created_at: datetime
    updated_at: datetime
    models_may_use: bool


def _info(secret: Secret) -> SecretInfo:
    return SecretInfo(secret.name, secret.updated_by, secret.created_at, secret.updated_at, secret.models_may_use)


def put(rt: Runtime, principal: Principal, name: str, value: str,
        models_may_use: bool | None = None) -> tuple[SecretInfo, bool]:
    """Create or replace secret ``name``; returns (info, created).

    ``models_may_use`` puts the secret on the tenant's allow-list of secrets models may use in
    action URLs and headers (or takes it off); None keeps it as it was (on, for a new secret).
    """
    principal.require(Role.ADMIN, action="manage secrets")
    if not NAME.match(name or ""):
        raise InvalidInput("invalid secret name", {"name": ["letters, digits, '_', '.', '-'; at most 100"]})
    if not isinstance(value, str) or not value or len(value) > 10_000:
        raise InvalidInput("invalid secret value", {"value": ["a non-empty string of at most 10000 characters"]})
    with rt.uow() as uow:
        secret = uow.session.get(Secret, tenancy.key(uow.session, name=name))
        created = secret is None
        now = rt.clock()
        if created:
            secret = Secret(name=name, created_at=now)
            uow.session.add(secret)
        secret.ciphertext = rt.secret_box.seal(value)
        secret.updated_by, secret.updated_at = principal.name, now
        if models_may_use is not None:
            secret.models_may_use = models_may_use
        elif created:
            secret.models_may_use = True
        audit.record(uow.session, "secret.created" if created else "secret.changed", principal.name, secret=name)
        audit_log.record(uow.session, principal.name, "secret.created" if created else "secret.changed", "secret", name)
        uow.commit()
        return _info(secret), created


def list_secrets(rt: Runtime, principal: Principal, after: str | None = None,
                 limit: int | None = None) -> paging.Page:
    """A page of secrets (never their values), by name."""
    principal.require_reader(Role.ADMIN, action="list secrets")
    limit = paging.check_limit(limit)
    with rt.uow() as uow:
        page = paging.page_by_name(list(uow.session.scalars(paging.apply_by_name(select(Secret), Secret.name, after,
                                                                                   limit))), limit)
        page.items = [_info(s) for s in page.items]
        return page


def delete(rt: Runtime, principal: Principal, name: str) -> None:
    principal.require(Role.ADMIN, action="manage secrets")
    with rt.uow() as uow:
        secret = uow.session.get(Secret, tenancy.key(uow.session, name=name))
        if secret is None:
            raise NotFound(f"no secret '{name}'")
        uow.session.delete(secret)
        audit.record(uow.session, "secret.deleted", principal.name, secret=name)
        audit_log.record(uow.session, principal.name, "secret.deleted", "secret", name)
        uow.commit()


class MissingSecret(LookupError):
    """A ``{{secret:NAME}}`` reference names a secret that does not exist."""

    reason = "is not set"


class SecretNotForModels(MissingSecret):
    """A model's ``{{secret:NAME}}`` names a secret that is not on the tenant's allow-list for models."""

    reason = "is not one a model may use (PUT /secrets/{name} with models_may_use)"


def resolve(session: Session, box: SecretBox, text: str, for_model: bool = False) -> str:
    """Replace every ``{{secret:NAME}}`` in ``text`` with the decrypted value.

    ``for_model``: ``text`` comes from a model (an action URL or header), so only secrets on
    the tenant's allow-list for models may be used.
    """
    def value(match: re.Match) -> str:
        secret = session.get(Secret, tenancy.key(session, name=match.group(1)))
        if secret is None:
            raise MissingSecret(match.group(1))
        if for_model and not secret.models_may_use:
            raise SecretNotForModels(match.group(1))
        return box.open(secret.ciphertext)
    return REFERENCE.sub(value, text)
