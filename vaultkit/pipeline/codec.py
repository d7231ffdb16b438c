"""Pass results to JSON and back, for the cache and the stat cache, and findings as `--json` shows them."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any, Callable, Mapping

from vaultkit.note import Note
from vaultkit.passes import Display, Finding, PassResult


def same_line(line: int) -> int:
    """Lines that need no mapping (a note `clean` writes back as `note.lines`)."""
    return line


def finding_json(f: Finding, to_file: Callable[[int], int] = same_line,
                 dismissed: Mapping[str, frozenset[str]] | None = None) -> dict[str, Any]:
    """A finding as the --json contract shows it, its note lines mapped to file lines by `to_file`;
    `id` names it across runs (`pass:key`), `dismissed` says whether a person ticked it off."""
    key = f.key
    return {"pass": f.pass_name, "kind": f.kind, "severity": f.severity, "line": to_file(f.line),
            "end_line": to_file(f.end_line), "message": f.message, "data": dict(f.data),
            "id": f"{f.pass_name}:{key}", "dismissed": key in (dismissed or {}).get(f.pass_name, ())}


def targets_json(note: Note, to_file: Callable[[int], int]) -> list[dict[str, Any]]:
    """The note's targets as the --json contract shows them, in file lines."""
    return [{"kind": t.kind, "type": t.type, "line": to_file(t.line), "end_line": to_file(t.end_line)}
            for t in note.targets]


def result_to_json(result: PassResult) -> dict[str, Any]:
    """A pass result as the cache keeps it; displays name their targets by id."""
    return {
        "findings": [[f.kind, f.severity, f.line, f.end_line, f.message, dict(f.data), *([f.about] if f.about else [])]
                     for f in result.findings],
        "displays": [[d.target if isinstance(d.target, str) or d.target is None else d.target.id, d.body, d.title,
                      d.line, d.section] for d in result.displays],
        "properties": dict(result.properties),
        "summary": result.summary,
        "cacheable": result.cacheable,
    }


def from_json(data: dict[str, Any]) -> PassResult:
    """`result_to_json` undone, displays naming their targets by id (raises on a malformed entry)."""
    return PassResult(tuple(Finding(k, s, a, b, m, d, "", *about) for k, s, a, b, m, d, *about in data["findings"]),
                      tuple(Display(tid, body, title, *rest) for tid, body, title, *rest in data["displays"]),
                      data["properties"], data.get("summary"), data.get("cacheable", True))


def result_from_json(data: dict[str, Any], note: Note) -> PassResult | None:
    """Rebuild a cached result; None if it no longer fits the note (then the pass runs again)."""
    try:
        result = from_json(data)
    except (KeyError, TypeError, ValueError):
        return None
    ids = {t.id for t in note.targets}
    if any(isinstance(d.target, str) and d.target not in ids for d in result.displays):
        return None
    return resolve(result, note)


def resolve(result: PassResult, note: Note) -> PassResult:
    """A vault step's displays name targets by id: point them at this note's targets (or drop them)."""
    if not any(isinstance(d.target, str) or d.target is None for d in result.displays):
        return result
    targets = {t.id: t for t in note.targets}
    displays = tuple(replace(d, target=targets[d.target]) if isinstance(d.target, str) else d

                     for d in result.displays if (d.target in targets if isinstance(d.target, str)
                                                  else d.target is not None or 1 <= d.line <= len(note.lines)))
    return replace(result, displays=displays)


def vault_json(extra: Mapping[str, PassResult]) -> dict[str, Any]:
    """What a note got from vault steps (the non-empty results), as JSON: kept in the stat cache."""
    return {name: result_to_json(r) for name, r in sorted(extra.items()) if r.findings or r.displays or r.properties}


def same_vault(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """Equal vault results, also when one side went through JSON (tuples come back as lists)."""
    return json.dumps(a, sort_keys=True, default=str) == json.dumps(b, sort_keys=True, default=str)
