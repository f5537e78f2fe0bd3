"""Users, their groups and their API keys."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, LargeBinary, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .tenant import TenantOwned
from .base import Base, JSONType, UTCDateTime, new_id, utcnow

# What a key may do when nothing narrower is given: read (GET) and write (everything else).
DEFAULT_SCOPES = ["read", "write"]


class User(TenantOwned, Base):
    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Allow-lists for callers that start processes and send messages/signals; None allows any.
    process_keys: Mapped[list | None] = mapped_column(JSONType, nullable=True)
    message_names: Mapped[list | None] = mapped_column(JSONType, nullable=True)
    # External-task topics this user may fetch and work; None allows any.
    topics: Mapped[list | None] = mapped_column(JSONType, nullable=True)
    # Key that inbound messages and signals from this user must be signed with (encrypted).
    signing_secret: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)

    groups: Mapped[list["UserGroup"]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )
    api_keys: Mapped[list["ApiKey"]] = relationship(back_populates="user", cascade="all, delete-orphan")

    @property
    def group_names(self) -> list[str]:
        return sorted(g.group for g in self.groups)

    @property
    def lead_of(self) -> list[str]:
        return sorted(g.group for g in self.groups if g.lead)


class UserGroup(TenantOwned, Base):
    __tablename__ = "user_groups"

    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    group: Mapped[str] = mapped_column(String(100), primary_key=True)
    # A group lead may assign the group's tickets to its members.
    lead: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    user: Mapped[User] = relationship(back_populates="groups")


class ApiKey(TenantOwned, Base):
    """An API key; only its SHA-256 is stored (keys are 256 random bits, so no slow hash)."""

    __tablename__ = "api_keys"
    __table_args__ = (Index("ix_api_keys_key_hash", "key_hash", unique=True),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    key_hash: Mapped[str] = mapped_column(String(64))
    prefix: Mapped[str] = mapped_column(String(12))
    name: Mapped[str | None] = mapped_column(String(100), nullable=True)
    scopes: Mapped[list] = mapped_column(JSONType, default=lambda: list(DEFAULT_SCOPES))
    # A key narrows its user's allow-lists, never widens them; None: the user's.
    process_keys: Mapped[list | None] = mapped_column(JSONType, nullable=True)
    message_names: Mapped[list | None] = mapped_column(JSONType, nullable=True)
    topics: Mapped[list | None] = mapped_column(JSONType, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # The key this one was rotated into (the old one stays valid until its expiry: the grace).
    replaced_by: Mapped[str | None] = mapped_column(String(36), nullable=True)

    user: Mapped[User] = relationship(back_populates="api_keys", lazy="joined")
