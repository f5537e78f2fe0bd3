"""Jobs: the outbox of calls workers make (action URLs, webhook deliveries), and their attempts."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, JSONType, UTCDateTime, new_id, utcnow, written_after
from .tenant import TenantOwned

if TYPE_CHECKING:  # the flush-order links name these
    from .instance import Instance


class JobKind(str, enum.Enum):
    ACTION = "action"
    WEBHOOK = "webhook"


class JobStatus(str, enum.Enum):
    PENDING = "pending"  # to run at next_attempt_at (first try, retry, or re-enqueue)
    RUNNING = "running"  # a worker holds it until lease_until
    WAITING = "waiting"  # async action accepted (202): waiting for its callback
    SUCCEEDED = "succeeded"
    FAILED = "failed"  # ended without success but handled (BPMN error caught, webhook gave up)
    INCIDENT = "incident"  # retries spent or refused by policy: a person must look
    CANCELLED = "cancelled"  # its task stopped waiting for it


ACTIVE_JOB_STATUSES = (JobStatus.PENDING.value, JobStatus.RUNNING.value, JobStatus.WAITING.value)


class Job(TenantOwned, Base):
    __tablename__ = "jobs"
    __table_args__ = (
        Index("ix_jobs_status_next_attempt_at", "status", "next_attempt_at"),
        Index("ix_jobs_instance_id_status", "instance_id", "status"),
        Index("ix_jobs_subscription_id_created_at", "subscription_id", "created_at"),
        Index("ix_jobs_kind_finished_at", "kind", "finished_at"),  # retention cleanup
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(20))
    instance_id: Mapped[str | None] = mapped_column(ForeignKey("instances.id", ondelete="CASCADE"), nullable=True)
    _instance_first: Mapped["Instance"] = written_after("Instance")  # flush order only
    task_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    element_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    subscription_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    event: Mapped[str | None] = mapped_column(String(50), nullable=True)
    status: Mapped[str] = mapped_column(String(20), default=JobStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=4)
    request: Mapped[dict] = mapped_column(JSONType)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    enqueued_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    last_status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    result: Mapped[dict | list | None] = mapped_column(JSONType, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class JobAttempt(TenantOwned, Base):
    """One try of a job: when, by which worker, and how it ended."""

    __tablename__ = "job_attempts"
    __table_args__ = (
        Index("ix_job_attempts_job_id_number", "job_id", "number"),
        Index("ix_job_attempts_started_at", "started_at"),  # retention cleanup
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"))
    _job_first: Mapped["Job"] = written_after("Job")  # flush order only
    number: Mapped[int] = mapped_column(Integer)
    worker: Mapped[str | None] = mapped_column(String(255), nullable=True)
    outcome: Mapped[str | None] = mapped_column(String(20), nullable=True)
    status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
