"""The dependencies: hashed locks in requirements/ that agree with pyproject.toml (`make lock`
writes them), a production lock without the test tools, and make targets that install from
the locks — and never while serving."""

from __future__ import annotations

import subprocess
import tomllib
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import NormalizedName, canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
RUNTIME = [Requirement(r) for r in PROJECT["dependencies"]]
DEVELOPMENT = [*RUNTIME, *(Requirement(r) for r in PROJECT["optional-dependencies"]["dev"])]
TEST_TOOLS = ["pytest", "playwright", "schemathesis", "hypothesis", "ruff", "uv"]


@dataclass(frozen=True)
class Pin:
    version: str
    marker: Marker | None
    hashes: tuple[str, ...]


def read_lock(name: str) -> dict[NormalizedName, Pin]:
    """The pins of requirements/<name>.txt, as pip reads them."""
    text = (ROOT / "requirements" / f"{name}.txt").read_text("utf-8").replace("\\\n", " ")
    pins = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        requirement, *hashes = (part.strip() for part in line.split("--hash="))
        parsed = Requirement(requirement)
        (specifier,) = parsed.specifier
        assert specifier.operator == "==", line
        pins[canonicalize_name(parsed.name)] = Pin(specifier.version, parsed.marker,
                                                   tuple(hashes))
    return pins


def required_here(requirements: list[Requirement]) -> dict[NormalizedName, list[Requirement]]:
    """Every requirement reached from `requirements` through the installed packages' own
    metadata, with their extras, for this machine's platform and Python."""
    reached: dict[NormalizedName, list[Requirement]] = {}
    pending = [(r, frozenset()) for r in requirements]
    while pending:
        requirement, extras_of_parent = pending.pop()
        environments = [{"extra": e} for e in extras_of_parent] or [{"extra": ""}]
        if requirement.marker and not any(requirement.marker.evaluate(e) for e in environments):
            continue
        name = canonicalize_name(requirement.name)
        first_time = name not in reached
        reached.setdefault(name, []).append(requirement)
        if first_time or requirement.extras:
            pending.extend((Requirement(r), frozenset(requirement.extras))
                           for r in _requires(name))
    return reached


def _requires(name: str) -> list[str]:
    try:
        return metadata.requires(name) or []
    except metadata.PackageNotFoundError:  # not installed, so not in the lock: said below
        return []


@pytest.mark.parametrize(("lock", "requirements"),
                         [("prod", RUNTIME), ("dev", DEVELOPMENT)])
def test_each_lock_pins_exactly_what_pyproject_requires_each_with_its_hashes(lock,
                                                                              requirements):
    pins = read_lock(lock)
    needed = required_here(requirements)

    unpinned = sorted(set(needed) - set(pins))
    assert not unpinned, f"required but not in requirements/{lock}.txt (run make lock)"
    refused = sorted(f"{name}=={pins[name].version} but {r}" for name, reqs in needed.items()
                     for r in reqs if not r.specifier.contains(pins[name].version,
                                                               prereleases=True))
    assert not refused, f"pins of requirements/{lock}.txt pyproject.toml refuses (make lock)"
    # Pins for other platforms or Pythons carry their marker; all others must be needed here.
    stale = sorted(name for name, pin in pins.items()
                   if (pin.marker is None or pin.marker.evaluate()) and name not in needed)
    assert not stale, f"requirements/{lock}.txt pins what nothing requires (run make lock)"
    assert all(pin.hashes and all(h.startswith("sha256:") for h in pin.hashes)
               for pin in pins.values())


def test_the_production_lock_holds_no_test_tool():
    production = read_lock("prod")
    assert [tool for tool in TEST_TOOLS if tool in production] == []
    assert all(tool in read_lock("dev") for tool in TEST_TOOLS)


def test_both_locks_install_the_same_version_of_a_package():
    production, development = read_lock("prod"), read_lock("dev")
    differ = {name: (pin.version, development[name].version)
              for name, pin in production.items() if development[name].version != pin.version}
    assert differ == {}


def make_would_run(*args: str) -> str:
    """What make would run (`-n`), as if the files named by `-W` had just changed."""
    done = subprocess.run(["make", "-n", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=60, check=True)
    return done.stdout


def test_a_changed_lock_is_installed_by_setup_with_hashes_required():
    development = make_would_run("-W", "requirements/dev.txt", "setup")
    assert "pip install --quiet --require-hashes -r requirements/dev.txt" in development
    assert "--no-build-isolation -e ." in development
    production = make_would_run("-W", "requirements/prod.txt", "setup", "DEPS=prod")
    assert "pip install --quiet --require-hashes -r requirements/prod.txt" in production
    assert " -e ." not in production and "requirements/dev.txt" not in production


@pytest.mark.parametrize("target", ["serve", "serve-api", "serve-live"])
def test_serving_never_installs_even_when_pyproject_or_the_lock_changed(target):
    commands = make_would_run("-W", "pyproject.toml", "-W", "requirements/dev.txt", target)
    assert "pip install" not in commands
