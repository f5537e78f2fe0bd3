"""Composition root: wire settings, runtime, queue, workers and the Flask app together.

Only this module (with ``cli`` and ``wsgi``) knows both ``api`` and ``workers``.
"""

from __future__ import annotations

from .api import create_app
from .config import Settings
from .engine.store.runtime import Runtime
from .workers import context, scheduler
from .workers.change_feed import feed_for
from .workers.queue import InProcessQueue, queue_for


def build(settings: Settings | None = None) -> tuple[object, Runtime]:
    """The app and its runtime. Without Redis and with embedded workers on, jobs run in threads."""
    settings = settings or Settings.from_env()
    runtime = Runtime.from_settings(settings)
    if settings.auto_migrate:
        runtime.upgrade_schema()
    queue = queue_for(settings, runtime)
    runtime.queue = queue
    feed = feed_for(settings)
    if feed is not None:
        runtime.attach_change_feed(feed, listen=settings.read_cache)
    context.use(runtime)
    if isinstance(queue, InProcessQueue) and settings.embedded_workers:
        queue.start()
        runtime.on_close(queue.stop)
        # The embedded scheduler also dispatches jobs, as a separate dispatcher would.
        # Closing stops the scheduler first (it also enqueues), then lets the workers finish.
        runtime.on_close(scheduler.start_thread(runtime).stop)
    return create_app(settings, runtime=runtime), runtime
