"""The house drawn as imports: which top-level package imports which, and where they go in circles.

Reads every module's source (nothing is imported or run), so imports hidden inside functions and under
``TYPE_CHECKING`` count too: they bind modules together as surely as the ones at the top.

    .venv/bin/python bench/import_graph.py            # package graph, package cycles, module cycles
    .venv/bin/python bench/import_graph.py --json     # the same figures as one JSON object
"""

from __future__ import annotations

import argparse
import ast
import json
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("liaison", "evaluation", "console", "scheduler", "bot", "flows", "nlu", "safety", "content")


@dataclass(frozen=True)
class Import:
    source: str  # importing module, dotted
    target: str  # imported module, dotted (as far as it resolves to a file of ours)
    line: int
    hidden: bool  # inside a function or under TYPE_CHECKING


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def our_modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for package in PACKAGES:
        base = ROOT / package
        if not (base / "__init__.py").exists():
            continue
        for path in sorted(base.rglob("*.py")):
            if "migrations" in path.parts:
                continue
            found[module_name(path)] = path
    return found


def _resolve(name: str, modules: dict[str, Path]) -> str | None:
    """The longest prefix of a dotted name that is one of our modules."""
    parts = name.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in modules:
            return candidate
        parts.pop()
    return None


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def imports_of(module: str, path: Path, modules: dict[str, Path]) -> list[Import]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: list[Import] = []

    def visit(node: ast.AST, hidden: bool) -> None:
        for child in ast.iter_child_nodes(node):
            child_hidden = hidden or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) or (
                isinstance(child, ast.If) and _is_type_checking(child))
            names: list[str] = []
            if isinstance(child, ast.Import):
                names = [alias.name for alias in child.names]
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    anchor = package.split(".")[: len(package.split(".")) - (child.level - 1)]
                    base = ".".join([*anchor, base] if base else anchor)
                # "from pkg import mod" imports the submodule when there is one
                names = [f"{base}.{alias.name}" for alias in child.names] or [base]
            for name in names:
                target = _resolve(name, modules)
                if target and target != module:
                    found.append(Import(module, target, child.lineno, child_hidden))
            visit(child, child_hidden)

    visit(tree, False)
    return found


def top(module: str) -> str:
    return module.split(".")[0]


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's components with more than one member: the knots, each a set that reaches itself."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    knots: list[list[str]] = []

    def connect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            members = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                members.append(w)
                if w == v:
                    break
            if len(members) > 1:
                knots.append(sorted(members))

    sys.setrecursionlimit(10_000)
    for v in sorted(graph):
        if v not in index:
            connect(v)
    return sorted(knots, key=lambda k: (-len(k), k))


def two_way_pairs(graph: dict[str, set[str]]) -> list[tuple[str, str]]:
    return sorted((a, b) for a in graph for b in graph[a] if a < b and a in graph.get(b, set()))


def room(module: str) -> str:
    """The room of a module inside its top-level package: its first sub-package or module there."""
    return ".".join(module.split(".")[:2])


def room_knots(edges: list[Import]) -> dict[str, tuple[list[list[str]], list[str]]]:
    """Per top-level package: its rooms that import each other round a circle, and the arrows (room to
    room, each counted once) inside those circles: the arrows that run back up inside the package."""
    graphs: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for imp in edges:
        a, b = room(imp.source), room(imp.target)
        if top(imp.source) == top(imp.target) and a != b and "." in a and "." in b:
            graphs[top(imp.source)][a].add(b)
    out: dict[str, tuple[list[list[str]], list[str]]] = {}
    for package, graph in sorted(graphs.items()):
        knots = strongly_connected(graph)
        member = {r: i for i, knot in enumerate(knots) for r in knot}
        arrows = sorted(f"{a} -> {b}" for a in graph for b in graph[a]
                        if a in member and member[a] == member.get(b))
        out[package] = (knots, arrows)
    return out


def measure() -> dict[str, object]:
    modules = our_modules()
    edges = [imp for module, path in modules.items() for imp in imports_of(module, path, modules)]
    package_edges: Counter[tuple[str, str]] = Counter()
    hidden_edges: Counter[tuple[str, str]] = Counter()
    for imp in edges:
        pair = (top(imp.source), top(imp.target))
        if pair[0] != pair[1]:
            package_edges[pair] += 1
            if imp.hidden:
                hidden_edges[pair] += 1
    package_graph: dict[str, set[str]] = defaultdict(set)
    for a, b in package_edges:
        package_graph[a].add(b)
    module_graph: dict[str, set[str]] = defaultdict(set)
    for imp in edges:
        module_graph[imp.source].add(imp.target)
    module_knots = strongly_connected(module_graph)
    rooms = room_knots(edges)
    return {
        "packages": sorted({top(m) for m in modules}),
        "modules": len(modules),
        "imports": len(edges),
        "hidden_imports": sum(imp.hidden for imp in edges),
        "package_edges": {f"{a} -> {b}": n for (a, b), n in sorted(package_edges.items())},
        "hidden_package_edges": {f"{a} -> {b}": n for (a, b), n in sorted(hidden_edges.items())},
        "package_cycles": strongly_connected(package_graph),
        "package_two_way_pairs": [f"{a} <-> {b}" for a, b in two_way_pairs(package_graph)],
        "module_cycles": module_knots,
        "modules_in_cycles": sum(len(k) for k in module_knots),
        "room_knots": {package: knots for package, (knots, _arrows) in rooms.items() if knots},
        "room_arrows_in_knots": {package: arrows for package, (_knots, arrows) in rooms.items() if arrows},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="one JSON object instead of the text")
    args = parser.parse_args(argv)
    figures = measure()
    if args.json:
        print(json.dumps(figures, indent=2))
        return 0
    print(f"{figures['modules']} modules, {figures['imports']} imports between them "
          f"({figures['hidden_imports']} inside functions or TYPE_CHECKING)")
    print("\npackage imports (count; hidden in brackets):")
    hidden = figures["hidden_package_edges"]
    assert isinstance(hidden, dict)
    for edge, n in figures["package_edges"].items():  # type: ignore[attr-defined]
        extra = f" [{hidden[edge]} hidden]" if edge in hidden else ""
        print(f"  {edge:28} {n:3}{extra}")
    cycles = figures["package_cycles"]
    print(f"\npackage cycles: {len(cycles)}")  # type: ignore[arg-type]
    for knot in cycles:  # type: ignore[attr-defined]
        print("  " + " <-> ".join(knot))
    for pair in figures["package_two_way_pairs"]:  # type: ignore[attr-defined]
        print(f"  two-way: {pair}")
    arrows = figures["room_arrows_in_knots"]
    assert isinstance(arrows, dict)
    print(f"\narrows back up inside a package (room to room, round a circle): {sum(map(len, arrows.values()))}")
    for package, inside in arrows.items():
        print(f"  {package}: {len(inside)}")
        for arrow in inside:
            print(f"    {arrow}")
    knots = figures["module_cycles"]
    print(f"\nmodule cycles: {len(knots)} ({figures['modules_in_cycles']} modules)")  # type: ignore[arg-type]
    for knot in knots:  # type: ignore[attr-defined]
        print(f"  {len(knot)}: " + ", ".join(knot))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
