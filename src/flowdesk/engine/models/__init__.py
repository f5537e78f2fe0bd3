"""SQLAlchemy models, one module per concept."""

from .audit import AuditEvent
from .base import Base

from .definition import DefinitionVersion
from .idempotency import IdempotencyRecord
from .identity import ApiKey, User, UserGroup
from .external_task import ACTIVE_EXTERNAL_STATUSES, ExternalTask, ExternalTaskStatus
from .incident import Incident
from .instance import Instance, InstanceStatus
from .job import ACTIVE_JOB_STATUSES, Job, JobAttempt, JobKind, JobStatus
from .secret import Secret
from .ticket import ACTIVE_STATUSES, Ticket, TicketCandidate, TicketStatus
from .webhook import WebhookSubscription

__all__ = [
    "ACTIVE_EXTERNAL_STATUSES", "ExternalTask", "ExternalTaskStatus",
    "ACTIVE_JOB_STATUSES", "Incident", "Job", "JobAttempt", "JobKind", "JobStatus", "Secret",
    "WebhookSubscription", "ACTIVE_STATUSES", "ApiKey", "AuditEvent", "Base", "DefinitionVersion", "IdempotencyRecord",
    "Instance", "InstanceStatus", "Ticket", "TicketCandidate", "TicketStatus", "User", "UserGroup",
]
