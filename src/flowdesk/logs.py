"""Structured JSON logs: every line carries the request, instance and job it belongs to.

The ids live in context variables, so a thread or RQ job sets them once and every logger in
every layer picks them up; nothing passes them around by hand.
"""

from __future__ import annotations

import logging
import re
from contextvars import ContextVar

from pythonjsonlogger.json import JsonFormatter as _LibraryJsonFormatter

request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
instance_id: ContextVar[str | None] = ContextVar("instance_id", default=None)
job_id: ContextVar[str | None] = ContextVar("job_id", default=None)

_CONTEXT = {"request_id": request_id, "instance_id": instance_id, "job_id": job_id}
# Terminal colour codes (werkzeug colours its request lines): noise in a log store.
_ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


class JsonFormatter(_LibraryJsonFormatter):
    """One JSON object per line (python-json-logger): time, level, logger, message, the ids in
    context, the exception, and whatever the call passed as ``extra``."""

    def __init__(self):
        super().__init__("%(levelname)s %(name)s %(message)s", timestamp="time",
                         rename_fields={"levelname": "level", "name": "logger", "exc_info": "exception"})

    def add_fields(self, log_record: dict, record: logging.LogRecord, message_dict: dict) -> None:
        super().add_fields(log_record, record, message_dict)
        log_record["message"] = _ANSI_ESCAPE.sub("", log_record.get("message") or "")
        for name, var in _CONTEXT.items():
            value = var.get()
            if value:
                log_record[name] = value


def configure(level: str = "INFO", json_lines: bool = True) -> None:
    """Route the root logger to stderr, as JSON lines unless a person asked for plain text."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if json_lines else
                         logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Alembic narrates every plugin it loads at INFO; only its warnings are news.
    logging.getLogger("alembic").setLevel(logging.WARNING)
