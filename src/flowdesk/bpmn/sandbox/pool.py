"""The pool of sandbox child processes every evaluation of modeler code runs in.

The server, RQ workers and the scheduler all evaluate through :func:`evaluate` / :func:`execute`:
the task data goes to an idle child as JSON, the child runs the restricted evaluator under its OS
limits and sends back the new data, the value, or the error. A child that does not answer within
the wall-clock limit is killed and replaced, and the caller gets a :class:`ScriptTimeout`; one that
dies (address space or CPU limit) gives a :class:`ScriptMemoryExceeded`. Either way the caller's
process only waited on a pipe: other requests keep being answered.

A child serves one tenant at a time: an idle child of the same tenant is preferred, then a fresh
one; taking one from another tenant makes it forget everything first (see ``child._Child.forget``).
Settings (``FLOWDESK_SANDBOX_*``) are read from :mod:`flowdesk.config` when the pool first starts.
"""

from __future__ import annotations

import json
import logging
import os
import select
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from typing import Callable

from . import limits, wire
from .limits import SandboxLimitExceeded, ScriptMemoryExceeded, ScriptTimeout

log = logging.getLogger(__name__)

# Imports the sandbox package without flowdesk.bpmn's __init__ (and so without SpiffWorkflow):
# a child starts in a fifth of the time and holds nothing it does not need.
_BOOTSTRAP = (
    "import os, sys, types, flowdesk\n"
    "package = types.ModuleType('flowdesk.bpmn')\n"
    "package.__path__ = [os.path.join(flowdesk.__path__[0], 'bpmn')]\n"
    "sys.modules['flowdesk.bpmn'] = package\n"
    "from flowdesk.bpmn.sandbox import child\n"
    "child.main()\n"
)
_ENVIRONMENT = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "PYTHONHASHSEED": "random"}
_START_SECONDS = 30.0


@dataclass(frozen=True)
class PoolSettings:
    processes: int = 2            # 0: evaluate in the calling process (no isolation beyond the evaluator)
    memory_bytes: int = 512 * 1024 ** 2
    cpu_seconds: int = 60         # a child's lifetime CPU; it is replaced when half is used
    wall_seconds: float = 5.0     # one evaluation; waiting for a free child is bounded by it too


class _Child:
    def __init__(self, settings: PoolSettings):
        self.workdir = tempfile.mkdtemp(prefix="flowdesk-sandbox-")
        rlimits = {"memory_bytes": settings.memory_bytes, "cpu_seconds": settings.cpu_seconds}
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and bootstrap
            [sys.executable, "-I", "-B", "-c", _BOOTSTRAP, json.dumps(rlimits)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            env=_ENVIRONMENT, cwd=self.workdir, close_fds=True, start_new_session=True)
        self.buffer = b""
        self.tenant: str | None = None
        self.cpu = 0.0
        try:
            hello = json.loads(self.read_line(time.monotonic() + _START_SECONDS, 4096))
        except BaseException:
            self.stop()
            raise
        self.network_problem: str | None = hello.get("network")
        self.seccomp_problem: str | None = hello.get("seccomp")

    def read_line(self, deadline: float, max_bytes: int) -> bytes:
        stdout = self.process.stdout.fileno()
        while b"\n" not in self.buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            ready, _, _ = select.select([stdout], [], [], remaining)
            if not ready:
                raise TimeoutError
            chunk = os.read(stdout, 1 << 16)
            if not chunk:
                raise EOFError
            self.buffer += chunk
            if len(self.buffer) > max_bytes:
                raise EOFError
        line, _, self.buffer = self.buffer.partition(b"\n")
        return line

    def ask(self, request: bytes, deadline: float, max_bytes: int) -> dict:
        self.process.stdin.write(request)
        self.process.stdin.flush()
        return json.loads(self.read_line(deadline, max_bytes))

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        for stream in (self.process.stdin, self.process.stdout):
            try:
                stream.close()
            except OSError:
                pass
        self.process.wait()
        shutil.rmtree(self.workdir, ignore_errors=True)


# Busy children past ``processes`` may be started (and are stopped when idle again), so one
# tenant's bombs occupying every child do not make other tenants' evaluations wait and fail.
_BURST = 4


class Pool:
    """``settings.processes`` children kept; up to four times as many while all are busy, then callers wait."""

    def __init__(self, settings: PoolSettings):
        self.settings = settings
        self.idle: list[_Child] = []
        self.count = 0
        self.condition = threading.Condition()
        self.pid = os.getpid()
        self.network_problem: str | None = None
        self.seccomp_problem: str | None = None

    def _take(self, tenant: str | None, deadline: float) -> _Child | None:
        """An idle child (same tenant first, then a fresh one), or None: the caller starts one."""
        with self.condition:
            while True:
                for wanted in (tenant, None):
                    for child in self.idle:
                        if child.tenant == wanted:
                            self.idle.remove(child)
                            return child
                if self.idle:
                    return self.idle.pop(0)  # another tenant's: it forgets everything first
                if self.count < self.settings.processes * _BURST:
                    self.count += 1
                    return None
                if not self.condition.wait(timeout=max(0.0, deadline - time.monotonic())):
                    raise ScriptTimeout(f"waited more than {self.settings.wall_seconds:g} s for a free sandbox process")

    def _give_back(self, child: _Child | None) -> None:
        surplus = None
        with self.condition:
            if child is None:
                self.count -= 1
            elif len(self.idle) >= self.settings.processes:
                surplus, self.count = child, self.count - 1
            else:
                self.idle.append(child)
            self.condition.notify()
        if surplus is not None:
            surplus.stop()

    def _start(self) -> _Child:
        child = _Child(self.settings)
        if (child.network_problem, child.seccomp_problem) != (self.network_problem, self.seccomp_problem):
            self.network_problem, self.seccomp_problem = child.network_problem, child.seccomp_problem
            if child.network_problem and child.seccomp_problem:
                log.warning("sandbox processes keep network access: %s; %s", child.network_problem,
                            child.seccomp_problem)
            elif child.network_problem or child.seccomp_problem:
                log.info("sandbox processes: %s", child.network_problem or child.seccomp_problem)
        return child

    def warm(self) -> None:
        """Start one child now if none runs yet (at start-up: problems show at once, not at the first script)."""
        with self.condition:
            if self.count:
                return
            self.count += 1
        try:
            child = self._start()
        except BaseException:
            self._give_back(None)
            raise
        self._give_back(child)

    def run(self, request: dict, tenant: str | None) -> dict:
        encoded = json.dumps({**request, "tenant": tenant}, default=_refuse).encode() + b"\n"
        child = self._take(tenant, time.monotonic() + self.settings.wall_seconds)
        if child is None:
            try:
                child = self._start()
            except Exception as exc:
                self._give_back(None)
                raise SandboxLimitExceeded(f"no sandbox process could start ({type(exc).__name__}: {exc})") from None
        try:
            child.tenant = tenant
            deadline = time.monotonic() + self.settings.wall_seconds
            reply = child.ask(encoded, deadline, 4 * limits.LIMITS.max_data_bytes + 65536)
        except TimeoutError:
            self._discard(child)
            raise ScriptTimeout(f"ran for more than {self.settings.wall_seconds:g} s; "
                                "its sandbox process was stopped") from None
        except (EOFError, BrokenPipeError, ValueError, OSError):
            self._discard(child)
            raise ScriptMemoryExceeded("its sandbox process ended while running it (memory, CPU or output "
                                       "beyond the sandbox's limits)") from None
        except BaseException:
            self._discard(child)
            raise
        child.cpu = reply.get("cpu", 0.0)
        if child.cpu > self.settings.cpu_seconds / 2:
            self._discard(child)
        else:
            self._give_back(child)
        return reply

    def _discard(self, child: _Child) -> None:
        child.stop()
        self._give_back(None)

    def close(self) -> None:
        with self.condition:
            children, self.idle = self.idle, []
        for child in children:
            child.stop()


def _refuse(value):
    raise TypeError(f"a {type(value).__name__} cannot be sent to a sandbox process")


_lock = threading.Lock()
_pool: Pool | None = None
_settings: PoolSettings | None = None
_tenant_of: Callable[[], str | None] = lambda: None  # noqa: E731 - replaced by the engine


def configure(settings: PoolSettings | None) -> None:
    """Use ``settings`` from now on (None: read them from the environment again); stops the current pool."""
    global _pool, _settings
    with _lock:
        old, _pool, _settings = _pool, None, settings
    if old is not None:
        old.close()


def set_tenant_source(tenant_of: Callable[[], str | None]) -> None:
    """Where the pool learns which tenant an evaluation is for (the engine's current tenant)."""
    global _tenant_of
    _tenant_of = tenant_of


def _settings_from_environment() -> PoolSettings:
    from flowdesk.config import Settings

    settings = Settings.from_env()
    return PoolSettings(processes=settings.sandbox_processes, memory_bytes=settings.sandbox_memory_mb * 1024 ** 2,
                        cpu_seconds=settings.sandbox_cpu_seconds, wall_seconds=settings.sandbox_wall_seconds)


def current() -> Pool | None:
    """The pool of this process (started on first use), or None when evaluations run in-process."""
    global _pool, _settings
    with _lock:
        if _pool is not None and _pool.pid != os.getpid():
            _pool = None  # forked (an RQ work horse): the parent's children are not ours to talk to
        if _pool is None:
            if _settings is None:
                _settings = _settings_from_environment()
            if _settings.processes <= 0:
                return None
            _pool = Pool(_settings)
        return _pool


def status() -> str:
    """One line for /ready: how modeler code is contained here."""
    pool = current()
    if pool is None:
        return "in-process: scripts run in the server's own process (FLOWDESK_SANDBOX_PROCESSES=0)"
    try:
        pool.warm()
    except Exception as exc:  # noqa: BLE001 - reported, not raised
            return f"sandbox processes cannot start: {type(exc).__name__}: {exc}"
    kept = f"{pool.settings.processes} sandbox processes"
    if pool.network_problem and pool.seccomp_problem:
        return f"{kept}; no network isolation ({pool.network_problem}; {pool.seccomp_problem})"
    how = [what for what, problem in (("network namespace", pool.network_problem),
                                      ("seccomp: no sockets, exec or fork", pool.seccomp_problem)) if not problem]
    return f"{kept}, no network ({', '.join(how)})"


def evaluate(expression: str, context: dict, external_context: dict | None = None):
    """Evaluate ``expression`` in a child; ``context`` takes any change it made to the task data."""
    reply = _ask("eval", expression, context, external_context)
    if "data" in reply:
        _replace(context, reply["data"])
    return wire.decode_value(reply.get("result"))


def execute(script: str, context: dict, external_context: dict | None = None) -> None:
    """Run ``script`` in a child; ``context`` becomes the task data it left."""
    reply = _ask("exec", script, context, external_context)
    _replace(context, reply["data"])


def _ask(op: str, source: str, context: dict, external_context: dict | None) -> dict:
    pool = current()
    request = {"op": op, "source": source, "data": context, "external": external_context or None,
               "limits": asdict(limits.LIMITS)}
    reply = pool.run(request, _tenant_of())
    if "error" in reply:
        raise wire.rebuild_error(reply["error"])
    return reply


def _replace(target: dict, source: dict) -> None:
    for name in [name for name in target if name not in source]:
        del target[name]
    target.update(source)
