"""Heartbeats of the long-running loops (scheduler, dispatcher, worker): is each alive and moving?

A loop beats after every round that succeeded. It is dead when its thread has ended, and
stalled when it has not beaten for its ``stalled_after`` seconds (it hangs, or every round
fails), or, inside a job, when it is past the job's time limit. ``/ready`` reports
the loops of its own process; ``flowdesk worker`` and ``flowdesk scheduler`` also write their
beats to a file that ``flowdesk check`` reads, so a container probe can restart them.
"""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

# The file is rewritten at most this often (a busy loop beats many times a second).
WRITE_EVERY = 1.0


class Heartbeat:
    """One loop's pulse: :meth:`beat` after a good round, :meth:`failed` after a bad one."""

    def __init__(self, name: str, stalled_after: float, thread: threading.Thread | None, board: "Heartbeats"):
        self.name = name
        self.stalled_after = stalled_after
        self.thread = thread
        self.last_beat = time.time()  # starting counts as a beat
        self.last_round = self.last_beat  # a round ended, well or not: the loop itself still turns
        self.busy_until = 0.0
        self.last_error: str | None = None
        self._board = board

    def beat(self) -> None:
        self.last_beat = self.last_round = time.time()
        self.busy_until = 0.0
        self.last_error = None
        self._board.changed()

    def busy(self, seconds: float) -> None:
        """A job is in flight and may take up to ``seconds`` (its hard time limit) without a beat."""
        self.busy_until = time.time() + seconds
        self._board.changed(force=True)

    def failed(self, error: BaseException) -> None:
        self.last_error = describe(error)
        self.last_round = time.time()
        self._board.changed()

    def as_dict(self) -> dict:
        return {"last_beat": self.last_beat, "last_round": self.last_round, "stalled_after": self.stalled_after,
                "busy_until": self.busy_until, "last_error": self.last_error,
                "alive": self.thread is None or self.thread.is_alive()}


def describe(error: BaseException) -> str:
    text = str(error).strip()
    return f"{type(error).__name__}: {text.splitlines()[0]}" if text else type(error).__name__


def problem_of(beat: dict, now: float, liveness: bool = False) -> str | None:
    """What is wrong with a loop (a :meth:`Heartbeat.as_dict`), or None when it is fine.

    Readiness asks for a round that succeeded lately; ``liveness`` only for a round that
    ended, well or not: a loop retrying while a dependency is away would not be helped by
    a restart.
    """
    if not beat["alive"]:
        return "its thread has ended" + (f" (last error: {beat['last_error']})" if beat["last_error"] else "")
    quiet = now - beat["last_round" if liveness else "last_beat"]
    if beat["busy_until"]:  # inside a job: its time limit, not the loop's, says when it hangs
        if now <= beat["busy_until"]:
            return None
        reason = f"stalled: inside one job for {quiet:.0f} s, past its time limit"
    elif quiet <= beat["stalled_after"]:
        return None
    else:
        reason = f"stalled: no round {'ended' if liveness else 'succeeded'} for {quiet:.0f} s"
    return reason + (f" (last error: {beat['last_error']})" if beat["last_error"] else "")


class Heartbeats:
    """The loops of one process, by name; optionally mirrored to a file for ``flowdesk check``."""

    def __init__(self):
        self._loops: dict[str, Heartbeat] = {}
        self._lock = threading.Lock()
        self._file: Path | None = None
        self._written_at = float("-inf")

    def register(self, name: str, stalled_after: float, thread: threading.Thread | None = None) -> Heartbeat:
        heartbeat = Heartbeat(name, stalled_after, thread, self)
        with self._lock:
            self._loops[name] = heartbeat
        self.changed(force=True)
        return heartbeat

    def unregister(self, heartbeat: Heartbeat) -> None:
        """A loop that stopped on request: no longer reported, so stopping is not a failure."""
        with self._lock:
            if self._loops.get(heartbeat.name) is heartbeat:
                del self._loops[heartbeat.name]

    def problems(self) -> dict[str, str | None]:
        """Each loop with None when it is fine, or what is wrong with it."""
        now = time.time()
        with self._lock:
            loops = list(self._loops.values())
        return {loop.name: problem_of(loop.as_dict(), now) for loop in loops}

    def write_to(self, path: Path) -> None:
        """Mirror the beats to ``path`` from now on."""
        self._file = path
        self.changed(force=True)

    def changed(self, force: bool = False) -> None:
        if self._file is None or (not force and time.monotonic() - self._written_at < WRITE_EVERY):
            return
        with self._lock:
            self._written_at = time.monotonic()
            state = {"pid": os.getpid(), "loops": {name: loop.as_dict() for name, loop in self._loops.items()}}
            partial = self._file.with_name(f".{self._file.name}.{threading.get_ident()}")
            try:
                partial.write_text(json.dumps(state))
                os.replace(partial, self._file)  # readers never see half a file
            except OSError:
                pass  # a full or read-only disk must not stop the loop; the probe then sees old beats


def file_for(directory: str, process: str) -> Path:
    return Path(directory) / f"flowdesk-{process}.heartbeat.json"


def check_file(path: Path) -> dict[str, str | None]:
    """The loops recorded in ``path`` with what is wrong with each for a liveness probe (a missing
    file, or one naming no loop, is a problem)."""
    try:
        state = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        return {"heartbeat file": f"cannot read {path}: {describe(exc)}"}
    now = time.time()
    loops = state.get("loops") or {}
    if not loops:
        return {"heartbeat file": f"{path} names no running loop"}
    return {name: problem_of(beat, now, liveness=True) for name, beat in loops.items()}
