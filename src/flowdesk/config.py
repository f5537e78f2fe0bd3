"""Every setting flowdesk reads, in one place.

Settings come from ``FLOWDESK_*`` environment variables (any of them may instead name a file
holding the value, ``FLOWDESK_<NAME>_FILE``, as container secrets are mounted); the README's
configuration table is generated from the field documentation below, so keep the two in step.
A value that cannot be used is refused at start with the variable's name and what it expects.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from pathlib import Path

DEFAULT_SQLITE_FILE = "flowdesk.sqlite3"
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}
_LOG_LEVELS = {"CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG"}


class SettingsError(ValueError):
    """A setting's value cannot be used; the message names the variable and what it expects."""


def _raw(env: str) -> str | None:
    """The variable's value, or its file's content; None when neither is set (or it is empty)."""
    name, file_name = f"FLOWDESK_{env}", f"FLOWDESK_{env}_FILE"
    value, path = os.environ.get(name), os.environ.get(file_name)
    if value and path:
        raise SettingsError(f"both {name} and {file_name} are set; set one of them")
    if path:
        try:
            # Secret files usually end with a newline the value never has.
            return Path(path).read_text().rstrip("\r\n")
        except OSError as exc:
            raise SettingsError(f"{file_name}={path!r} cannot be read: {exc.strerror}") from None
    return value


def _parse(f, raw: str):
    name = f"FLOWDESK_{f.metadata['env']}"
    if f.type == "bool":
        word = raw.strip().lower()
        if word not in _TRUE | _FALSE:
            raise SettingsError(f"{name}={raw!r}: expected true or false (also 1/0, yes/no, on/off)")
        return word in _TRUE
    if f.type == "int":
        try:
            return int(raw.strip())
        except ValueError:
            unit = " of bytes" if name.endswith("_BYTES") else ""
            raise SettingsError(f"{name}={raw!r}: expected a whole number{unit}, "
                                f"e.g. {f.default}") from None
    return raw


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
        metadata={"env": "MAX_UPLOAD_BYTES", "min": 1, "doc": "Largest BPMN/DMN file accepted (413 above)."},
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
    read_cache: bool = field(
        default=True,
        metadata={"env": "READ_CACHE", "doc": "With Redis: keep API keys, webhook subscriptions and latest "
                  "process versions per process, emptied on every change (README, \"What each process "
                  "keeps\"). `false`: read them from the database every time."},
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
        metadata={"env": "MAX_ATTACHMENT_BYTES", "min": 1, "doc": "Largest ticket attachment accepted (413 above)."},
    )
    attachment_dir: str | None = field(
        default=None,
        metadata={"env": "ATTACHMENT_DIR", "doc": "Directory that keeps attachment files, named by "
                  "server-generated keys. Unset: attachments are stored in the database."},
    )
    retention_days: int = field(
        default=90,
        metadata={"env": "RETENTION_DAYS", "min": 0, "doc": "Days history is kept (ticket progressions, audit events, "
                  "job attempts, webhook deliveries, handled messages) and after which finished instances "
                  "are archived; a process's `retention_days` property overrides it. `0` keeps everything."},
    )

    jwt_issuer: str | None = field(
        default=None,
        metadata={"env": "JWT_ISSUER", "doc": "Issuer (`iss`) of bearer JWTs from an external identity provider. "
                  "JWTs are accepted when this, `JWT_AUDIENCE` and one of `JWT_JWKS_URL`/`JWT_PUBLIC_KEY` are set."},
    )
    jwt_audience: str | None = field(
        default=None,
        metadata={"env": "JWT_AUDIENCE", "doc": "Audience (`aud`) a JWT must be issued for."},
    )
    jwt_algorithms: str = field(
        default="RS256",
        metadata={"env": "JWT_ALGORITHMS", "doc": "Comma-separated JWT signature algorithms accepted; only "
                  "asymmetric ones (`RS*`, `PS*`, `ES*`, `EdDSA`), never `none` or `HS*`."},
    )
    jwt_jwks_url: str | None = field(
        default=None,
        metadata={"env": "JWT_JWKS_URL", "doc": "URL of the identity provider's JWKS (keys cached 5 minutes)."},
    )
    jwt_public_key: str | None = field(
        default=None,
        metadata={"env": "JWT_PUBLIC_KEY", "doc": "PEM public key that signs JWTs (instead of a JWKS URL)."},
    )
    jwt_role_claim: str = field(
        default="roles",
        metadata={"env": "JWT_ROLE_CLAIM", "doc": "Claim (dotted path, e.g. `realm_access.roles`) listing flowdesk "
                  "roles; the strongest one granted applies."},
    )
    jwt_groups_claim: str = field(
        default="groups",
        metadata={"env": "JWT_GROUPS_CLAIM", "doc": "Claim (dotted path) listing the caller's groups."},
    )
    jwt_name_claim: str = field(
        default="sub",
        metadata={"env": "JWT_NAME_CLAIM", "doc": "Claim that names the caller (ticket assignee, audit actor)."},
    )
    jwt_tenant_claim: str = field(
        default="tenant",
        metadata={"env": "JWT_TENANT_CLAIM", "doc": "Claim (dotted path) naming the caller's tenant; a token "
                  "without it acts for the `default` tenant."},
    )
    oidc_issuer: str | None = field(
        default=None,
        metadata={"env": "OIDC_ISSUER", "doc": "Issuer URL of an OpenID Connect provider; its "
                  "`/.well-known/openid-configuration` names the authorize and token endpoints. With "
                  "`OIDC_CLIENT_ID` set, the web UI's login page offers \"Sign in with ...\" (authorization code "
                  "flow with PKCE); the token it gets is checked by the `JWT_*` settings like any bearer JWT."},
    )
    oidc_client_id: str | None = field(
        default=None,
        metadata={"env": "OIDC_CLIENT_ID", "doc": "Client id of the web UI at the provider: a public client "
                  "(no secret) allowed to redirect to `<server>/ui/oidc/callback`."},
    )
    oidc_scopes: str = field(
        default="openid profile email",
        metadata={"env": "OIDC_SCOPES", "doc": "Space-separated scopes the UI asks for (add the one that puts "
                  "roles or groups in the token, if your provider needs one)."},
    )
    oidc_provider_name: str | None = field(
        default=None,
        metadata={"env": "OIDC_PROVIDER_NAME", "doc": "Name on the sign-in button (\"Sign in with NAME\"). "
                  "Unset: the issuer's host name."},
    )
    oidc_token: str = field(
        default="access_token",
        metadata={"env": "OIDC_TOKEN", "doc": "Which token of the provider's answer the UI sends to the API: "
                  "`access_token` or `id_token` (then `JWT_AUDIENCE` is the client id)."},
    )
    oidc_redirect_uri: str | None = field(
        default=None,
        metadata={"env": "OIDC_REDIRECT_URI", "doc": "Redirect URI registered at the provider. Unset: "
                  "`/ui/oidc/callback` on the host the browser used (set it behind a proxy that rewrites hosts)."},
    )
    inbound_signing_secret: str | None = field(
        default=None,
        metadata={"env": "INBOUND_SIGNING_SECRET", "doc": "When set, every `POST /messages` and `/signals` must "
                  "carry `X-Flowdesk-Signature` (HMAC-SHA256 over timestamp and body, 300 s window); a user's own "
                  "signing secret takes precedence."},
    )
    rate_limit: str = field(
        default="1200/minute",
        metadata={"env": "RATE_LIMIT", "empty_means_empty": True, "doc": "Requests per API key (or address) to the start, message and signal "
                  "endpoints, e.g. `1200/minute` or `10/second;500/hour`; above it 429 with `Retry-After`. Counted "
                  "in memory, or in Redis when `REDIS_URL` is set. Empty: no limit."},
    )
    max_call_depth: int = field(
        default=32,
        metadata={"env": "MAX_CALL_DEPTH", "min": 1, "doc": "How deep call activities may nest; a process calling itself past "
                  "it fails with an error naming the call activity (422, or an incident in the background)."},
    )
    step_budget_seconds: float = field(
        default=10.0,
        metadata={"env": "STEP_BUDGET_SECONDS", "min": 0.1, "doc": "Longest time one command may run an instance's engine tasks "
                  "(and so hold its lock); past it the command fails with an error naming the element, nothing saved."},
    )
    sqlite_busy_timeout: float = field(
        default=5.0,
        metadata={"env": "SQLITE_BUSY_TIMEOUT", "min": 0, "doc": "Seconds a change on SQLite waits for another one's write "
                  "lock; past it the request answers 503 with `Retry-After`."},
    )
    heartbeat_dir: str | None = field(
        default=None,
        metadata={"env": "HEARTBEAT_DIR", "doc": "Directory where `flowdesk worker` and `flowdesk scheduler` write "
                  "their loops' heartbeats for `flowdesk check worker|scheduler` (a container probe). Unset: the "
                  "system's temporary directory."},
    )
    max_json_bytes: int = field(
        default=1024 * 1024,
        metadata={"env": "MAX_JSON_BYTES", "min": 1, "doc": "Largest JSON request body accepted (413 above)."},
    )
    sandbox_processes: int = field(
        default=2,
        metadata={"env": "SANDBOX_PROCESSES", "min": 0, "doc": "Sandbox child processes per server/worker process that "
                  "run modeler code (scripts, conditions, expressions). `0`: run it in-process, behind the "
                  "restricted evaluator only (docs/security.md)."},
    )
    sandbox_memory_mb: int = field(
        default=512,
        metadata={"env": "SANDBOX_MEMORY_MB", "min": 64, "doc": "Address space of one sandbox process (RLIMIT_AS)."},
    )
    sandbox_cpu_seconds: int = field(
        default=60,
        metadata={"env": "SANDBOX_CPU_SECONDS", "min": 1, "doc": "CPU seconds a sandbox process may use in its life "
                  "(RLIMIT_CPU); it is replaced after half."},
    )
    sandbox_wall_seconds: float = field(
        default=5.0,
        metadata={"env": "SANDBOX_WALL_SECONDS", "min": 0.1, "doc": "Wall-clock limit of one evaluation; past it the "
                  "sandbox process is killed and replaced and the step fails with a script error."},
    )
    metrics_token: str | None = field(
        default=None,
        metadata={"env": "METRICS_TOKEN", "doc": "When set, `/metrics` answers only `Authorization: Bearer "
                  "<token>` (its series name every tenant's process keys and groups). Unset: open; publish it "
                  "only to your scraper."},
    )

    def __post_init__(self) -> None:
        for f in fields(self):
            minimum, value = f.metadata.get("min"), getattr(self, f.name)
            if minimum is not None and value < minimum:
                raise SettingsError(f"FLOWDESK_{f.metadata['env']}={str(value)!r}: expected {minimum} or more")
        if self.log_level.upper() not in _LOG_LEVELS:
            raise SettingsError(f"FLOWDESK_LOG_LEVEL={self.log_level!r}: expected one of "
                                f"{', '.join(sorted(_LOG_LEVELS))}")

    @classmethod
    def from_env(cls, **overrides) -> "Settings":
        """Read every ``FLOWDESK_*`` variable; keyword arguments win over the environment."""
        values: dict = {}
        for f in fields(cls):
            raw = _raw(f.metadata["env"])
            if raw is None or (raw == "" and not f.metadata.get("empty_means_empty")):
                continue
            values[f.name] = _parse(f, raw)
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
