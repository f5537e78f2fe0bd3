"""One file's run: a fresh SQLite runtime, its app and test client, the HTTP calls and what
they record."""

from __future__ import annotations

import io
import itertools
import logging
import re
import shutil
import traceback
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import event

from flowdesk.engine.store.runtime import Runtime

from .config import ADMIN, API, MASTER_KEY, MAX_NAME_RETRIES, START_TIME
from .manifest import Entry

if TYPE_CHECKING:
    from .run import Environment

class FrozenClock:
    """The runtime's clock: it moves a millisecond per request (so rows created one after the
    other sort in that order, and the run is the same every time) and jumps to due timers."""

    def __init__(self):
        self.now = START_TIME

    def __call__(self):
        return self.now

    def tick(self):
        self.now += timedelta(milliseconds=1)


class ErrorLog(logging.Handler):
    """Keeps the tracebacks flowdesk logs for 500 answers and swallowed scheduler errors."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.records: list[str] = []

    def emit(self, record):
        text = record.getMessage()
        if record.exc_info:
            text += " | " + summarize_traceback(record.exc_info[1])
        self.records.append(text)


def summarize_traceback(exc: BaseException) -> str:
    """Exception and the innermost flowdesk frames, on one line."""
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if "flowdesk" in f.filename] or frames
    where = " <- ".join(f"{Path(f.filename).name}:{f.lineno} {f.name}" for f in reversed(ours[-3:]))
    return f"{type(exc).__name__}: {str(exc)[:300]} at {where}"


@dataclass
class Outcome:
    """One file's row in the report."""

    entry: Entry
    processes: list[str] = field(default_factory=list)
    deployed: str = ""
    ran_to_end: bool = False
    stuck_where: list[str] = field(default_factory=list)
    why: list[str] = field(default_factory=list)
    cause: str = ""
    bugs: list[str] = field(default_factory=list)
    skipped: str | None = None
    companions: list[str] = field(default_factory=list)
    # Every instance's final status, for the test's "failed honestly" check.
    statuses: list[str] = field(default_factory=list)
    deploy_detail: str = ""


_RUNS = itertools.count(1)


class Harness:
    """A fresh SQLite runtime, its app and a test client; the roles around one deployment."""

    def __init__(self, env: "Environment", corpus: Path, entry: Entry, errors: ErrorLog, timers_first: bool = False):
        self.corpus, self.entry, self.errors = corpus, entry, errors
        self.timers_first = timers_first
        db = env.workdir / f"run-{next(_RUNS)}.sqlite3"
        shutil.copy(env.template, db)
        self.db_path = db
        self.rt = Runtime(f"sqlite:///{db}", master_key=MASTER_KEY)
        # One thread drives everything, so waiting for a lock can only mean waiting for ourselves:
        # give up after a second instead of flowdesk's 30 (runs after flowdesk's own listener).
        event.listen(self.rt.db, "connect", lambda conn, _: conn.execute("PRAGMA busy_timeout=1000"))
        self.clock = FrozenClock()
        self.rt.clock = self.clock
        # One app for every run, pointed at this run's runtime (the slot api.auth reads): building
        # an app per file would cost more than running the files.
        env.app.extensions["flowdesk"] = self.rt
        self.client = env.app.test_client()
        self.db_errors: list[str] = []
        event.listen(self.rt.db, "handle_error", self._db_error)
        self.seeds: dict = {}
        self.hints: dict[str, list] = {}
        self.typed: dict = {}
        self.functions: set[str] = set()
        self.outputs: dict[str, list[str]] = {}
        self.visits: Counter = Counter()  # (instance, element) -> completions so far
        self.added_seeds: list[str] = []  # names NameErrors asked for
        self.done: Counter = Counter()  # what the harness did, for the report
        self.attempted_tickets: set[str] = set()
        self.tickets_done: Counter = Counter()
        self.sends: Counter = Counter()
        self.timer_advances = 0
        self.failures: dict[str, list[str]] = defaultdict(list)  # instance id (or "") -> why
        self.start_attempted: set[str] = set()

    def close(self):
        self.rt.close()
        self.db_path.unlink(missing_ok=True)

    # HTTP with every 5xx recorded as a flowdesk bug.
    def call(self, method: str, path: str, **kwargs):
        before = len(self.errors.records)
        if method != "GET":
            self.clock.tick()
        response = self.client.open(API + path, method=method, headers=ADMIN, **kwargs)
        body = response.get_json(silent=True)
        if response.status_code >= 500:
            logged = "; ".join(self.errors.records[before:]) or "no traceback logged"
            self.bug(f"{method} {path} answered {response.status_code}: {logged}")
        elif response.status_code == 409 and "concurrent" in problem_text(body):
            # Nothing runs concurrently here: the "conflict" is a database error in disguise.
            cause = self.db_errors[-1] if self.db_errors else "no database error seen"
            self.bug(f"{method} {path} answered 409 '{problem_text(body)}' with no concurrent request; "
                     f"the database said: {cause}")
        return response.status_code, body

    def _db_error(self, context) -> None:
        self.db_errors.append(" ".join(f"{type(context.original_exception).__name__}: "
                                       f"{context.original_exception}".split())[:500])

    def bug(self, text: str):
        self.failures.setdefault("__bugs__", []).append(text)

    def scheduler_call(self, function, *args):
        """Run a scheduler round; an exception there is a bug, and so is one it only logs."""
        before = len(self.errors.records)
        self.clock.tick()
        try:
            result = function(self.rt, *args)
        except Exception as exc:  # noqa: BLE001 - recorded in the report, the run goes on
            self.bug(f"scheduler.{function.__name__} raised {summarize_traceback(exc)}")
            return 0
        for record in self.errors.records[before:]:
            self.failures[""].append(f"scheduler.{function.__name__} logged: {record}")
        return result


def deploy_file(h: Harness, files: list[str]) -> tuple[int, object]:
    """Upload the file and its companions in one multipart request."""
    payload = [(io.BytesIO((h.corpus / name).read_bytes()), Path(name).name) for name in files]
    return h.call("POST", "/definitions", data={"file": payload}, content_type="multipart/form-data")


def problem_text(body) -> str:
    """The problem+json detail with its per-item errors, as one line."""
    if not isinstance(body, dict):
        return str(body)[:300]
    text = body.get("detail") or body.get("title") or ""
    errors = body.get("errors")
    if isinstance(errors, list):
        items = [f"{e.get('element_id') or e.get('file') or ''}: {e.get('message')}".strip(": ") for e in errors[:3]]
        text += " — " + "; ".join(items)
    elif isinstance(errors, dict) and errors:
        text += " — " + "; ".join(f"{k}: {', '.join(map(str, v)) if isinstance(v, list) else v}"
                                  for k, v in list(errors.items())[:4])
    return text


_UNDEFINED = re.compile(r"name '([A-Za-z_][A-Za-z0-9_]*)' is not defined")


def with_missing_variables(h: Harness, send) -> tuple[int, object]:
    """``send()`` again after each 422 whose NameError names a variable nothing set.

    Such a variable would come from a form or a caller the corpus does not include (what the
    manifest's own run "seeded"); it becomes a seed (True, or the kind of value the scripts
    read) for this and every later request. A name the scripts call as a function is left
    undefined: no data can stand in for it. A refused request changes nothing, so sending it
    again is safe.
    """
    for _ in range(MAX_NAME_RETRIES):
        status, body = send()
        match = _UNDEFINED.search(problem_text(body)) if status == 422 else None
        if not match or match.group(1) in h.seeds or match.group(1) in h.functions:
            return status, body
        h.seeds[match.group(1)] = h.typed.get(match.group(1), True)
        h.added_seeds.append(match.group(1))
    return status, body




def instances(h: Harness) -> list[dict]:
    """Every instance of this runtime in detail (tickets, timers, waits, incidents, history)."""
    found, after = [], None
    while True:
        query = {"limit": 100, **({"after": after} if after else {})}
        status, page = h.call("GET", "/instances", query_string=query)
        if status != 200:
            return found
        for item in page["items"]:
            _, detail = h.call("GET", f"/instances/{item['id']}")
            found.append(detail or item)
        after = page.get("next_cursor")
        if not after:
            # Instances one request started share a timestamp; their ids are random.
            return sorted(found, key=lambda i: (i.get("created_at") or "", i.get("process_key") or ""))


