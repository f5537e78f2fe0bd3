"""The corpus and its MANIFEST.tsv."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from .config import REPO

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

