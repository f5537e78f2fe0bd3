"""``python -m tools.conformance [FRAGMENT...] [--timers-first]``: see the package docstring."""

from __future__ import annotations

import sys

from .config import REPORT
from .manifest import corpus_dir, corpus_path
from .report import miwg_row, render, table_row
from .run import run_corpus


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
                print(table_row(o))
        for r in report.miwg:
            print(miwg_row(r))
    print(f"{report.summary()} [{report.seconds:.0f}s]")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
