"""Conformance harness: every executable file of the shared BPMN corpus through the flowdesk REST API.

For each file the corpus manifest marks as parseable and executable, the harness builds a
fresh SQLite runtime, deploys the file (with the companion BPMN/DMN files it needs), starts
each executable process and then plays every role around the instances, through the API
wherever the API offers it: an agent completes each open ticket with data generated from its
form, an external worker fetches and completes external tasks, an external system sends the
messages and signals an instance says it waits for, and a clock moves to the next due timer
for the scheduler to fire. After a bounded number of steps each file either ran to an end
event or is reported with where it is stuck and why. Files with timers that do not reach the
end that way run once more with short timers firing before people act.

``python tools/conformance.py`` (from the repository root, with flowdesk installed) rewrites
docs/conformance.md and prints a summary line; ``python tools/conformance.py FRAGMENT...``
runs only the matching files and prints their rows (``--timers-first`` drives them the second
way). The corpus is found at $FLOWDESK_CORPUS or ../shared/bpmn-corpus.
"""

from __future__ import annotations

import io
import itertools
import logging
import os
import re
import shutil
import sys
import tempfile
import time
import traceback
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from lxml import etree
from sqlalchemy import event, select

from flowdesk.api import create_app
from flowdesk.config import Settings
from flowdesk.engine import scheduler
from flowdesk.engine.models import ExternalTask
from flowdesk.engine.runtime import Runtime

REPO = Path(__file__).resolve().parent.parent
REPORT = REPO / "docs" / "conformance.md"
ADMIN_KEY = "fd_conformance_admin"
MASTER_KEY = b"flowdesk-conformance-master-key"
START_TIME = datetime(2026, 11, 21, 12, 0, tzinfo=timezone.utc)

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA = "http://camunda.org/schema/1.0/bpmn"
SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"

# Bounds that keep a looping model from running forever; generous for every model that ends.
MAX_ROUNDS = 400
MAX_TICKETS_PER_INSTANCE = 60
MAX_TIMER_ADVANCES = 40
MAX_SENDS_PER_WAIT = 3
MAX_INSTANCES = 40
MAX_NAME_RETRIES = 40
THINK_TIME = timedelta(minutes=1)

API = "/api/v1"
ADMIN = {"Authorization": f"Bearer {ADMIN_KEY}"}


# -- the corpus and its manifest ------------------------------------------------------------


def corpus_path() -> Path:
    """$FLOWDESK_CORPUS, else ../shared/bpmn-corpus beside the repository."""
    configured = os.environ.get("FLOWDESK_CORPUS")
    return Path(configured) if configured else REPO.parent / "shared" / "bpmn-corpus"


def corpus_dir() -> Path | None:
    """The corpus folder, or None when it has no MANIFEST.tsv."""
    path = corpus_path()
    return path if (path / "MANIFEST.tsv").is_file() else None


@dataclass
class Entry:
    """One manifest row."""

    file: str
    exporter: str
    elements: str
    parses_spiff: str
    runs_to_end: str
    notes: str

    @property
    def folder(self) -> str:
        return self.file.rsplit("/", 1)[0] if "/" in self.file else ""

    @property
    def skip_reason(self) -> str | None:
        """Why the harness does not run this file, or None when it is an executable model."""
        if self.runs_to_end.startswith("n/a (DMN)") or self.parses_spiff == "yes (dmn)":
            return "DMN only (deployed with the BPMN files that call its decisions)"
        if self.parses_spiff.startswith("non-executable"):
            return "non-executable: every process has isExecutable=\"false\""
        return None

    @property
    def executable(self) -> bool:
        """Parseable by SpiffWorkflow and executable: the files the conformance target counts."""
        return self.skip_reason is None and self.parses_spiff.startswith("yes:")

    @property
    def spiff_runs(self) -> bool:
        return self.runs_to_end == "yes"

    def note_segments(self) -> list[str]:
        return [part.strip() for part in self.notes.split(" | ") if part.strip()]

    @property
    def companions(self) -> list[str]:
        """Files the notes say this one needs ("needs: a.bpmn,b.dmn"), relative to its folder."""
        for part in self.note_segments():
            if part.startswith("needs:"):
                return [name.strip() for name in part[len("needs:"):].split(",") if name.strip()]
        return []

    @property
    def seeded_vars(self) -> list[str]:
        """Variables the manifest's own SpiffWorkflow run had to seed ("seeded vars a,b")."""
        names: list[str] = []
        for match in re.finditer(r"seeded vars ([A-Za-z0-9_,]+)", self.notes):
            names += [n for n in match.group(1).split(",") if n.isidentifier() and n not in names]
        return names


def read_manifest(corpus: Path) -> list[Entry]:
    # Plain tab splitting: notes hold quotes that a csv dialect would try to interpret.
    lines = (corpus / "MANIFEST.tsv").read_text(encoding="utf-8").splitlines()
    header = lines[0].split("\t")
    entries = []
    for line in lines[1:]:
        if not line.strip():
            continue
        row = dict(zip(header, line.split("\t")))
        entries.append(Entry(row["file"], row.get("exporter", ""), row.get("elements", ""),
                             row.get("parses_spiff", ""), row.get("runs_to_end", ""), row.get("notes", "")))
    return entries


# -- what the harness reads from the model itself --------------------------------------------


def _xml(path: Path):
    try:
        return etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True)).getroot()
    except (etree.XMLSyntaxError, OSError):
        return None


def _q(tag: str) -> str:
    return f"{{{BPMN}}}{tag}"


@dataclass
class ProcessInfo:
    """What a process's XML says about how it starts and ends."""

    process_id: str
    starts: list[tuple[str, str | None]] = field(default_factory=list)  # (kind, message/signal name)
    top_level_ends: set[str] = field(default_factory=set)

    @property
    def plain_start(self) -> bool:
        return not self.starts or any(kind == "none" for kind, _ in self.starts)


def _event_name(root, definition, ref_attr: str, tag: str) -> str | None:
    ref = definition.get(ref_attr)
    if not ref:
        return None
    ref = ref.split(":")[-1]
    for node in root.iter(_q(tag)):
        if node.get("id") == ref:
            return node.get("name") or ref
    return ref


def processes_of(root) -> list[ProcessInfo]:
    """Executable processes of a BPMN document with their start events and top-level end events."""
    found = []
    for process in root.iter(_q("process")):
        if process.get("isExecutable", "true").lower() != "true":
            continue
        info = ProcessInfo(process.get("id"))
        for start in process.findall(_q("startEvent")):
            if start.find(_q("messageEventDefinition")) is not None:
                info.starts.append(("message", _event_name(root, start.find(_q("messageEventDefinition")),
                                                           "messageRef", "message")))
            elif start.find(_q("signalEventDefinition")) is not None:
                info.starts.append(("signal", _event_name(root, start.find(_q("signalEventDefinition")),
                                                          "signalRef", "signal")))
            elif start.find(_q("timerEventDefinition")) is not None:
                info.starts.append(("timer", None))
            elif start.find(_q("conditionalEventDefinition")) is not None:
                info.starts.append(("conditional", None))
            else:
                info.starts.append(("none", None))
        # An end event ends the process at the top level or in an event subprocess (which ends it too).
        holders = [process] + [sp for sp in process.findall(_q("subProcess")) if sp.get("triggeredByEvent") == "true"]
        for holder in holders:
            info.top_level_ends |= {e.get("id") for e in holder.findall(_q("endEvent"))}
        found.append(info)
    return found


def _ids_defined(path: Path) -> set[str]:
    """Process ids (BPMN) and decision ids (DMN) a file defines, so callers can find it."""
    root = _xml(path)
    if root is None:
        return set()
    ids = {p.get("id") for p in root.iter(_q("process"))}
    ids |= {d.get("id") for d in root.iter() if isinstance(d.tag, str) and etree.QName(d).localname == "decision"}
    return {i for i in ids if i}


def _ids_called(root) -> set[str]:
    """Decision ids business rule tasks call and process ids call activities call."""
    called = set()
    for task in root.iter(_q("businessRuleTask")):
        if task.get(f"{{{CAMUNDA}}}decisionRef"):
            called.add(task.get(f"{{{CAMUNDA}}}decisionRef"))
        for node in task.iter(f"{{{SPIFF}}}calledDecisionId"):
            if node.text:
                called.add(node.text.strip())
    for call in root.iter(_q("callActivity")):
        if call.get("calledElement"):
            called.add(call.get("calledElement"))
    return called


def companions_of(entry: Entry, corpus: Path) -> list[str]:
    """Corpus paths to deploy with ``entry``: what its notes name, plus files in the same folder
    that define a decision or process it calls (followed transitively)."""
    folder = corpus / entry.folder
    prefix = f"{entry.folder}/" if entry.folder else ""
    wanted = [prefix + name for name in entry.companions if (folder / name).is_file()]
    defined = {}
    for path in sorted(folder.iterdir()):
        if path.suffix in (".bpmn", ".dmn", ".xml") and path.is_file():
            for ident in _ids_defined(path):
                defined.setdefault(ident, prefix + path.name)
    queue = [entry.file, *wanted]
    seen = set(queue)
    while queue:
        root = _xml(corpus / queue.pop())
        if root is None:
            continue
        for ident in sorted(_ids_called(root)):
            other = defined.get(ident)
            if other and other not in seen:
                seen.add(other)
                wanted.append(other)
                queue.append(other)
    return [name for name in wanted if name != entry.file]


# name, operator, then a 'string', "string", number or boolean literal.
_COMPARISON = re.compile(
    r"""([A-Za-z_][A-Za-z0-9_]*)\s*(==|!=|>=|<=|>|<|\beq\b)\s*"""
    r"""(?:'([^']*)'|"([^"]*)"|(-?\d+(?:\.\d+)?)|(true|false|True|False))""")
_BARE = re.compile(r"^\s*[$#]?\{?\s*!?\s*(?:not\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*\}?\s*$")


def _add(hints: dict, name: str, *values) -> None:
    known = hints.setdefault(name, [])
    for value in values:
        if value not in known:
            known.append(value)


def condition_hints(roots: list) -> dict[str, list]:
    """Values the conditions obviously compare a variable with, in the order they appear.

    ``${approved == 'true'}`` needs approved='true', ``amount > 1000`` 1001 (or 1000 for the
    other branch), a bare ``${approved}`` True (or False). The first value starts the instance;
    the next ones are used when the same task comes round again, so a loop takes its exit.
    """
    hints: dict[str, list] = {}
    for root in roots:
        for node in root.iter(_q("conditionExpression"), _q("condition")):
            text = (node.text or "").strip()
            bare = _BARE.match(text)
            if bare and bare.group(1) not in ("true", "false", "True", "False"):
                _add(hints, bare.group(1), True, False)
                continue
            for name, op, single, double, number, boolean in _COMPARISON.findall(text):
                if name in ("true", "false", "True", "False", "and", "or", "not"):
                    continue
                if number:
                    n = float(number) if "." in number else int(number)
                    _add(hints, name, *{">": (n + 1, n), ">=": (n, n - 1), "<": (n - 1, n),
                                        "<=": (n, n + 1), "!=": (n + 1, n)}.get(op, (n, n + 1)))
                elif boolean:
                    flag = boolean.lower() == "true"
                    _add(hints, name, flag, not flag)
                else:
                    _add(hints, name, single or double)
        _add_decision_hints(root, hints)
    return hints


def _add_decision_hints(root, hints: dict) -> None:
    """A decision table's input column that reads a plain variable: the literals its rules test."""
    for table in root.iter():
        if not isinstance(table.tag, str) or etree.QName(table).localname != "decisionTable":
            continue
        columns = []
        for child in table:
            if isinstance(child.tag, str) and etree.QName(child).localname == "input":
                text = "".join(child.itertext()).strip()
                columns.append(text if text.isidentifier() else None)
        for rule in (r for r in table if isinstance(r.tag, str) and etree.QName(r).localname == "rule"):
            entries = [e for e in rule if isinstance(e.tag, str) and etree.QName(e).localname == "inputEntry"]
            for name, entry in zip(columns, entries):
                literal = re.fullmatch(r"""\s*(?:"([^"]*)"|'([^']*)'|(-?\d+(?:\.\d+)?))\s*""", "".join(entry.itertext()))
                if name and literal:
                    text, other, number = literal.groups()
                    if number is not None:
                        _add(hints, name, float(number) if "." in number else int(number))
                    else:
                        _add(hints, name, text if text is not None else other)


def task_outputs(roots: list) -> dict[str, list[str]]:
    """Data objects each human task writes (dataOutputAssociation) and multi-instance output items:
    its completion must set them."""
    outputs: dict[str, list[str]] = {}
    for root in roots:
        refs = {r.get("id"): r.get("dataObjectRef") for r in root.iter(_q("dataObjectReference"))}
        for tag in ("userTask", "manualTask"):
            for task in root.iter(_q(tag)):
                for target in task.findall(f"{_q('dataOutputAssociation')}/{_q('targetRef')}"):
                    name = refs.get((target.text or "").strip())
                    if name:
                        outputs.setdefault(task.get("id"), []).append(name)
        # Each instance of a multi-instance task hands back its output item.
        for item in root.iter(_q("outputDataItem")):
            task = item.getparent().getparent()
            if item.get("id") and task.get("id"):
                outputs.setdefault(task.get("id"), []).append(item.get("id"))
    return outputs


_NAME = r"([A-Za-z_][A-Za-z0-9_]*)"
# How a script or expression uses a variable tells the kind of value a person or system would give.
_USES = [
    (re.compile(_NAME + r"\.(?:upper|lower|strip|split|startswith|endswith|replace|title|format)\("), "text"),
    (re.compile(_NAME + r"\s*\+\s*['\"]"), "text"),
    (re.compile(r"['\"]\s*\+\s*" + _NAME + r"\b"), "text"),
    (re.compile(r"\blen\(\s*" + _NAME + r"\s*\)"), "list"),
    (re.compile(r"\bfor\s+\w+\s+in\s+" + _NAME + r"\b"), "list"),
    (re.compile(_NAME + r"\[\s*['\"]"), "record"),
]
_KEY = re.compile(_NAME + r"""\[\s*['"]([^'"]+)['"]\s*\]""")
_TIMER_VALUE = {"timeDate": START_TIME.isoformat(), "timeDuration": "PT1M", "timeCycle": "R1/PT1M"}


def _script_texts(roots: list) -> list[str]:
    """Scripts, pre/post scripts, conditions and parameter values: the code that reads variables."""
    texts = []
    for root in roots:
        for node in root.iter():
            if not isinstance(node.tag, str):
                continue
            name = etree.QName(node).localname
            if name in ("script", "preScript", "postScript", "conditionExpression", "condition") and node.text:
                texts.append(node.text)
            elif name == "parameter" and node.get("value"):
                texts.append(node.get("value"))
    return texts


def start_values(roots: list) -> dict:
    """Variables the model needs before it can run: what a timer's ``${name}`` names (an ISO
    date, duration or cycle) and a multi-instance task's ``loopDataInputRef`` collection (two
    items). The caller that starts such a process provides them."""
    values: dict = {}
    for root in roots:
        for definition in root.iter(_q("timerEventDefinition")):
            for child in definition:
                kind = etree.QName(child).localname if isinstance(child.tag, str) else ""
                match = re.fullmatch(r"[$#]\{\s*" + _NAME + r"\s*\}", (child.text or "").strip())
                if match and kind in _TIMER_VALUE:
                    values[match.group(1)] = _TIMER_VALUE[kind]
        for ref in root.iter(_q("loopDataInputRef")):
            if (ref.text or "").strip().isidentifier():
                values[ref.text.strip()] = ["1", "2"]
    return values


def typed_values(roots: list) -> dict:
    """A value of the right kind for variables the scripts read but nothing in the corpus sets.

    One a script calls string methods on (or adds to a string) gets a numeric string; one it
    takes ``len`` of or loops over a one-item list; one it indexes with a key a record with
    those keys (numeric strings again). Used instead of ``True`` when such a variable must be
    seeded (the manifest's own run seeded it, or a NameError names it).
    """
    values: dict = {}
    texts = _script_texts(roots)
    for text in texts:
        for pattern, kind in _USES:
            for name in pattern.findall(text):
                if name in values:
                    continue
                if kind == "text":
                    values[name] = "1"
                elif kind == "list":
                    values[name] = ["1"]
                else:
                    keys = [key for var, key in _KEY.findall(" ".join(texts)) if var == name]
                    values[name] = {key: "1" for key in keys}
    return values


# -- one file's run --------------------------------------------------------------------------


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
    manifest's own run "seeded"); it becomes a seed (True) for this and every later request.
    A refused request changes nothing, so sending it again is safe.
    """
    for _ in range(MAX_NAME_RETRIES):
        status, body = send()
        match = _UNDEFINED.search(problem_text(body)) if status == 422 else None
        if not match or match.group(1) in h.seeds:
            return status, body
        h.seeds[match.group(1)] = h.typed.get(match.group(1), True)
        h.added_seeds.append(match.group(1))
    return status, body


def start_process(h: Harness, info: ProcessInfo) -> None:
    """Start one process the way its start events allow: REST start, message, signal or timer."""
    h.start_attempted.add(info.process_id)
    if info.plain_start:
        status, body = with_missing_variables(h, lambda: h.call(
            "POST", f"/processes/{info.process_id}/instances", json={"variables": dict(h.seeds)}))
        if status != 201:
            h.failures[""].append(f"start of {info.process_id} refused ({status}): {problem_text(body)}")
        return
    kind, name = info.starts[0]
    if kind == "message" and name:
        status, body = with_missing_variables(h, lambda: h.call(
            "POST", "/messages", json={"name": name, "variables": dict(h.seeds)}))
    elif kind == "signal" and name:
        status, body = h.call("POST", "/signals", json={"name": name, "variables": dict(h.seeds)})
    elif kind == "timer":
        due = h.scheduler_call(scheduler.next_wake)
        if due is not None and due > h.clock.now:
            h.clock.now = due + timedelta(seconds=1)
        started = h.scheduler_call(scheduler.start_timer_processes)
        status, body = (201, None) if started else (404, "no timer start was due")
    else:
        status, body = 0, f"a {kind} start event the harness cannot trigger"
    if status in (200, 201) and (not isinstance(body, dict) or body.get("started") or body.get("delivered_to")):
        h.done[f"started by {kind}"] += 1
    else:
        h.failures[""].append(f"{kind} start of {info.process_id} did not start it ({status}): {problem_text(body)}")


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


def _field_value(kind: str | None, options: list, visit: int):
    """A value of the field's type; a task that comes round again gets the other choice."""
    if options:
        return options[visit % len(options)]
    if kind == "boolean":
        return visit % 2 == 0
    if kind in ("long", "integer", "double", "number"):
        return 1 + visit
    if kind == "date":
        return "2026-11-21"
    return "x"


def fill_form(ticket: dict, seeds: dict, hints: dict, outputs: list[str], visit: int = 0) -> dict:
    """Completion data for a ticket.

    Form fields get a value of their type (True, 1, "x", the first option); seeded variables
    the task data lacks and the data objects the task writes are added. On a later visit of
    the same task the choices rotate (False, the next option, the condition's next value) so
    a loop in the model takes its exit instead of tripping the harness's bound.
    """
    task_data = ticket.get("data") or {}
    data = {k: v for k, v in seeds.items() if k not in task_data}
    data.update({name: "x" for name in outputs if name not in task_data})
    if visit:
        data.update({name: values[visit % len(values)] for name, values in hints.items()})
    form = ticket.get("form") or {}
    for item in form.get("fields") or []:
        options = [o["id"] for o in item.get("options") or []]
        if item["id"] in hints and not options and visit:
            # A free field a gateway tests, on a later visit: the values its conditions compare
            # with, in turn (the first visit keeps the plain value, as a person would type).
            choices = [_field_value(item.get("type"), [], 0), *hints[item["id"]]]
            data[item["id"]] = choices[visit % len(choices)]
        else:
            data[item["id"]] = _field_value(item.get("type"), options, visit)
    if not form.get("fields"):
        for name, prop in ((ticket.get("form_schema") or {}).get("properties") or {}).items():
            data[name] = _field_value(prop.get("type"), list(prop.get("enum") or []), visit)
    return data


def work_tickets(h: Harness, snapshot: list[dict]) -> bool:
    """Complete every open ticket once; a refused completion is remembered, not retried."""
    progressed = False
    for inst in snapshot:
        if inst.get("status") != "running":
            continue
        # By element: tickets opened by one request share a timestamp and their ids are random.
        for summary in sorted(inst.get("open_tickets") or [], key=lambda t: t["element_id"]):
            if summary["id"] in h.attempted_tickets:
                continue
            h.attempted_tickets.add(summary["id"])
            if h.tickets_done[inst["id"]] >= MAX_TICKETS_PER_INSTANCE:
                h.failures[inst["id"]].append(f"loop guard: {MAX_TICKETS_PER_INSTANCE} tickets completed")
                continue
            element = summary["element_id"]
            _, ticket = h.call("GET", f"/tickets/{summary['id']}")
            visit = h.visits[(inst["id"], element)]
            status, body = with_missing_variables(h, lambda: h.call(
                "POST", f"/tickets/{summary['id']}/complete",
                json={"data": fill_form(ticket or {}, h.seeds, h.hints, h.outputs.get(element, []), visit)}))
            if status == 200:
                h.done["tickets"] += 1
                h.tickets_done[inst["id"]] += 1
                h.visits[(inst["id"], element)] += 1
                progressed = True
            else:
                h.failures[inst["id"]].append(f"completing ticket '{element}' refused ({status}): {problem_text(body)}")
    return progressed


def work_external_tasks(h: Harness) -> bool:
    """An external worker subscribed to every topic the deployed models use fetches and completes."""
    with h.rt.uow() as uow:
        # The topics are the models' own (camunda:topic, operator name or element id); reading
        # them here stands in for a worker configured with the model's topics.
        topics = sorted(set(uow.session.scalars(select(ExternalTask.topic).where(ExternalTask.status == "available"))))
    if not topics:
        return False
    status, tasks = h.call("POST", "/external-tasks/fetch-and-lock", json={
        "worker_id": "conformance", "max_tasks": 50,
        "topics": [{"topic_name": t, "lock_duration": 60_000} for t in topics]})
    progressed = False
    for task in sorted(tasks or [], key=lambda t: t["activity_id"]) if status == 200 else []:
        variables = {k: v for k, v in h.seeds.items() if k not in (task.get("variables") or {})}
        done, body = with_missing_variables(h, lambda: h.call(
            "POST", f"/external-tasks/{task['id']}/complete", json={
                "worker_id": "conformance",
                "variables": {**variables, **{k: h.seeds[k] for k in h.added_seeds}}}))
        if done == 200:
            h.done["external tasks"] += 1
            progressed = True
        else:
            h.failures[task["process_instance_id"]].append(
                f"completing external task '{task['activity_id']}' refused ({done}): {problem_text(body)}")
            h.call("POST", f"/external-tasks/{task['id']}/failure",
                   json={"worker_id": "conformance", "error_message": "harness could not complete it", "retries": 0})
    return progressed


def send_waited_events(h: Harness, snapshot: list[dict]) -> bool:
    """Send each message and signal an instance waits for (a few times at most, for loops)."""
    for inst in snapshot:
        if inst.get("status") != "running" or inst.get("incidents"):
            continue
        for wait in inst.get("waiting_for") or []:
            key = (inst["id"], wait["kind"], wait["name"])
            if h.sends[key] >= MAX_SENDS_PER_WAIT:
                continue
            h.sends[key] += 1
            # The payload carries only seeds the instance lacks: it must not undo what forms set.
            payload = {k: v for k, v in h.seeds.items() if k not in (inst.get("variables") or {})}
            if wait["kind"] == "message":
                status, body = h.call("POST", "/messages", json={
                    "name": wait["name"], "instance_id": inst["id"], "variables": payload})
            else:
                status, body = h.call("POST", "/signals", json={"name": wait["name"], "variables": payload})
            if status == 200 and (body or {}).get("delivered_to"):
                h.done[f"{wait['kind']}s sent"] += 1
                return True
            h.failures[inst["id"]].append(
                f"{wait['kind']} '{wait['name']}' not caught ({status}): {problem_text(body)}")
    return False


def _next_timer(snapshot: list[dict]) -> datetime | None:
    due = [datetime.fromisoformat(i["next_timer_at"]) for i in snapshot
           if i.get("status") == "running" and i.get("next_timer_at")]
    return min(due) if due else None


def _fire_timers_at(h: Harness, due: datetime) -> bool:
    """Move the clock just past ``due`` and let the scheduler fire what is due."""
    if h.timer_advances >= MAX_TIMER_ADVANCES:
        h.failures[""].append(f"loop guard: the clock was moved {MAX_TIMER_ADVANCES} times")
        return False
    h.timer_advances += 1
    h.clock.now = max(h.clock.now, due) + timedelta(seconds=1)
    fired = h.scheduler_call(scheduler.fire_due_timers)
    h.done["timers fired"] += fired
    return fired > 0


def advance_timers(h: Harness, snapshot: list[dict]) -> bool:
    """Nothing else moves: jump to the earliest due timer and fire it."""
    due = _next_timer(snapshot)
    return due is not None and _fire_timers_at(h, due)


def think_time(h: Harness, snapshot: list[dict]) -> bool:
    """People take a moment: a timer due within a minute fires before anyone completes a ticket."""
    due = _next_timer(snapshot)
    if due is None or due > h.clock.now + THINK_TIME or not any(i.get("open_tickets") for i in snapshot):
        return False
    return _fire_timers_at(h, due)


def start_pending(h: Harness, infos: list[ProcessInfo]) -> bool:
    """Trigger (once) the message/signal/timer start of a process no instance has started yet."""
    started = {i.get("process_key") for i in instances(h)}
    for info in infos:
        if info.process_id in started or info.process_id in h.start_attempted:
            continue
        start_process(h, info)
        return True
    return False


def drive_instances(h: Harness, infos: list[ProcessInfo]) -> list[dict]:
    """Play every role for every instance of the runtime until nothing moves (or a bound is hit).

    Order of preference: people and workers first, then messages the processes threw, then
    starting processes only an event starts, then what the instances say they wait for, and
    the clock last. Returns the final instances.
    """
    for _ in range(MAX_ROUNDS):
        snapshot = instances(h)
        if len(snapshot) > MAX_INSTANCES:
            h.failures[""].append(f"loop guard: more than {MAX_INSTANCES} instances")
            break
        if (h.timers_first and think_time(h, snapshot)) or work_tickets(h, snapshot) or work_external_tasks(h):
            continue
        routed = h.scheduler_call(scheduler.route_messages)
        h.done["thrown messages routed"] += routed
        if routed and _changed(h, snapshot):
            continue  # thrown messages moved or started instances: look again before acting
        if start_pending(h, infos) or send_waited_events(h, snapshot) or advance_timers(h, snapshot):
            continue
        break
    return instances(h)


def _changed(h: Harness, before: list[dict]) -> bool:
    after = instances(h)
    key = lambda items: sorted((i["id"], i.get("version"), i.get("status")) for i in items)  # noqa: E731
    return key(after) != key(before)


def where_stuck(inst: dict) -> list[str]:
    """Element ids the instance waits at: tickets, jobs, timers, subscriptions, incidents."""
    where = [f"ticket:{t['element_id']}" for t in inst.get("open_tickets") or []]
    where += [f"job:{j.get('element_id')}" for j in inst.get("jobs") or []]
    where += [f"timer:{t['element_id']}" for t in inst.get("timers") or []]
    where += [f"{w['kind']}:{w['name']}" + (f"@{w['element_id']}" if w.get("element_id") else "")
              for w in inst.get("waiting_for") or []]
    where += [f"incident:{i.get('element_id')}" for i in inst.get("incidents") or []]
    return where


def _external_waits(h: Harness, instance_id: str) -> list[str]:
    with h.rt.uow() as uow:
        rows = uow.session.scalars(select(ExternalTask).where(ExternalTask.instance_id == instance_id,
                                                              ExternalTask.status.in_(("available", "locked"))))
        return [f"external:{r.element_id}({r.topic})" for r in rows]


def judge(h: Harness, outcome: Outcome, infos: list[ProcessInfo], final: list[dict]) -> None:
    """Fill the outcome: ran to end when every instance completed through a top-level end event."""
    ends = {i.process_id: i.top_level_ends for i in infos}
    all_ends = set().union(*ends.values()) if ends else set()
    ok = bool(final)
    seen: Counter = Counter()
    for inst in final:  # oldest first
        key, status = inst.get("process_key"), inst.get("status")
        seen[key] += 1
        label = f"{key}" if len({i.get('process_key') for i in final}) == len(final) else f"{key}#{seen[key]}"
        outcome.statuses.append(status)
        if status == "completed":
            reached = {e["element_id"] for e in inst.get("history") or [] if e.get("type") == "endEvent"}
            expected = ends.get(key) or all_ends
            if expected and not reached & expected:
                ok = False
                h.bug(f"instance of {key} is 'completed' but its history reaches no top-level end event "
                      f"(ends reached: {sorted(reached) or 'none'})")
            continue
        ok = False
        where = where_stuck(inst) + _external_waits(h, inst["id"])
        outcome.stuck_where.append(f"{label} [{status}]: {', '.join(where) or 'nothing visible'}")
        reasons = [f"incident at '{i.get('element_id')}': {i.get('message')}" for i in inst.get("incidents") or []]
        if inst.get("error"):
            reasons.append(f"{status}: {inst['error']}")
        reasons += h.failures.get(inst["id"], [])
        if not reasons and status == "running":
            reasons.append("waits for nothing the harness could provide" if not where else
                           "still waiting after every ticket, task, message, signal and timer was served")
        outcome.why.append(f"{label}: " + "; ".join(dict.fromkeys(reasons)))
    if not final:
        outcome.why.append("no instance was started")
    outcome.why += [f"{text}" for text in dict.fromkeys(h.failures.get("", []))
                    if not ok or text.startswith("scheduler.")]
    outcome.bugs += h.failures.get("__bugs__", [])
    outcome.ran_to_end = ok and not outcome.bugs
    if outcome.ran_to_end:
        driven = ", ".join(f"{n} {what}" for what, n in h.done.items() if n)
        outcome.why.append(f"{len(final)} instance(s); {driven or 'no input needed'}"
                           + (f"; seeded {', '.join(sorted(h.seeds))}" if h.seeds else ""))


def run_file(entry: Entry, corpus: Path, env: Environment, errors: ErrorLog) -> Outcome:
    """Run a file twice when it has timers.

    First as the manifest's own run did: people act first, timers fire when nothing else moves.
    Then with timers due within a minute firing before anyone acts, as they would for real people:
    that run counts when the first did not reach the end, and any flowdesk bug it meets is
    reported either way (it takes the timer paths the first run skipped).
    """
    outcome = run_once(entry, corpus, env, errors)
    if outcome.deployed != "yes" or "timerEventDefinition" not in _text(corpus / entry.file):
        return outcome
    again = run_once(entry, corpus, env, errors, timers_first=True)
    if again.ran_to_end and not outcome.ran_to_end:
        again.why.append("ran to the end only with short timers firing before people act")
        return again
    outcome.bugs += [f"(timers-first run) {b}" for b in again.bugs if b not in outcome.bugs]
    if outcome.bugs and outcome.ran_to_end:
        outcome.cause = "flowdesk bug (on the timer path; the file ran to the end the other way)"
    return outcome


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8", errors="replace")


def run_once(entry: Entry, corpus: Path, env: Environment, errors: ErrorLog, timers_first: bool = False) -> Outcome:
    """Deploy one corpus file with its companions, start and drive its processes, judge."""
    outcome = Outcome(entry)
    outcome.companions = companions_of(entry, corpus)
    root = _xml(corpus / entry.file)
    infos = processes_of(root) if root is not None else []
    outcome.processes = [i.process_id for i in infos]
    h = Harness(env, corpus, entry, errors, timers_first)
    try:
        roots = [r for r in (_xml(corpus / n) for n in [entry.file, *outcome.companions]) if r is not None]
        h.hints = condition_hints(roots)
        h.outputs = task_outputs(roots)
        # Seeds: what the manifest's own run had to seed (True, as it did), and the first value
        # each condition compares with.
        h.typed = typed_values(roots)
        h.seeds = {name: h.typed.get(name, True) for name in entry.seeded_vars}
        h.seeds.update(start_values(roots))
        h.seeds.update({name: values[0] for name, values in h.hints.items()})
        status, body = deploy_file(h, [entry.file, *outcome.companions])
        if status not in (200, 201):
            outcome.deployed = f"{status} {problem_text(body)}"
            outcome.deploy_detail = problem_text(body)
            outcome.why.append(f"deploy refused: {problem_text(body)}")
            outcome.bugs += h.failures.get("__bugs__", [])
            outcome.cause = "deploy refused" if status == 422 else f"deploy answered {status}"
            return outcome
        deployed_keys = {d["key"] for d in body if d.get("kind", "process") == "process"}
        infos = [i for i in infos if i.process_id in deployed_keys]
        outcome.deployed = "yes"
        for info in infos:
            if info.plain_start:
                start_process(h, info)
        final = drive_instances(h, infos)
        judge(h, outcome, infos, final)
        outcome.cause = classify(outcome)
        return outcome
    except Exception as exc:  # noqa: BLE001 - a harness or engine crash is a row, not an abort
        outcome.bugs.append(f"harness run crashed: {summarize_traceback(exc)}")
        outcome.why.append("crashed (see bugs)")
        outcome.cause = "crash"
        return outcome
    finally:
        h.close()


def classify(outcome: Outcome) -> str:
    """A short cause for grouping the files that did not run."""
    if outcome.ran_to_end:
        return ""
    text = " ".join(outcome.why)
    if outcome.bugs:
        return "flowdesk bug"
    if "start of" in text and "refused" in text:
        return "start failed (error while running to the first wait state)"
    if "incident" in text:
        return "incident"
    if "completing ticket" in text:
        return "ticket completion refused (error after the task)"
    if "loop guard" in text:
        return "loops (bounded by the harness)"
    if "failed:" in text:
        return "instance failed"
    return "stuck waiting"


# -- the whole corpus and the report -----------------------------------------------------------


@dataclass
class Report:
    outcomes: list[Outcome]
    seconds: float

    @property
    def executable(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.entry.executable]

    @property
    def spiff_yes(self) -> list[Outcome]:
        return [o for o in self.executable if o.entry.spiff_runs]

    def counts(self) -> dict:
        spiff = self.spiff_yes
        ran_spiff = sum(o.ran_to_end for o in spiff)
        ex = self.executable
        ran = sum(o.ran_to_end for o in ex)
        return {"spiff_total": len(spiff), "spiff_ran": ran_spiff,
                "spiff_pct": 100.0 * ran_spiff / len(spiff) if spiff else 0.0,
                "total": len(ex), "ran": ran, "pct": 100.0 * ran / len(ex) if ex else 0.0}

    def summary(self) -> str:
        c = self.counts()
        return (f"flowdesk ran {c['spiff_ran']} of {c['spiff_total']} files SpiffWorkflow runs alone "
                f"({c['spiff_pct']:.0f}%); {c['ran']} of {c['total']} executable files overall ({c['pct']:.0f}%)")


@dataclass
class Environment:
    """What every run shares: a migrated SQLite file holding the admin user, and the app."""

    workdir: Path
    template: Path
    app: object

    @classmethod
    def create(cls, workdir: Path) -> "Environment":
        template = workdir / "template.sqlite3"
        rt = Runtime(f"sqlite:///{template}", master_key=MASTER_KEY)
        rt.upgrade_schema()
        # Building the app creates the admin user in the template, so every copy has it.
        app = create_app(Settings(database_url=rt.database_url, admin_key=ADMIN_KEY, auto_migrate=False), runtime=rt)
        rt.close()
        return cls(workdir, template, app)


def run_corpus(corpus: Path, only: list[str] | None = None, timers_first: bool = False) -> Report:
    """Run every executable manifest file; DMN-only and non-executable files are listed as skipped."""
    started = time.monotonic()
    errors = ErrorLog()
    watched = [logging.getLogger(name) for name in ("flowdesk",)]
    for logger in watched:
        logger.addHandler(errors)
    quiet = logging.getLogger("flowdesk")
    previous_propagate = quiet.propagate
    quiet.propagate = False  # the tracebacks go into the report, not onto the terminal
    outcomes = []
    try:
        with tempfile.TemporaryDirectory(prefix="flowdesk-conformance-") as tmp:
            env = Environment.create(Path(tmp))
            for entry in read_manifest(corpus):
                if only and not any(part in entry.file for part in only):
                    continue
                if entry.skip_reason:
                    outcomes.append(Outcome(entry, skipped=entry.skip_reason))
                    continue
                if timers_first:
                    outcomes.append(run_once(entry, corpus, env, errors, timers_first=True))
                else:
                    outcomes.append(run_file(entry, corpus, env, errors))
    finally:
        for logger in watched:
            logger.removeHandler(errors)
        quiet.propagate = previous_propagate
    return Report(outcomes, time.monotonic() - started)


def _cell(text: str, limit: int = 400) -> str:
    # Object addresses and generated ids would make the report differ on every run.
    text = re.sub(r"0x[0-9a-f]{6,}", "0x…", " ".join(str(text).split()))
    text = re.sub(r"(/[a-z-]+/)[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", r"\1{id}", text)
    text = text.replace("|", "\\|")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def render(report: Report) -> str:
    """docs/conformance.md: header, summary, the table, failures grouped by cause, bugs, skipped."""
    c = report.counts()
    lines = [
        "# Corpus conformance",
        "",
        "Generated by `python tools/conformance.py` (do not edit by hand); checked by",
        "`tests/conformance/test_corpus.py`. It walks every file of the shared BPMN corpus",
        "(`../shared/bpmn-corpus`, or `$FLOWDESK_CORPUS`) that its `MANIFEST.tsv` marks as parseable",
        "and executable through the flowdesk REST API (Flask test client, a fresh SQLite runtime per",
        "file): the file is deployed with the companion BPMN/DMN files it needs (named in the",
        "manifest's notes, or defining a decision or process it calls), each executable process is",
        "started (REST start, or the message, signal or timer its start event waits for), and every",
        "instance is driven within fixed bounds:",
        "",
        "- every open ticket is completed with data generated from its form (booleans `true`, numbers",
        "  `1`, strings `\"x\"`, enums their first option), plus the variables the manifest's own run",
        "  seeded (`true`, as it did), the values the model's conditions compare with, the data",
        "  objects the task writes, and any variable a `NameError` names (the request is then sent",
        "  again; a refused request changes nothing). A task that comes round again gets the other",
        "  choices (`false`, the next option, the condition's next value), so loops can exit;",
        "- external tasks are fetched and completed by a worker subscribed to their topics;",
        "- messages thrown by processes are routed by the scheduler; processes only an event starts",
        "  are started with it; the messages and signals an instance lists in `waiting_for` are sent;",
        "- when nothing else moves, the clock jumps to the next due timer and the scheduler fires it.",
        "  A file with timers that does not reach the end this way runs once more with timers due",
        "  within a minute firing before anyone acts (as for real people); any flowdesk bug met on",
        "  that second run is reported too.",
        "",
        f"**{report.summary()}.**",
        "",
        "Target: every file SpiffWorkflow runs alone (manifest `runs_to_end` is `yes`) runs, and at",
        f"least 90% of the {c['total']} executable files (manifest `parses_spiff` is `yes: ...`); a file",
        "that does not run must be refused at deploy with a reason, or stop with one.",
        "",
        "Columns: **file** (corpus path; `+` companions deployed with it), **spiff** (the manifest's",
        "`runs_to_end` for SpiffWorkflow alone), **process** (executable process ids), **deployed**",
        "(`yes`, or the HTTP status and problem detail), **ran to end** (every instance completed",
        "through a top-level end event), **stuck where** (per unfinished instance and its status: open",
        "`ticket:`, `job:`, `timer:`, `message:`/`signal:` subscriptions, `external:` tasks,",
        "`incident:`), **why** (incidents, instance errors, refused requests, loop guards; for a file",
        "that ran: how many instances, what the harness did and which variables it seeded).",
        "",
        "| file | spiff | process | deployed | ran to end | stuck where | why |",
        "|---|---|---|---|---|---|---|",
    ]
    for o in report.outcomes:
        if o.skipped or not o.entry.executable:
            continue
        lines.append(_row(o))
    failing = [o for o in report.executable if not o.ran_to_end]
    lines += ["", "## Files that did not run to the end, by cause", ""]
    by_cause: dict[str, list[Outcome]] = defaultdict(list)
    for o in failing:
        by_cause[o.cause or "other"].append(o)
    for cause, items in sorted(by_cause.items(), key=lambda kv: -len(kv[1])):
        lines.append(f"- **{cause}** ({len(items)}): " + ", ".join(
            f"`{o.entry.file}`" + (" (SpiffWorkflow alone: yes)" if o.entry.spiff_runs else "") for o in items))
    bugs = [(o, b) for o in report.outcomes for b in o.bugs]
    lines += ["", "## flowdesk bugs the run found", ""]
    lines += [f"- `{o.entry.file}`: {_cell(b, 1200)}" for o, b in bugs] or ["None."]
    others = [o for o in report.outcomes if not o.skipped and not o.entry.executable]
    lines += ["", "## Files SpiffWorkflow cannot parse (deployed anyway; not counted)", "",
              "| file | deployed | ran to end | why |", "|---|---|---|---|"]
    for o in others:
        lines.append(f"| `{o.entry.file}` | {_cell(o.deployed, 300)} | {'yes' if o.ran_to_end else 'no'} | "
                     f"{_cell('; '.join(o.why), 300)} |")
    lines += ["", "## Skipped", "", "| file | reason |", "|---|---|"]
    lines += [f"| `{o.entry.file}` | {o.skipped} |" for o in report.outcomes if o.skipped]
    lines.append("")
    return "\n".join(lines)


def _row(o: Outcome) -> str:
    file = f"`{o.entry.file}`" + "".join(f" + `{Path(c).name}`" for c in o.companions)
    return (f"| {file} | {_cell(o.entry.runs_to_end, 40)} | {_cell(', '.join(o.processes))} | "
            f"{_cell(o.deployed, 300)} | {'yes' if o.ran_to_end else '**no**'} | "
            f"{_cell('; '.join(o.stuck_where))} | {_cell('; '.join(o.why + o.bugs), 600)} |")


def main(argv: list[str]) -> int:
    """No arguments: run everything and rewrite docs/conformance.md. With path fragments: run the
    matching files only and print their rows (``--timers-first`` drives them the second way)."""
    corpus = corpus_dir()
    if corpus is None:
        print(f"no corpus at {corpus_path()} (no MANIFEST.tsv): set FLOWDESK_CORPUS", file=sys.stderr)
        return 2
    timers_first = "--timers-first" in argv
    only = [a for a in argv[1:] if not a.startswith("--")] or None
    report = run_corpus(corpus, only, timers_first)
    if only is None and not timers_first:
        REPORT.parent.mkdir(parents=True, exist_ok=True)
        REPORT.write_text(render(report), encoding="utf-8")
    else:
        for o in report.outcomes:
            if not o.skipped:
                print(_row(o))
    print(f"{report.summary()} [{report.seconds:.0f}s]")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
