"""Who is asking, and what their role lets them do."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from .errors import Forbidden
from .models.tenant import DEFAULT_TENANT


class Role(str, enum.Enum):
    ADMIN = "admin"
    MODELER = "modeler"
    AGENT = "agent"
    SYSTEM = "system"


ROLES = tuple(r.value for r in Role)


@dataclass(frozen=True)
class Principal:
    user_id: str
    name: str
    role: str
    groups: frozenset[str] = field(default_factory=frozenset)
    lead_of: frozenset[str] = field(default_factory=frozenset)  # groups whose tickets they may assign
    tenant_id: str = DEFAULT_TENANT  # whose rows every request of this principal sees

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN.value

    def require(self, *roles: Role, action: str) -> None:
        """Raise :class:`Forbidden` unless the principal has one of ``roles`` (admins always do)."""
        if self.is_admin or self.role in {r.value for r in roles}:
            return
        raise Forbidden(f"role '{self.role}' may not {action}")
