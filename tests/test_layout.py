"""The layout a newcomer relies on: no import cycles, small modules, one room per pass, and passes
that share code only through `vaultkit_plugins.text`."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from vaultkit.passes import ENTRY_POINT_GROUP

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = {"vaultkit": ROOT / "vaultkit", "vaultkit_plugins": ROOT / "plugins"}
PASSES = ("citations", "claims", "duplicates", "stats", "summaries", "support")
MAX_LINES = 400


def _modules() -> dict[str, Path]:
    """Every module of the two packages by its import name (plugins/ installs as vaultkit_plugins)."""
    out = {}
    for top, folder in PACKAGES.items():
        for path in sorted(folder.rglob("*.py")):
            parts = [top, *path.relative_to(folder).with_suffix("").parts]
            if parts[-1] == "__init__":
                parts.pop()
            out[".".join(parts)] = path
    return out


MODULES = _modules()


def imports(name: str, path: Path) -> set[str]:
    """The modules of ours that `name` imports anywhere: at the top, in functions, under TYPE_CHECKING."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                found.add(sub if sub in MODULES else base)
    return {m for m in found if m in MODULES and m != name}


GRAPH = {name: imports(name, path) for name, path in MODULES.items()}


def cycle(graph: dict[str, set[str]]) -> list[str]:
    """One import cycle in `graph` (as the modules along it), or [] when there is none."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        state[node] = 2
        path.pop()
        return []

    for start in sorted(graph):
        if start not in state and (found := visit(start)):
            return found
    return []


def test_the_cycle_finder_finds_cycles() -> None:
    assert cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) == []


def test_relative_imports_resolve_to_our_modules() -> None:
    """The graph sees what the code imports: a pass's private modules and the shared package."""
    assert "vaultkit_plugins.duplicates._minhash" in GRAPH["vaultkit_plugins.duplicates.plugin"]
    assert "vaultkit_plugins.text.references" in GRAPH["vaultkit_plugins.text.sentences"]
    assert "vaultkit_plugins.citations._online" in GRAPH["vaultkit_plugins.citations.plugin"]  # (inside a function)
    assert "vaultkit.pipeline.runner" in GRAPH["vaultkit.pipeline.parallel"]  # (under TYPE_CHECKING)


def test_no_import_cycles() -> None:
    assert cycle(GRAPH) == []


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_module_is_over_400_lines(name: str) -> None:
    lines = MODULES[name].read_text(encoding="utf-8").count("\n")
    assert lines <= MAX_LINES, f"{MODULES[name].relative_to(ROOT)} has {lines} lines: split it by job"


def _pass_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if parts[0] == "vaultkit_plugins" and len(parts) > 1 and parts[1] in PASSES else None


def test_no_pass_imports_another_pass() -> None:
    """A pass may import the core, its own modules and the shared `text` package: nothing else."""
    crossing = [(m, dep) for m, deps in GRAPH.items() for dep in deps
                if _pass_of(m) and _pass_of(dep) and _pass_of(dep) != _pass_of(m)]
    assert crossing == []


def test_the_shared_package_and_the_core_import_no_pass() -> None:
    for m, deps in GRAPH.items():
        if m.startswith("vaultkit_plugins.text") or m.split(".")[0] == "vaultkit":
            assert not any(_pass_of(d) for d in deps), (m, sorted(d for d in deps if _pass_of(d)))
        if m.split(".")[0] == "vaultkit":  # the core runs whatever passes are installed, ours or not
            assert not any(d.startswith("vaultkit_plugins") for d in deps), m


def test_each_pass_is_a_package_named_by_its_entry_point() -> None:
    """mdformat's convention: the entry-point name is the pass id, and the room it lives in."""
    from importlib.metadata import entry_points

    ours = {ep.name: ep.value for ep in entry_points(group=ENTRY_POINT_GROUP) if ep.value.startswith("vaultkit_plugins.")}
    assert sorted(ours) == sorted(PASSES)
    for name, value in ours.items():
        module = value.partition(":")[0]
        assert module == f"vaultkit_plugins.{name}"
        assert module in MODULES
        if name != "stats":  # (one module is enough for the smoke-test pass)
            assert MODULES[module].name == "__init__.py" and f"{module}.plugin" in MODULES
