"""Running files: one (twice when it has timers), or the whole corpus."""

from __future__ import annotations

import json
import logging
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from flowdesk.api import create_app
from flowdesk.config import Settings
from flowdesk.engine.store.runtime import Runtime

from .config import ADMIN_KEY, MASTER_KEY
from .harness import ErrorLog, Harness, Outcome, deploy_file, problem_text, summarize_traceback
from .judging import classify, judge
from .manifest import Entry, read_manifest
from .miwg import run_miwg
from .model_facts import (called_names, read_xml, companions_of, condition_hints, form_files, processes_of, start_values,
                          task_outputs, typed_values)
from .report import Report
from .roles import drive_instances, start_process

FORMS = Path(__file__).resolve().parent / "forms"


def _stand_in(kind: str, name: str) -> dict:
    """A form for a file the corpus names but lacks: one required field, so enforcement shows."""
    if kind == "ui":
        return {}
    return {"title": f"stand-in for {name}, which the corpus lacks", "type": "object",
            "required": ["confirmed"], "properties": {"confirmed": {"type": "boolean"}}}


def forms_for(h: Harness, entry: Entry, roots: list, workdir: Path) -> list[str]:
    """The form files the models name, to deploy with them: from the model's corpus folder, else
    the harness's own (tools/conformance/forms), else a stand-in (counted in the report)."""
    found = []
    for name, kind in form_files(roots).items():
        if (h.corpus / entry.folder / name).is_file():
            found.append(f"{entry.folder}/{name}" if entry.folder else name)
        elif (FORMS / name).is_file():
            found.append(str(FORMS / name))
        else:
            path = workdir / "stand-in-forms" / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(_stand_in(kind, name)))
            found.append(str(path))
            h.done["stand-in forms deployed"] += 1
    return found


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
    root = read_xml(corpus / entry.file)
    infos = processes_of(root) if root is not None else []
    outcome.processes = [i.process_id for i in infos]
    h = Harness(env, corpus, entry, errors, timers_first)
    try:
        roots = [r for r in (read_xml(corpus / n) for n in [entry.file, *outcome.companions]) if r is not None]
        h.hints = condition_hints(roots)
        h.outputs = task_outputs(roots)
        # Seeds: what the manifest's own run had to seed (True, as it did), and the first value
        # each condition compares with.
        h.typed = typed_values(roots)
        h.functions = called_names(roots)
        h.seeds = {name: h.typed.get(name, True) for name in entry.seeded_vars if name not in h.functions}
        h.seeds.update(start_values(roots))
        h.seeds.update({name: values[0] for name, values in h.hints.items()})
        forms = forms_for(h, entry, roots, env.workdir)
        status, body = deploy_file(h, [entry.file, *outcome.companions, *forms])
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
    miwg = []
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
            if not timers_first:
                miwg = run_miwg(corpus, Path(tmp), lambda entry, where: run_file(entry, where, env, errors), only)
    finally:
        for logger in watched:
            logger.removeHandler(errors)
        quiet.propagate = previous_propagate
    return Report(outcomes, time.monotonic() - started, miwg)

