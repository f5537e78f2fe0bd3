"""gunicorn settings for the API: ``gunicorn -c python:flowdesk.gunicorn_conf flowdesk.wsgi:app``.

/metrics must give the same figures whichever worker process answers the scrape, so the
processes keep their request metrics in prometheus_client's multiprocess files. The directory
is set here, in the master, before any worker imports prometheus_client (it picks its storage
at import time).
"""

import os
import tempfile
from pathlib import Path

os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="flowdesk-metrics-"))


def on_starting(server) -> None:
    """Empty the metrics directory: files of an earlier run would be added to this run's figures."""
    directory = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.db"):
        stale.unlink()


def child_exit(server, worker) -> None:
    """A dead worker's counts stay in the totals; its live gauges go."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
