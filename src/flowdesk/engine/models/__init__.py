"""SQLAlchemy models, one module per concept."""

from .audit import AuditEvent
from .base import Base

from .definition import DefinitionVersion
from .idempotency import IdempotencyRecord
from .identity import ApiKey, User, UserGroup
from .event_subscription import EventSubscription
from .external_task import ACTIVE_EXTERNAL_STATUSES, ExternalTask, ExternalTaskStatus
from .form_schema import FormSchema
from .incident import Incident
from .instance import Instance, InstanceStatus
from .job import ACTIVE_JOB_STATUSES, Job, JobAttempt, JobKind, JobStatus
from .message import Message, MessageStatus
from .secret import Secret
from .ticket import ACTIVE_STATUSES, Ticket, TicketCandidate, TicketStatus
from .timer_start import TimerStartSchedule
from .webhook import WebhookSubscription

__all__ = [
    "EventSubscription", "Message", "MessageStatus", "TimerStartSchedule",
    "FormSchema",
    "ACTIVE_EXTERNAL_STATUSES", "ExternalTask", "ExternalTaskStatus",
    "ACTIVE_JOB_STATUSES", "Incident", "Job", "JobAttempt", "JobKind", "JobStatus", "Secret",
    "WebhookSubscription", "ACTIVE_STATUSES", "ApiKey", "AuditEvent", "Base", "DefinitionVersion", "IdempotencyRecord",
    "Instance", "InstanceStatus", "Ticket", "TicketCandidate", "TicketStatus", "User", "UserGroup",
]

from .attachment import AttachmentBlob, TicketAttachment  # noqa: E402
from .comment import TicketComment  # noqa: E402
from .progression import TicketProgression  # noqa: E402

__all__ += ["AttachmentBlob", "TicketAttachment", "TicketComment", "TicketProgression"]

from .approval import Approval  # noqa: E402
from .assignment import AssignmentCursor, TicketAssignment  # noqa: E402
from .calendar import BusinessCalendar  # noqa: E402
from .saved_filter import SavedFilter  # noqa: E402

__all__ += ["Approval", "AssignmentCursor", "BusinessCalendar", "SavedFilter", "TicketAssignment"]

from .tenant import DEFAULT_TENANT, Tenant, TenantOwned  # noqa: E402

__all__ += ["DEFAULT_TENANT", "Tenant", "TenantOwned"]

from .data_store import DataStore  # noqa: E402

__all__ += ["DataStore"]

from .audit_log import AuditLogEntry  # noqa: E402

__all__ += ["AuditLogEntry"]

from .request import Request  # noqa: E402

__all__ += ["Request"]

from .metric_counter import MetricCounter  # noqa: E402

__all__ += ["MetricCounter"]

from .activity import CompletedActivity  # noqa: E402

__all__ += ["CompletedActivity"]
