"""Who is asking, and what their role lets them do."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from ..models.tenant import DEFAULT_TENANT
from ..store.errors import Forbidden


class Role(str, enum.Enum):
    ADMIN = "admin"
    MODELER = "modeler"  # deploys models; a model runs scripts, so deploying is code submission
    AGENT = "agent"
    SYSTEM = "system"  # an external system: starts processes, sends messages and signals
    AUDITOR = "auditor"  # reads everything, changes nothing


ROLES = tuple(r.value for r in Role)
# When an identity provider grants several roles, the token acts with the strongest one.
ROLE_PRECEDENCE = (Role.ADMIN.value, Role.MODELER.value, Role.SYSTEM.value, Role.AUDITOR.value, Role.AGENT.value)
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SCOPES = ("read", "write")


@dataclass(frozen=True)
class Principal:
    user_id: str
    name: str
    role: str
    groups: frozenset[str] = field(default_factory=frozenset)
    lead_of: frozenset[str] = field(default_factory=frozenset)  # groups whose tickets they may assign
    tenant_id: str = DEFAULT_TENANT  # whose rows every request of this principal sees
    # None allows every process key / message or signal name; a set allows only those.
    process_keys: frozenset[str] | None = None
    message_names: frozenset[str] | None = None
    scopes: frozenset[str] = frozenset(SCOPES)
    # External-task topics the caller may fetch and work; None allows every topic.
    topics: frozenset[str] | None = None
    # The API key the request came with (None for tokens and the CLI): what it may manage.
    key_id: str | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN.value

    @property
    def reads_everything(self) -> bool:
        """Admins and auditors see every instance, ticket, job and incident."""
        return self.role in (Role.ADMIN.value, Role.AUDITOR.value)

    def require(self, *roles: Role, action: str) -> None:
        """Raise :class:`Forbidden` unless the principal has one of ``roles`` (admins always do)."""
        if self.is_admin or self.role in {r.value for r in roles}:
            return
        raise Forbidden(f"role '{self.role}' may not {action}")

    def require_reader(self, *roles: Role, action: str) -> None:
        """Like :meth:`require` for reads, which auditors may always do."""
        if self.role == Role.AUDITOR.value:
            return
        self.require(*roles, action=action)

    def require_method(self, method: str) -> None:
        """Auditors and read-scoped keys only read; anything else needs the ``write`` scope."""
        if method.upper() in READ_METHODS:
            if "read" not in self.scopes:
                raise Forbidden("this API key lacks the 'read' scope")
            return
        if self.role == Role.AUDITOR.value:
            raise Forbidden("role 'auditor' is read-only")
        if "write" not in self.scopes:
            raise Forbidden("this API key lacks the 'write' scope")

    def allows_process(self, process_key: str) -> bool:
        return self.process_keys is None or process_key in self.process_keys

    def require_process(self, process_key: str, action: str = "start") -> None:
        """Raise unless the caller's allow-list (if any) names ``process_key``."""
        if not self.allows_process(process_key):
            raise Forbidden(f"'{self.name}' may not {action} process '{process_key}'", process_key=process_key)

    def allows_topic(self, topic: str) -> bool:
        return self.topics is None or topic in self.topics

    def require_message(self, name: str, kind: str = "message") -> None:
        """Raise unless the caller's allow-list (if any) names message or signal ``name``."""
        if self.message_names is not None and name not in self.message_names:
            raise Forbidden(f"'{self.name}' may not send {kind} '{name}'", name=name)


def narrowed(user_list: list | None, key_list: list | None) -> frozenset[str] | None:
    """A key's allow-list can only narrow its user's (None on either side: the other one)."""
    if user_list is None and key_list is None:
        return None
    if user_list is None or key_list is None:
        return frozenset(user_list if key_list is None else key_list)
    return frozenset(user_list) & frozenset(key_list)


def within(inner: frozenset[str] | None, outer: frozenset[str] | None) -> bool:
    """Whether allow-list ``inner`` allows nothing that ``outer`` does not (None allows all)."""
    return outer is None or (inner is not None and inner <= outer)
