"""Write the lock files from pyproject.toml: every package pinned, with its hashes, for Linux x86_64 and
Python 3.11 (the image and CI). `make lock` runs this; run it again after any change to the dependencies.

- requirements.lock: what the service runs on (deploy/Dockerfile installs it, nothing more).
- requirements-dev.lock: the same pins plus the tests' and linters' tools (`make` installs it).

Both include setuptools (pyproject's build requirement), so the project itself installs with
`pip install --no-deps --no-build-isolation -e .` and nothing is fetched unchecked. Each lock records a
digest of the dependency tables it was made from; tests/test_lock.py fails when pyproject.toml moved on.
Needs uv (`make lock` installs it into .venv: a tool for making the lock, not a dependency).
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = ROOT / "pyproject.toml"
RUNTIME_LOCK = ROOT / "requirements.lock"
DEV_LOCK = ROOT / "requirements-dev.lock"
PYTHON_VERSION = "3.11"
PLATFORM = "x86_64-unknown-linux-gnu"
DIGEST_PREFIX = "# pyproject-dependencies-sha256: "


def dependency_tables(pyproject: Path = PYPROJECT) -> dict[str, Any]:
    """The parts of pyproject.toml a lock depends on (not the tools' settings)."""
    data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    project = data["project"]
    return {"requires-python": project.get("requires-python"), "dependencies": project.get("dependencies", []),
            "optional-dependencies": project.get("optional-dependencies", {}),
            "build-system": data.get("build-system", {}).get("requires", [])}


def dependency_digest(pyproject: Path = PYPROJECT) -> str:
    canonical = json.dumps(dependency_tables(pyproject), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def recorded_digest(lock: Path) -> str | None:
    for line in lock.read_text(encoding="utf-8").splitlines():
        if line.startswith(DIGEST_PREFIX):
            return line.removeprefix(DIGEST_PREFIX).strip()
    return None


def pins(lock: Path) -> dict[str, str]:
    """{name as written: version} of every `name==version` line."""
    found = {}
    for line in lock.read_text(encoding="utf-8").splitlines():
        if line and not line[0].isspace() and not line.startswith("#") and "==" in line:
            name, _, rest = line.partition("==")
            found[name.strip()] = rest.split()[0].rstrip("\\").strip()
    return found


def _compile(uv: str, output: Path, inputs: list[Path], extras: list[str], constraints: list[Path]) -> None:
    command = [uv, "pip", "compile", *map(str, inputs), "--generate-hashes", "--python-version", PYTHON_VERSION,
               "--python-platform", PLATFORM, "--custom-compile-command", "make lock", "--output-file", str(output),
               "--quiet"]
    for extra in extras:
        command += ["--extra", extra]
    for constraint in constraints:
        command += ["--constraints", str(constraint)]
    subprocess.run(command, cwd=ROOT, check=True)
    body = output.read_text(encoding="utf-8")
    output.write_text(f"{DIGEST_PREFIX}{dependency_digest()}\n{body}", encoding="utf-8")


def main() -> None:
    uv = sys.argv[1] if len(sys.argv) > 1 else "uv"
    with tempfile.TemporaryDirectory() as tmp:
        build = Path(tmp) / "build-requirements.in"  # pyproject's [build-system] requires, pinned too
        build.write_text("\n".join(dependency_tables()["build-system"]) + "\n", encoding="utf-8")
        _compile(uv, RUNTIME_LOCK, [PYPROJECT, build], [], [])
        # the same versions as the runtime lock, so the tests run on what the image runs
        _compile(uv, DEV_LOCK, [PYPROJECT, build], ["dev"], [RUNTIME_LOCK])


if __name__ == "__main__":
    main()
