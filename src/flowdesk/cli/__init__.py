"""The ``flowdesk`` command: serve, db upgrade, deploy, users, tenants, worker, scheduler, check."""

from __future__ import annotations

import dataclasses
import os
import sys
from pathlib import Path

import click

from .. import logs
from ..config import Settings, SettingsError
from . import common, processes, tenants, users


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

    from ..server import build
    from ..workers.shutdown import on_terminate

    # Callbacks from actions come back to the port served here unless FLOWDESK_PUBLIC_URL says otherwise.
    local = "127.0.0.1" if host in ("0.0.0.0", "::", "") else f"[{host}]" if ":" in host else host
    settings = Settings.from_env()
    if not os.environ.get("FLOWDESK_PUBLIC_URL") and not os.environ.get("FLOWDESK_PUBLIC_URL_FILE"):
        settings = dataclasses.replace(settings, public_url=f"http://{local}:{port}")
    common.database(settings, create=True)
    app, runtime = build(settings)
    common.start_sandbox()
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
    from ..engine.store import schema
    from ..engine.store.database import make_engine

    settings = Settings.from_env()
    common.database(settings, create=True)
    engine = make_engine(settings.database_url)
    schema.upgrade(engine, revision)
    click.echo(f"database upgraded to {revision}")


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--tenant", default=common.DEFAULT_TENANT, show_default=True, help="The tenant that owns the definitions.")
def deploy(files: tuple[Path, ...], tenant: str) -> None:
    """Deploy BPMN/DMN FILES as the admin user (same rules as POST /definitions)."""
    from ..engine.process import definitions
    from ..engine.store import tenancy
    from ..engine.store.errors import DomainError
    from ..engine.access.principal import Principal
    from ..engine.access.tenants import require_tenant

    runtime = common.runtime(Settings.from_env())
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


main.add_command(users.users)
main.add_command(tenants.tenants)
main.add_command(tenants.signing_secret)
for command in (processes.worker, processes.check, processes.cleanup, processes.scheduler):
    main.add_command(command)


if __name__ == "__main__":
    main()
