"""The shared BPMN corpus through the REST API: what SpiffWorkflow runs alone, flowdesk runs too.

Runs ``tools/conformance`` (the same driver that writes docs/conformance.md) once for the
module. The corpus lives outside the repository (``../shared/bpmn-corpus`` or
``$FLOWDESK_CORPUS``): without it these tests skip, except in CI (``CI`` set), where they fail.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import pytest

TOOL = Path(__file__).resolve().parents[2] / "tools" / "conformance"
TARGET = 90.0  # percent of the executable corpus files flowdesk should run to the end


def _load_tool():
    spec = importlib.util.spec_from_file_location("flowdesk_conformance_tool", TOOL / "__init__.py",
                                                  submodule_search_locations=[str(TOOL)])
    module = importlib.util.module_from_spec(spec)
    # dataclasses resolve annotations through sys.modules while the package executes.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def report():
    tool = _load_tool()
    corpus = tool.corpus_dir()
    if corpus is None:
        reason = f"no BPMN corpus (MANIFEST.tsv) at {tool.corpus_path()}; set FLOWDESK_CORPUS to its folder"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; CI must provide it")
        pytest.skip(reason)
    return tool.run_corpus(corpus)


def _line(outcome) -> str:
    why = "; ".join(outcome.why + outcome.bugs) or "no reason recorded"
    return f"{outcome.entry.file} [{outcome.cause or 'ran'}]: {why[:400]}"


def test_every_file_spiffworkflow_runs_alone_runs_through_flowdesk(report):
    failures = [o for o in report.spiff_yes if not o.ran_to_end]

    # Assert on the names (short in pytest's diff); the message says why each one failed.
    assert [o.entry.file for o in failures] == [], (
        f"{len(failures)} of {len(report.spiff_yes)} files SpiffWorkflow runs alone do not run through flowdesk:\n"
        + "\n".join(_line(o) for o in failures))


def test_at_least_ninety_percent_of_executable_files_run(report):
    counts = report.counts()

    assert round(counts["pct"], 1) >= TARGET, (
        f"{report.summary()}: below the {TARGET:.0f}% target; not running:\n"
        + "\n".join(_line(o) for o in report.executable if not o.ran_to_end))


def _honest(outcome, refusals: tuple[str, ...] = ("422",)) -> bool:
    """Refused at deploy with a 422 and a message, or stuck/failed with a reason and no bug."""
    if outcome.bugs:
        return False
    if outcome.deployed != "yes":
        return outcome.deployed.startswith(refusals) and bool(outcome.deploy_detail.strip())
    return bool(outcome.why) and not any("waits for nothing" in w for w in outcome.why)


def test_every_file_that_does_not_run_says_why(report):
    # Never a 500, a crash or "completed" without an end event: a 422 at deploy, an incident,
    # a refused step or a "failed" status with its error.
    unclear = [o for o in report.executable if not o.ran_to_end and not _honest(o)]

    assert [o.entry.file for o in unclear] == [], (
        "files that stopped without a clear reason (or hit a flowdesk bug):\n" + "\n".join(_line(o) for o in unclear))


def test_files_spiffworkflow_cannot_parse_are_refused_with_a_reason(report):
    # Not counted towards the target, but flowdesk must still refuse them cleanly (400 for XML
    # that is not well-formed, 422 for models it cannot run) or run them honestly.
    others = [o for o in report.outcomes if not o.skipped and not o.entry.executable]
    bad = [o for o in others if o.bugs or (not o.ran_to_end and not _honest(o, ("400", "422")))]

    assert [o.entry.file for o in bad] == [], "\n".join(_line(o) for o in bad)


def test_no_file_meets_a_flowdesk_bug(report):
    # Also the files that ran: a bug on a path only the timers-first run takes counts too.
    buggy = [o for o in report.outcomes if o.bugs]

    assert [o.entry.file for o in buggy] == [], "\n".join(
        f"{o.entry.file}: {'; '.join(o.bugs)[:600]}" for o in buggy)


def test_every_miwg_model_runs_or_says_why_as_published_and_made_executable(report):
    unclear = [(r.file, kind, o) for r in report.miwg for kind, o in (("published", r.published),
                                                                      ("made executable", r.executable))
               if o.bugs or (not o.ran_to_end and not _honest(o, ("400", "422")))]

    assert [(file, kind) for file, kind, _ in unclear] == [], "\n".join(
        f"{file} ({kind}): {_line(o)}" for file, kind, o in unclear)


@pytest.mark.parametrize(("dialect", "checks"), [
    ("Camunda 8", ("declared forms enforced", "task types on their topic", "assignments on tickets")),
    ("SpiffArena", ("declared forms enforced", "task types on their topic", "connectors as HTTP calls")),
    ("Camunda 7", ("declared forms enforced", "task types on their topic", "assignments on tickets")),
])
def test_each_dialect_shows_what_it_declares_landing(report, dialect, checks):
    # A declared form, topic, connector or assignment that did not land is a bug (test above);
    # here: the corpus exercises each of them for the dialect at all.
    seen = report.dialect_checks()[dialect]

    assert [check for check in checks if not seen[check]] == [], seen
