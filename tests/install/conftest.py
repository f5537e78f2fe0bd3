"""Fixtures for installing flowdesk the way users do: a built wheel in a venv of its own.

Building isolated from the source tree is the point; downloading every dependency again is not.
The venv sees the running interpreter's site-packages through a ``.pth`` path entry (listed
after its own site-packages, and ``.pth`` files there are not run, so the editable install of
this checkout stays invisible). pip still checks that the wheel's requirements are satisfied.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
ADMIN_KEY = "fd_install_test_admin_key"


def _run(*args, **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(args, capture_output=True, text=True, timeout=300, **kwargs)
    assert result.returncode == 0, f"{' '.join(map(str, args))} failed:\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="session")
def wheel(tmp_path_factory) -> Path:
    """flowdesk built as a wheel from this checkout, as `pip wheel` (and a release) builds it."""
    # Built from a copy: setuptools leaves build/ behind, whose stale files would leak into later wheels.
    source = tmp_path_factory.mktemp("source") / "flowdesk"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".git", ".venv", "build", "*.egg-info", "__pycache__", "node_modules", "tests", "bench"))
    out = tmp_path_factory.mktemp("wheel")
    _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", str(out), str(source))
    [built] = out.glob("flowdesk-*.whl")
    return built


@pytest.fixture(scope="session")
def installed(wheel, tmp_path_factory) -> Path:
    """The bin directory of a fresh venv with the wheel installed (not this checkout's sources)."""
    env_dir = tmp_path_factory.mktemp("venv")
    venv.create(env_dir, with_pip=False)
    [site] = env_dir.glob("lib/python*/site-packages")
    (site / "running_venv_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    python = env_dir / "bin" / "python"
    _run(sys.executable, "-m", "pip", "--python", str(python), "install", "--no-index", "--quiet", str(wheel))
    where = _run(str(python), "-c", "import flowdesk; print(flowdesk.__file__)").stdout.strip()
    assert where.startswith(str(env_dir)), f"flowdesk imported from {where}, not from the installed wheel"
    return env_dir / "bin"


@pytest.fixture
def user_env(tmp_path) -> dict:
    """The environment of a user who set nothing but the admin key, in an empty directory."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLOWDESK_", "PYTHON", "VIRTUAL_ENV"))}
    env["FLOWDESK_ADMIN_KEY"] = ADMIN_KEY
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def served(installed, user_env, tmp_path, flowdesk_serve):
    """`flowdesk serve` of the installed wheel on a free port; yields a client of it acting as admin."""
    with (tmp_path / "serve.log").open("w") as log:
        base = f"http://127.0.0.1:{flowdesk_serve(str(installed / 'flowdesk'), tmp_path, user_env, log)}"
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {ADMIN_KEY}"}, timeout=30) as client:
            yield client
