"""The long-running processes (``worker``, ``scheduler``), their health check and the cleanup."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..config import Settings
from . import common


@click.command()
@click.option("--burst", is_flag=True, help="Dispatch once, run the queued jobs, then exit.")
@click.option("--no-dispatcher", is_flag=True, help="Do not run the dispatcher thread in this process.")
def worker(burst: bool, no_dispatcher: bool) -> None:
    """Run service-task jobs from Redis (needs FLOWDESK_REDIS_URL)."""
    from ..workers.worker import work

    common.start_sandbox()
    work(burst=burst, with_dispatcher=not no_dispatcher, heartbeat_file=_heartbeat_file("worker"))


def _heartbeat_file(process: str) -> Path:
    import tempfile

    from ..engine.store.heartbeats import file_for

    return file_for(Settings.from_env().heartbeat_dir or tempfile.gettempdir(), process)


@click.command()
@click.argument("process", type=click.Choice(["worker", "scheduler"]))
def check(process: str) -> None:
    """Exit 0 when PROCESS on this machine is alive (its loops beat lately), else 1: a container probe.

    Reads the heartbeat file that `flowdesk worker` or `flowdesk scheduler` writes
    (FLOWDESK_HEARTBEAT_DIR). A loop retrying while the database or Redis is away is alive.
    """
    from ..engine.store.heartbeats import check_file

    problems = check_file(_heartbeat_file(process))
    for loop, problem in sorted(problems.items()):
        click.echo(f"{loop}: {problem or 'ok'}", err=problem is not None)
    sys.exit(1 if any(problems.values()) else 0)


@click.command()
@click.option("--dry-run", is_flag=True, help="Count what would be removed and archived; change nothing.")
@click.option("--batch-size", default=500, show_default=True, type=click.IntRange(1, 100000),
              help="Rows deleted or archived per transaction.")
def cleanup(dry_run: bool, batch_size: int) -> None:
    """Remove history past retention and archive old finished instances (FLOWDESK_RETENTION_DAYS)."""
    from ..engine.process import retention

    runtime = common.runtime(Settings.from_env())
    report = retention.cleanup(runtime, runtime.clock(), batch_size, dry_run=dry_run)
    verb = "would remove" if dry_run else "removed"
    for name, count in report.as_dict().items():
        if name not in ("dry_run", "batches", "complete", "archived_instances"):
            click.echo(f"{verb} {count} {name.replace('_', ' ')}")
    click.echo(f"{'would archive' if dry_run else 'archived'} {report.archived_instances} finished instances")
    if not dry_run:
        click.echo(f"in {report.batches} transactions of at most {batch_size} rows")


@click.command()
@click.option("--no-dispatcher", is_flag=True, help="Leave re-enqueuing lost jobs to the workers.")
def scheduler(no_dispatcher: bool) -> None:
    """Fire due timers, start timer-started processes, route messages (several may run)."""
    import threading

    from ..workers import context
    from ..workers.scheduler import run
    from ..workers.shutdown import on_terminate

    stop = threading.Event()
    # SIGTERM and Ctrl+C end the loop after the round in progress: every instance is stepped in
    # a transaction of its own, so none is left half done.
    on_terminate(lambda signum: stop.set())
    runtime = context.runtime()
    common.start_sandbox()
    runtime.heartbeats.write_to(_heartbeat_file("scheduler"))
    run(runtime, stop, dispatch_jobs=not no_dispatcher)
    runtime.close()
    click.echo("flowdesk scheduler stopped", err=True)


