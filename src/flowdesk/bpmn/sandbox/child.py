"""A sandbox child process: reads one JSON request a line from stdin, answers one JSON line on stdout.

Started by :mod:`.pool` as a fresh interpreter (``python -I``) with an empty environment, no
inherited file descriptors and an empty working directory. Before reading any request it lowers
its own OS limits (address space, CPU seconds, open files, file size 0, no core files), moves into
new user and network namespaces where the kernel allows (no network at all), and installs a
seccomp filter refusing sockets, exec and fork where libseccomp is available. The
restricted evaluator (:mod:`.running`) still runs every request: the process is the second layer.

Requests: ``{"op": "eval" | "exec", "source": ..., "data": {...}, "external": {...}, "limits": {...}}``.
Answers: ``{"result": ..., "data": ..., "cpu": seconds}`` or ``{"error": {...}, "cpu": seconds}``.
"""

from __future__ import annotations

import ctypes
import errno
import json
import os
import resource
import sys
import time
from dataclasses import asdict

from . import limits, running, wire
from .namespace import _BUILTINS
from .policy import _compile

try:  # a ctypes binding of libseccomp; absent or without libseccomp, the namespaces must do
    import pyseccomp
except (ImportError, OSError, RuntimeError) as exc:  # noqa: BLE001 - reported at start-up, not raised
    pyseccomp = None
    _SECCOMP_MISSING = f"pyseccomp/libseccomp unavailable: {exc}"

_CLONE_NEWUSER = 0x10000000
_CLONE_NEWNET = 0x40000000
_CLONE_THREAD = 0x00010000
# Refused with EPERM: no sockets of any kind, no new programs, no new processes.
_REFUSED_SYSCALLS = ("socket", "socketpair", "connect", "bind", "listen", "accept", "accept4", "sendto",
                     "sendmsg", "execve", "execveat", "fork", "vfork", "ptrace")


def _limit_resources(settings: dict) -> None:
    """Lower this process's limits; the hard limits go down too, so nothing run here can raise them."""
    cpu = int(settings["cpu_seconds"])
    for which, value in ((resource.RLIMIT_AS, int(settings["memory_bytes"])), (resource.RLIMIT_CPU, (cpu, cpu + 5)),
                         (resource.RLIMIT_NOFILE, 16), (resource.RLIMIT_FSIZE, 0), (resource.RLIMIT_CORE, 0)):
        soft, hard = value if isinstance(value, tuple) else (value, value)
        resource.setrlimit(which, (soft, hard))


def _isolate_network() -> str | None:
    """Enter new user and network namespaces (only a down loopback inside); None if done, else why not."""
    unshare = getattr(os, "unshare", None)  # Python 3.12+
    try:
        if unshare is not None:
            unshare(os.CLONE_NEWUSER | os.CLONE_NEWNET)
            return None
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.unshare(_CLONE_NEWUSER | _CLONE_NEWNET) != 0:
            return f"unshare(CLONE_NEWUSER|CLONE_NEWNET) failed: {os.strerror(ctypes.get_errno())}"
        return None
    except (OSError, AttributeError) as exc:
        return f"unshare(CLONE_NEWUSER|CLONE_NEWNET) failed: {exc}"


def _refuse_syscalls() -> str | None:
    """Install a seccomp filter refusing network, exec and fork system calls; None if done, else why not."""
    if pyseccomp is None:
        return _SECCOMP_MISSING
    try:
        syscalls = pyseccomp.SyscallFilter(defaction=pyseccomp.ALLOW)
        for name in _REFUSED_SYSCALLS:
            syscalls.add_rule(pyseccomp.ERRNO(errno.EPERM), name)
        # fork() is clone() without CLONE_THREAD; clone3 hides its flags, so it answers ENOSYS and
        # the C library falls back to clone() (threads still start).
        syscalls.add_rule(pyseccomp.ERRNO(errno.EPERM), "clone", pyseccomp.Arg(0, pyseccomp.MASKED_EQ, _CLONE_THREAD, 0))
        syscalls.add_rule(pyseccomp.ERRNO(errno.ENOSYS), "clone3")
        syscalls.load()
        return None
    except Exception as exc:  # noqa: BLE001 - any failure is reported, the other limits stay
        return f"seccomp filter not installed: {type(exc).__name__}: {exc}"


def _script_line(exc: BaseException) -> int | None:
    line, tb = None, exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<string>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


class _Child:
    def __init__(self):
        self.tenant = None
        self.limits = limits.LIMITS

    def answer(self, request: dict) -> dict:
        if request.get("tenant") != self.tenant:
            self.forget(request.get("tenant"))
        wanted = request.get("limits")
        if wanted and wanted != asdict(self.limits):
            limits.configure(**wanted)
            self.limits = limits.LIMITS
        data, external = request.get("data") or {}, request.get("external")
        try:
            if request["op"] == "eval":
                result, changed = running.evaluate(request["source"], data, external)
                reply = {"result": wire.encode_value(result)}
                if changed:
                    reply["data"] = data
            else:
                running.execute(request["source"], data, external)
                reply = {"data": data}
        except Exception as exc:  # noqa: BLE001 - everything a script raises goes back as its error
            reply = {"error": wire.describe_error(exc, _script_line(exc))}
        except BaseException as exc:  # noqa: BLE001 - SystemExit and friends from a script, too
            reply = {"error": {"type": "ScriptError", "message": f"{type(exc).__name__}: {exc}",
                               "line": _script_line(exc)}}
        reply["cpu"] = time.process_time()
        return reply

    def forget(self, tenant) -> None:
        """Serve ``tenant`` from now on, keeping nothing of the one before (compiled code included)."""
        _compile.cache_clear()
        self.tenant = tenant


def main() -> None:
    settings = json.loads(sys.argv[1])
    builtins_before = dict(_BUILTINS)
    network = _isolate_network()
    _limit_resources(settings)
    seccomp = _refuse_syscalls()
    out = sys.stdout.buffer
    out.write(json.dumps({"ready": True, "network": network, "seccomp": seccomp}).encode() + b"\n")
    out.flush()
    child = _Child()
    for line in sys.stdin.buffer:
        try:
            request = json.loads(line)
        except ValueError:
            return
        reply = child.answer(request)
        if _BUILTINS != builtins_before:  # pragma: no cover - only an escape could change them
            return
        try:
            encoded = json.dumps(reply, allow_nan=False).encode()
        except (TypeError, ValueError) as exc:
            encoded = json.dumps({"error": {"type": "TaskDataNotJson", "message": str(exc), "line": None},
                                  "cpu": time.process_time()}).encode()
        out.write(encoded + b"\n")
        out.flush()
