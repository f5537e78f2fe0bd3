"""requirements.lock, which the image installs from, pins what setup.cfg allows, with hashes."""

import configparser
import re
from pathlib import Path

import pytest
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]
PIN = re.compile(r"^([A-Za-z0-9_.-]+)==([^ ;\\]+)\s*(?:;\s*([^\\]+?))?\s*\\?$")


def _install_requires() -> list[Requirement]:
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    return [Requirement(line) for line in config["options"]["install_requires"].splitlines() if line.strip()]


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pins() -> dict[str, str]:
    """Package -> version pinned for the image's Python (3.11 on Linux)."""
    pins = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        match = PIN.match(line)
        if match:
            name, version, marker = match.groups()
            if not marker or Requirement(f"x; {marker}").marker.evaluate(
                    {"python_full_version": "3.11.9", "python_version": "3.11", "sys_platform": "linux",
                     "platform_python_implementation": "CPython", "implementation_name": "cpython"}):
                pins[_normal(name)] = version
    return pins


@pytest.mark.parametrize("requirement", _install_requires(), ids=str)
def test_every_requirement_has_an_upper_bound(requirement):
    assert any(spec.operator in ("<", "==", "~=") for spec in requirement.specifier), \
        f"{requirement}: bound it below the next major version than the one tested"


@pytest.mark.parametrize("requirement", _install_requires(), ids=str)
def test_the_lock_pins_every_requirement_within_its_bounds(requirement):
    pinned = _pins().get(_normal(requirement.name))
    assert pinned, f"{requirement.name} is missing from requirements.lock: regenerate it (its header says how)"
    assert requirement.specifier.contains(pinned, prereleases=True), f"{requirement.name}=={pinned} vs {requirement}"


def test_every_pin_carries_its_hashes():
    text = (ROOT / "requirements.lock").read_text()
    for block in re.split(r"\n(?=[A-Za-z0-9])", text.split("\n", 2)[2]):
        assert "--hash=sha256:" in block, block.splitlines()[0]
