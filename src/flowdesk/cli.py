"""The ``flowdesk`` command: serve, db upgrade, deploy, users, tenants, worker, scheduler, check."""

from __future__ import annotations

import dataclasses
import logging
import os
import sys
from contextlib import contextmanager
from pathlib import Path

import click

from . import logs
from .config import Settings, SettingsError

DEFAULT_TENANT = "default"  # as in flowdesk.engine.models.tenant (kept here: the CLI imports lazily)


def _database(settings: Settings, create: bool) -> None:
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


def _runtime(settings: Settings, migrate: bool | None = None):
    from .engine.store.runtime import Runtime
    from .workers.change_feed import feed_for

    _database(settings, create=click.get_current_context().find_root().params["create_database"])
    runtime = Runtime.from_settings(settings)
    if settings.auto_migrate if migrate is None else migrate:
        runtime.upgrade_schema()
    feed = feed_for(settings)
    if feed is not None:  # a key revoked or a user changed here reaches the running servers' caches
        runtime.attach_change_feed(feed, listen=False)
    return runtime


def _start_sandbox() -> None:
    """Start the sandbox processes now and log how modeler code is contained (a missing isolation shows here)."""
    from .bpmn.sandbox import pool

    logging.getLogger("flowdesk.sandbox").info("modeler code: %s", pool.status())


@click.group()
@click.version_option(package_name="flowdesk")
@click.option("--create-database", is_flag=True,
              help="Let a command make a new SQLite database where none is (serve and db upgrade always may).")
def main(create_database: bool) -> None:
    """flowdesk: a BPMN process automation server."""
    try:
        settings = Settings.from_env()
    except SettingsError as exc:  # the operator's mistake: say which, no traceback
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    logs.configure(settings.log_level, settings.log_json)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port to listen on.")
@click.option("--debug", is_flag=True, help="Flask debug mode (never in production).")
def serve(host: str, port: int, debug: bool) -> None:
    """Run the API server. With no configuration: embedded mode on a SQLite file here."""
    from werkzeug.serving import make_server

    from .server import build
    from .workers.shutdown import on_terminate

    # Callbacks from actions come back to the port served here unless FLOWDESK_PUBLIC_URL says otherwise.
    local = "127.0.0.1" if host in ("0.0.0.0", "::", "") else f"[{host}]" if ":" in host else host
    settings = Settings.from_env()
    if not os.environ.get("FLOWDESK_PUBLIC_URL") and not os.environ.get("FLOWDESK_PUBLIC_URL_FILE"):
        settings = dataclasses.replace(settings, public_url=f"http://{local}:{port}")
    _database(settings, create=True)
    app, runtime = build(settings)
    _start_sandbox()
    click.echo(f"flowdesk: serving on http://{host}:{port}  docs: http://{local}:{port}/api/docs")
    app.debug = debug
    server = make_server(host, port, app, threaded=True)
    # Request threads are joined when the server closes, so requests in flight finish (drain).
    server.daemon_threads = False

    def interrupt(signum: int) -> None:
        # serve_forever ends on KeyboardInterrupt and closes the socket; SIGTERM takes the same way.
        raise KeyboardInterrupt

    on_terminate(interrupt)
    try:
        server.serve_forever()
    finally:
        # Stops the embedded scheduler after its round and lets the worker threads finish their jobs.
        runtime.close()
        click.echo("flowdesk: stopped", err=True)


@main.group()
def db() -> None:
    """Database schema commands."""


@db.command("upgrade")
@click.option("--revision", default="heads", show_default=True)
def db_upgrade(revision: str) -> None:
    """Apply the Alembic migrations up to REVISION."""
    from .engine.store import schema
    from .engine.store.database import make_engine

    settings = Settings.from_env()
    _database(settings, create=True)
    engine = make_engine(settings.database_url)
    schema.upgrade(engine, revision)
    click.echo(f"database upgraded to {revision}")


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--tenant", default=DEFAULT_TENANT, show_default=True, help="The tenant that owns the definitions.")
def deploy(files: tuple[Path, ...], tenant: str) -> None:
    """Deploy BPMN/DMN FILES as the admin user (same rules as POST /definitions)."""
    from .engine.process import definitions
    from .engine.store import tenancy
    from .engine.store.errors import DomainError
    from .engine.access.principal import Principal
    from .engine.access.tenants import require_tenant

    runtime = _runtime(Settings.from_env())
    operator = Principal("cli", "cli", "admin", frozenset(), tenant_id=tenant)
    try:
        require_tenant(runtime, tenant)
        with tenancy.acting_for(tenant):
            deployed, deployed_forms = definitions.deploy(runtime, operator, [(f.name, f.read_bytes()) for f in files])
    except DomainError as exc:
        click.echo(f"error: {exc.detail}", err=True)
        for issue in getattr(exc, "errors", None) or []:
            click.echo(f"  {issue}", err=True)
        sys.exit(1)
    for d in deployed:
        state = "new version" if d.created else "unchanged"
        click.echo(f"{d.version.process_key} v{d.version.version} ({state})")
    for form in deployed_forms:
        click.echo(f"form {form.name} v{form.version} ({'new version' if form.created else 'unchanged'})")


@main.group()
def users() -> None:
    """User and API key commands."""


def _operator():
    from .engine.access.principal import Principal

    return Principal("cli", "cli", "admin", frozenset())


def _fail(exc) -> None:
    click.echo(f"error: {exc.detail}", err=True)
    sys.exit(1)


@contextmanager
def _in_tenant(runtime, tenant: str):
    """Run the block's units of work for ``tenant`` (an unknown tenant ends the command)."""
    from .engine.store import tenancy
    from .engine.store.errors import DomainError
    from .engine.access.tenants import require_tenant

    try:
        require_tenant(runtime, tenant)
    except DomainError as exc:
        _fail(exc)
    with tenancy.acting_for(tenant):
        yield


_TENANT_OPTION = click.option("--tenant", default=DEFAULT_TENANT, show_default=True,
                              help="The tenant whose users and keys to act on.")


@users.command("create")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(["admin", "modeler", "agent", "system", "auditor"]))
@click.option("--group", "groups", multiple=True, help="Group membership; repeat for several.")
@click.option("--lead-of", "lead_of", multiple=True, help="Member and lead of this group (assigns its tickets).")
@click.option("--process-key", "process_keys", multiple=True, help="Only these processes may be used (system).")
@click.option("--message", "message_names", multiple=True, help="Only these messages/signals may be sent (system).")
@click.option("--topic", "topics", multiple=True, help="Only these external-task topics may be worked (system).")
@click.option("--tenant", default=DEFAULT_TENANT, show_default=True, help="The tenant the user belongs to.")
def users_create(name: str, role: str, groups: tuple[str, ...], lead_of: tuple[str, ...],
                 process_keys: tuple[str, ...], message_names: tuple[str, ...], topics: tuple[str, ...],
                 tenant: str) -> None:
    """Create a user and print its API key (shown once)."""
    from .engine.access import identity
    from .engine.store.errors import DomainError

    runtime = _runtime(Settings.from_env())
    try:
        _, key = identity.create_user(runtime, name, role, list(groups), lead_of=list(lead_of),
                                      process_keys=list(process_keys) or None,
                                      message_names=list(message_names) or None, topics=list(topics) or None,
                                      tenant=tenant)
    except DomainError as exc:
        _fail(exc)
    click.echo(key)


@users.command("list")
@_TENANT_OPTION
def users_list(tenant: str) -> None:
    """Users with their role, groups and keys (never the secrets)."""
    from .engine.access import api_keys, identity

    runtime = _runtime(Settings.from_env())
    with _in_tenant(runtime, tenant):
        keys = api_keys.list_keys(runtime, _operator())
        users = identity.list_users(runtime, _operator())
    for user in users:
        click.echo(f"{user.name}\t{user.role}\t{','.join(user.group_names) or '-'}")
        for key in (k for k in keys if k.user_id == user.id):
            state = "revoked" if key.revoked_at else f"expires {key.expires_at:%Y-%m-%dT%H:%MZ}" if key.expires_at \
                else "active"
            shown = f"{key.prefix}..." if key.prefix else "(chosen key)"
            click.echo(f"  key {key.id} {shown} {','.join(key.scopes)} {state}")


@users.command("delete")
@click.argument("name")
@_TENANT_OPTION
def users_delete(name: str, tenant: str) -> None:
    """Delete a user and their keys."""
    from .engine.access import identity
    from .engine.store.errors import DomainError

    runtime = _runtime(Settings.from_env())
    try:
        with _in_tenant(runtime, tenant):
            identity.delete_user(runtime, _operator(), name)
    except DomainError as exc:
        _fail(exc)
    click.echo(f"deleted {name}")


@users.command("add-key")
@click.argument("name")
@click.option("--scope", "scopes", multiple=True, type=click.Choice(["read", "write"]), help="Default: both.")
@click.option("--expires-in", type=click.IntRange(min=1), help="Seconds until the key stops working.")
@click.option("--label", help="What the key is for.")
@_TENANT_OPTION
def users_add_key(name: str, scopes: tuple[str, ...], expires_in: int | None, label: str | None,
                  tenant: str) -> None:
    """Give user NAME another API key and print it (shown once)."""
    from .engine.access import api_keys
    from .engine.store.errors import DomainError

    runtime = _runtime(Settings.from_env())
    try:
        with _in_tenant(runtime, tenant):
            _, secret = api_keys.create(runtime, _operator(), name, name=label,
                                        scopes=list(scopes) or None, expires_in=expires_in)
    except DomainError as exc:
        _fail(exc)
    click.echo(secret)


@users.command("rotate-key")
@click.argument("key_id")
@click.option("--grace", default=0, show_default=True, type=click.IntRange(0, 7 * 24 * 3600),
              help="Seconds the old key keeps working.")
@_TENANT_OPTION
def users_rotate_key(key_id: str, grace: int, tenant: str) -> None:
    """Replace API key KEY_ID by a new one with the same rights and print it (shown once)."""
    from .engine.access import api_keys
    from .engine.store.errors import DomainError

    runtime = _runtime(Settings.from_env())
    try:
        with _in_tenant(runtime, tenant):
            _, secret = api_keys.rotate(runtime, _operator(), key_id, grace)
    except DomainError as exc:
        _fail(exc)
    click.echo(secret)


@users.command("revoke-key")
@click.argument("key_id")
@_TENANT_OPTION
def users_revoke_key(key_id: str, tenant: str) -> None:
    """Revoke API key KEY_ID at once."""
    from .engine.access import api_keys
    from .engine.store.errors import DomainError

    runtime = _runtime(Settings.from_env())
    try:
        with _in_tenant(runtime, tenant):
            api_keys.revoke(runtime, _operator(), key_id)
    except DomainError as exc:
        _fail(exc)
    click.echo(f"revoked {key_id}")


@main.group()
def tenants() -> None:
    """Tenant commands: each tenant has its own users, definitions, instances and tickets."""


@tenants.command("create")
@click.argument("tenant_id")
@click.option("--name", help="Display name (default: the id).")
def tenants_create(tenant_id: str, name: str | None) -> None:
    """Create tenant TENANT_ID (a lowercase slug such as 'acme')."""
    from .engine.store.errors import DomainError
    from .engine.access.tenants import create_tenant

    runtime = _runtime(Settings.from_env())
    try:
        tenant = create_tenant(runtime, tenant_id, name)
    except DomainError as exc:
        click.echo(f"error: {exc.detail}", err=True)
        sys.exit(1)
    click.echo(f"tenant {tenant.id} ({tenant.name}) created")


@tenants.command("list")
def tenants_list() -> None:
    """List the tenants."""
    from .engine.access.tenants import list_tenants

    for tenant in list_tenants(_runtime(Settings.from_env())):
        click.echo(f"{tenant.id}\t{tenant.name}")


@main.command()
@click.option("--burst", is_flag=True, help="Dispatch once, run the queued jobs, then exit.")
@click.option("--no-dispatcher", is_flag=True, help="Do not run the dispatcher thread in this process.")
def worker(burst: bool, no_dispatcher: bool) -> None:
    """Run service-task jobs from Redis (needs FLOWDESK_REDIS_URL)."""
    from .workers.worker import work

    _start_sandbox()
    work(burst=burst, with_dispatcher=not no_dispatcher, heartbeat_file=_heartbeat_file("worker"))


def _heartbeat_file(process: str) -> Path:
    import tempfile

    from .engine.store.heartbeats import file_for

    return file_for(Settings.from_env().heartbeat_dir or tempfile.gettempdir(), process)


@main.command()
@click.argument("process", type=click.Choice(["worker", "scheduler"]))
def check(process: str) -> None:
    """Exit 0 when PROCESS on this machine is alive (its loops beat lately), else 1: a container probe.

    Reads the heartbeat file that `flowdesk worker` or `flowdesk scheduler` writes
    (FLOWDESK_HEARTBEAT_DIR). A loop retrying while the database or Redis is away is alive.
    """
    from .engine.store.heartbeats import check_file

    problems = check_file(_heartbeat_file(process))
    for loop, problem in sorted(problems.items()):
        click.echo(f"{loop}: {problem or 'ok'}", err=problem is not None)
    sys.exit(1 if any(problems.values()) else 0)


@main.command()
@click.option("--dry-run", is_flag=True, help="Count what would be removed and archived; change nothing.")
@click.option("--batch-size", default=500, show_default=True, type=click.IntRange(1, 100000),
              help="Rows deleted or archived per transaction.")
def cleanup(dry_run: bool, batch_size: int) -> None:
    """Remove history past retention and archive old finished instances (FLOWDESK_RETENTION_DAYS)."""
    from .engine.process import retention

    runtime = _runtime(Settings.from_env())
    report = retention.cleanup(runtime, runtime.clock(), batch_size, dry_run=dry_run)
    verb = "would remove" if dry_run else "removed"
    for name, count in report.as_dict().items():
        if name not in ("dry_run", "batches", "complete", "archived_instances"):
            click.echo(f"{verb} {count} {name.replace('_', ' ')}")
    click.echo(f"{'would archive' if dry_run else 'archived'} {report.archived_instances} finished instances")
    if not dry_run:
        click.echo(f"in {report.batches} transactions of at most {batch_size} rows")


@main.command("signing-secret")
@click.option("--tenant", default=DEFAULT_TENANT, show_default=True, help="The tenant whose key to print.")
@click.option("--rotate", is_flag=True, help="Move the tenant to a new key first.")
@click.option("--overlap", default=86400, show_default=True, type=click.IntRange(0),
              help="With --rotate: seconds the previous key stays valid (calls carry both signatures).")
def signing_secret(tenant: str, rotate: bool, overlap: int) -> None:
    """Print the tenant's key its action servers verify X-Flowdesk-Signature with (hex).

    During a rotation's overlap the previous key is printed on a second line.
    """
    from .engine.access import signing_keys
    from .engine.store.errors import DomainError

    runtime = _runtime(Settings.from_env(), migrate=False)
    try:
        if rotate:
            keys = signing_keys.rotate(runtime, tenant, overlap)
        else:
            keys = signing_keys.keys_for(runtime, tenant, signing_keys.ACTION_SIGNING)
    except DomainError as exc:
        _fail(exc)
    for key in keys:
        click.echo(key.hex())


@main.command()
@click.option("--no-dispatcher", is_flag=True, help="Leave re-enqueuing lost jobs to the workers.")
def scheduler(no_dispatcher: bool) -> None:
    """Fire due timers, start timer-started processes, route messages (several may run)."""
    import threading

    from .workers import context
    from .workers.scheduler import run
    from .workers.shutdown import on_terminate

    stop = threading.Event()
    # SIGTERM and Ctrl+C end the loop after the round in progress: every instance is stepped in
    # a transaction of its own, so none is left half done.
    on_terminate(lambda signum: stop.set())
    runtime = context.runtime()
    _start_sandbox()
    runtime.heartbeats.write_to(_heartbeat_file("scheduler"))
    run(runtime, stop, dispatch_jobs=not no_dispatcher)
    runtime.close()
    click.echo("flowdesk scheduler stopped", err=True)


if __name__ == "__main__":
    main()
