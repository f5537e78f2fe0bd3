"""The BPMN MIWG test models: every one, as published and with its processes made executable.

The MIWG suite (``bpmn-miwg/`` in the corpus) is written to test how tools exchange diagrams,
so most of its processes say ``isExecutable="false"`` and many leave out what an engine needs.
Each file is deployed and driven twice like the manifest's files: as published, and as a copy
in which every process is marked executable. Either way it must deploy and run to an end, or
be refused (or stop) with a reason, never silently wrong.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from .config import BPMN
from .harness import Outcome
from .manifest import Entry

FOLDER = "bpmn-miwg"


@dataclass
class MiwgResult:
    """One MIWG file's two runs."""

    file: str
    published: Outcome
    executable: Outcome


def miwg_files(corpus: Path) -> list[str]:
    """Corpus paths of the MIWG models (BPMN files under bpmn-miwg/), sorted."""
    folder = corpus / FOLDER
    if not folder.is_dir():
        return []
    found = [p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in (".bpmn", ".xml")]
    return sorted(str(p.relative_to(corpus)) for p in found)


def _entry(file: str) -> Entry:
    return Entry(file, exporter="", elements="", parses_spiff="yes: miwg", runs_to_end="", notes="")


def made_executable(source: Path, target: Path) -> bool:
    """Write ``source`` with every process marked executable to ``target``; False if it is not XML."""
    try:
        tree = etree.parse(str(source), etree.XMLParser(resolve_entities=False, no_network=True))
    except (etree.XMLSyntaxError, OSError):
        return False
    for process in tree.getroot().iter(f"{{{BPMN}}}process"):
        process.set("isExecutable", "true")
    target.parent.mkdir(parents=True, exist_ok=True)
    tree.write(str(target), xml_declaration=True, encoding="UTF-8")
    return True


def run_miwg(corpus: Path, workdir: Path, run_file, only: list[str] | None = None) -> list[MiwgResult]:
    """Run each MIWG file as published and made executable, with ``run_file(entry, corpus)``."""
    results = []
    copies = workdir / "miwg-executable"
    for file in miwg_files(corpus):
        if only and not any(part in file for part in only):
            continue
        published = run_file(_entry(file), corpus)
        if made_executable(corpus / file, copies / file):
            executable = run_file(_entry(file), copies)
        else:
            executable = published
        results.append(MiwgResult(file, published, executable))
    return results
