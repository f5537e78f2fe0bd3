"""What every ``flowdesk`` command shares: the database it acts on, the runtime, the operator."""

from __future__ import annotations

import logging
import sys
from contextlib import contextmanager
from pathlib import Path

import click

from ..config import Settings

DEFAULT_TENANT = "default"  # as in flowdesk.engine.models.tenant (kept here: the CLI imports lazily)


def database(settings: Settings, create: bool) -> None:
    """Say which database this command acts on, and refuse to start a new SQLite file unless told.

    A command run in the wrong directory would otherwise make a database of its own there, and
    a user created in it would have a key the server never sees.
    """
    from sqlalchemy.engine import make_url

    url = make_url(settings.database_url)
    if url.get_backend_name() != "sqlite":
        click.echo(f"flowdesk: database: {url.render_as_string(hide_password=True)}", err=True)
        return
    if url.database in (None, "", ":memory:"):
        click.echo("flowdesk: database: SQLite in memory", err=True)
        return
    path = Path(url.database).resolve()
    click.echo(f"flowdesk: database: SQLite {path}", err=True)
    if not path.exists() and not create:
        click.echo(f"error: no database at {path}. Run the command where `flowdesk serve` runs, set "
                   "FLOWDESK_DATABASE_URL, or pass --create-database (flowdesk --create-database ...) "
                   "to make a new one.", err=True)
        sys.exit(1)


def runtime(settings: Settings, migrate: bool | None = None):
    from ..engine.store.runtime import Runtime
    from ..workers.change_feed import feed_for

    database(settings, create=click.get_current_context().find_root().params["create_database"])
    runtime = Runtime.from_settings(settings)
    if settings.auto_migrate if migrate is None else migrate:
        runtime.upgrade_schema()
    feed = feed_for(settings)
    if feed is not None:  # a key revoked or a user changed here reaches the running servers' caches
        runtime.attach_change_feed(feed, listen=False)
    return runtime


def start_sandbox() -> None:
    """Start the sandbox processes now and log how modeler code is contained (a missing isolation shows here)."""
    from ..bpmn.sandbox import pool

    logging.getLogger("flowdesk.sandbox").info("modeler code: %s", pool.status())


def operator():
    from ..engine.access.principal import Principal

    return Principal("cli", "cli", "admin", frozenset())


def fail(exc) -> None:
    click.echo(f"error: {exc.detail}", err=True)
    sys.exit(1)


@contextmanager
def in_tenant(runtime, tenant: str):
    """Run the block's units of work for ``tenant`` (an unknown tenant ends the command)."""
    from ..engine.store import tenancy
    from ..engine.store.errors import DomainError
    from ..engine.access.tenants import require_tenant

    try:
        require_tenant(runtime, tenant)
    except DomainError as exc:
        fail(exc)
    with tenancy.acting_for(tenant):
        yield


TENANT_OPTION = click.option("--tenant", default=DEFAULT_TENANT, show_default=True,
                              help="The tenant whose users and keys to act on.")


