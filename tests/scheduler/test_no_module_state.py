"""The scheduler keeps its state on the objects the service owns (WaveRunner, WaveJobs, WavePlanner), never in
a module: two services in one process (tests, benchmarks) then never share or take each other's ticks and
plans, and what a service held goes with it. The one module cache allowed is of a read-only file."""

from __future__ import annotations

import ast
from pathlib import Path

SCHEDULER = Path(__file__).resolve().parents[2] / "scheduler"
CONTAINERS = (ast.Dict, ast.List, ast.Set, ast.DictComp, ast.ListComp, ast.SetComp)
CONTAINER_CALLS = {"dict", "list", "set", "defaultdict", "OrderedDict", "deque", "Counter"}
CACHES_OF_READ_ONLY_FILES = {"scheduler/waves.py:default_wave_config"}  # content/waves.yaml


def module_state(path: Path) -> list[str]:
    found = []
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        value = node.value if isinstance(node, ast.Assign | ast.AnnAssign) else None
        if isinstance(value, CONTAINERS) or (isinstance(value, ast.Call) and isinstance(value.func, ast.Name)
                                             and value.func.id in CONTAINER_CALLS):
            found.append(f"{path.name}:{node.lineno}")
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and any(
                "cache" in ast.unparse(d) for d in node.decorator_list):
            name = f"scheduler/{path.name}:{node.name}"
            if name not in CACHES_OF_READ_ONLY_FILES:
                found.append(name)
    return found


def test_no_scheduler_module_holds_mutable_state() -> None:
    assert [hit for path in sorted(SCHEDULER.glob("*.py")) for hit in module_state(path)] == []


def test_the_scan_sees_a_module_registry_and_a_memo(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("_LIVE: dict[str, int] = {}\n@lru_cache(maxsize=9)\ndef f(x):\n    return x\n", encoding="utf-8")
    assert module_state(sample) == ["sample.py:1", "scheduler/sample.py:f"]
