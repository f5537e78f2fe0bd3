"""SQLAlchemy models, one module per concept."""

from .audit import AuditEvent
from .base import Base

from .definition import DefinitionVersion
from .idempotency import IdempotencyRecord
from .identity import ApiKey, User, UserGroup
from .instance import Instance, InstanceStatus
from .ticket import ACTIVE_STATUSES, Ticket, TicketCandidate, TicketStatus

__all__ = [
    "ACTIVE_STATUSES", "ApiKey", "AuditEvent", "Base", "DefinitionVersion", "IdempotencyRecord",
    "Instance", "InstanceStatus", "Ticket", "TicketCandidate", "TicketStatus", "User", "UserGroup",
]
