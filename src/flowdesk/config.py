"""Every setting flowdesk reads, in one place.

Settings come from ``FLOWDESK_*`` environment variables; the README's configuration table
is generated from the ``FIELDS`` documentation below, so keep the two in step.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields

DEFAULT_SQLITE_FILE = "flowdesk.sqlite3"


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(f"FLOWDESK_{name}")
    return value if value not in (None, "") else default


def _bool(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    """Runtime settings. Build with :meth:`from_env`; tests pass values directly."""

    database_url: str = field(
        default=f"sqlite:///{DEFAULT_SQLITE_FILE}",
        metadata={"env": "DATABASE_URL", "doc": "SQLAlchemy URL. Default: a SQLite file "
                  f"`{DEFAULT_SQLITE_FILE}` in the working directory."},
    )
    admin_key: str | None = field(
        default=None,
        metadata={"env": "ADMIN_KEY", "doc": "API key of the `admin` user created on first "
                  "start. Unset: a random key is printed once."},
    )
    max_upload_bytes: int = field(
        default=2 * 1024 * 1024,
        metadata={"env": "MAX_UPLOAD_BYTES", "doc": "Largest BPMN/DMN file accepted (413 above)."},
    )
    auto_migrate: bool = field(
        default=True,
        metadata={"env": "AUTO_MIGRATE", "doc": "Upgrade the database schema on start. "
                  "Production may set `false` and run `flowdesk db upgrade` instead."},
    )
    redis_url: str | None = field(
        default=None,
        metadata={"env": "REDIS_URL", "doc": "Redis URL of the RQ job queue (`redis://127.0.0.1:6379/0`). "
                  "Unset: an in-process queue (embedded mode)."},
    )
    embedded_workers: bool = field(
        default=True,
        metadata={"env": "EMBEDDED_WORKERS", "doc": "Run job workers and the dispatcher as threads inside "
                  "`flowdesk serve`. Default: on without Redis, off with Redis (run `flowdesk worker`)."},
    )
    secret_key: str | None = field(
        default=None,
        metadata={"env": "SECRET_KEY", "doc": "Key that encrypts stored secrets and signs action calls and "
                  "callback tokens; every process of one installation needs the same. Unset: a key "
                  "file `flowdesk.key` is created in the working directory."},
    )
    action_allow: str = field(
        default="",
        metadata={"env": "ACTION_ALLOW", "doc": "Comma-separated hosts (or `host:port`) action URLs may "
                  "reach even though they resolve to private or loopback addresses."},
    )
    public_url: str = field(
        default="http://127.0.0.1:8000",
        metadata={"env": "PUBLIC_URL", "doc": "Base URL under which actions reach this server "
                  "(sent as the async callback URL)."},
    )
    log_level: str = field(
        default="INFO",
        metadata={"env": "LOG_LEVEL", "doc": "Python log level."},
    )
    log_json: bool = field(
        default=True,
        metadata={"env": "LOG_JSON", "doc": "Log one JSON object per line (with request, instance and job "
                  "ids); `false` for plain text."},
    )
    max_attachment_bytes: int = field(
        default=10 * 1024 * 1024,
        metadata={"env": "MAX_ATTACHMENT_BYTES", "doc": "Largest ticket attachment accepted (413 above)."},
    )
    attachment_dir: str | None = field(
        default=None,
        metadata={"env": "ATTACHMENT_DIR", "doc": "Directory that keeps attachment files, named by "
                  "server-generated keys. Unset: attachments are stored in the database."},
    )
    retention_days: int = field(
        default=90,
        metadata={"env": "RETENTION_DAYS", "doc": "Days history is kept (ticket progressions, audit events, "
                  "job attempts, webhook deliveries, handled messages) and after which finished instances "
                  "are archived; a process's `retention_days` property overrides it. `0` keeps everything."},
    )

    @classmethod
    def from_env(cls, **overrides) -> "Settings":
        """Read every ``FLOWDESK_*`` variable; keyword arguments win over the environment."""
        values: dict = {}
        for f in fields(cls):
            raw = _env(f.metadata["env"])
            if raw is None:
                continue
            if f.type in ("bool",):
                values[f.name] = _bool(raw)
            elif f.type in ("int",):
                values[f.name] = int(raw)
            elif f.type in ("float",):
                values[f.name] = float(raw)
            else:
                values[f.name] = raw
        if "embedded_workers" not in values and values.get("redis_url"):
            values["embedded_workers"] = False
        values.update(overrides)
        return cls(**values)

    @property
    def action_allow_hosts(self) -> tuple[str, ...]:
        return tuple(h.strip().lower() for h in self.action_allow.split(",") if h.strip())

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def documentation() -> list[tuple[str, str, str]]:
    """(variable, default, description) rows for the README."""
    rows = []
    for f in fields(Settings):
        default = f.default if f.default is not None else ""
        rows.append((f"FLOWDESK_{f.metadata['env']}", str(default), f.metadata["doc"]))
    return rows
