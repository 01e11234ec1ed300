"""The lock files (`make lock`, deploy/lock.py) still say what pyproject.toml asks for, so `make` and the image
install, hash-checked, the versions the project declares. When one fails: run `make lock` and commit both."""

from __future__ import annotations

import importlib.util
import re
import tomllib
from pathlib import Path
from types import ModuleType

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
TRIPWIRE = "tests/channels/test_telegram_lean_import.py"


def _lock_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("deploy_lock", ROOT / "deploy" / "lock.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


lock = _lock_module()
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
RUNTIME = [Requirement(r) for r in PYPROJECT["project"]["dependencies"] + PYPROJECT["build-system"]["requires"]]
DEV = [Requirement(r) for r in PYPROJECT["project"]["optional-dependencies"]["dev"]]


def _pins(path: Path) -> dict[str, Version]:
    return {canonicalize_name(name): Version(version) for name, version in lock.pins(path).items()}


@pytest.mark.parametrize("path", [lock.RUNTIME_LOCK, lock.DEV_LOCK], ids=lambda p: p.name)
def test_the_lock_was_made_from_the_dependencies_pyproject_declares_now(path: Path) -> None:
    assert lock.recorded_digest(path) == lock.dependency_digest(), f"{path.name} is stale: run `make lock`"


@pytest.mark.parametrize(("path", "requirements"), [(lock.RUNTIME_LOCK, RUNTIME), (lock.DEV_LOCK, RUNTIME + DEV)],
                         ids=["requirements.lock", "requirements-dev.lock"])
def test_every_dependency_is_locked_at_a_version_pyproject_allows(path: Path,
                                                                   requirements: list[Requirement]) -> None:
    pins = _pins(path)
    for req in requirements:
        if req.marker is not None and not req.marker.evaluate({"extra": "dev"}):
            continue
        name = canonicalize_name(req.name)
        assert name in pins, f"{req.name} is not in {path.name}: run `make lock`"
        assert req.specifier.contains(pins[name], prereleases=True), f"{name}=={pins[name]} is outside {req}"


def test_the_tests_run_on_the_versions_the_image_runs() -> None:
    runtime, dev = _pins(lock.RUNTIME_LOCK), _pins(lock.DEV_LOCK)
    assert {name: dev.get(name) for name in runtime} == runtime


@pytest.mark.parametrize("path", [lock.RUNTIME_LOCK, lock.DEV_LOCK], ids=lambda p: p.name)
def test_every_locked_package_is_checked_against_a_hash(path: Path) -> None:
    blocks = re.split(r"\n(?=[A-Za-z0-9])", path.read_text(encoding="utf-8"))
    pinned = [b for b in blocks if "==" in b.split("\n", 1)[0] and not b.startswith("#")]
    assert len(pinned) == len(lock.pins(path)) > 20
    assert [b.split("==")[0] for b in pinned if "--hash=sha256:" not in b] == []


@pytest.mark.parametrize("package", ["aiogram", "pydantic"])
def test_aiogram_and_pydantic_are_held_to_one_minor_version_named_beside_the_tripwire(package: str) -> None:
    """lean_aiogram.py answers aiogram's rebuild loop during import: a new minor of either may change it."""
    (req,) = [r for r in RUNTIME if canonicalize_name(r.name) == package]
    floor = min(Version(s.version) for s in req.specifier if s.operator == ">=")
    assert req.specifier.contains(floor) and not req.specifier.contains(Version(f"{floor.major}.{floor.minor + 1}"))
    lines = (ROOT / "pyproject.toml").read_text(encoding="utf-8").splitlines()
    (at,) = [i for i, line in enumerate(lines) if line.strip().startswith(f'"{package}>')]
    beside = "\n".join(lines[max(0, at - 3):at + 1])
    assert TRIPWIRE in beside and (ROOT / TRIPWIRE).exists()

