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

``python -m tools.conformance`` (from the repository root, with flowdesk installed) rewrites
docs/conformance.md and prints a summary line; ``python -m tools.conformance FRAGMENT...``
runs only the matching files and prints their rows (``--timers-first`` drives them the second
way). The corpus is found at $FLOWDESK_CORPUS or ../shared/bpmn-corpus.
"""

from .manifest import Entry, corpus_dir, corpus_path, read_manifest
from .report import Report, render
from .run import run_corpus

__all__ = ["Entry", "Report", "corpus_dir", "corpus_path", "read_manifest", "render", "run_corpus"]
