"""What happened to each note (`NoteReport`), and reports -> the --json contract and the human
summary; formatting only, no printing."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from vaultkit import __version__
from vaultkit.passes import SEVERITIES


@dataclass
class NoteReport:
    """What happened to one note; `as_json` is the --json contract's note object."""

    path: str
    status: str = "ok"  # ok | skipped | error
    error: str = ""
    written: bool = False
    changed: bool = False  # the note's bytes differ from vaultkit's output (written unless --dry-run)
    targets: list[dict[str, Any]] = field(default_factory=list)
    findings: list[dict[str, Any]] = field(default_factory=list)
    diff: str = ""
    digest: str = ""  # hash of the note's bytes once vaultkit is done with it (not in --json)
    cached: dict[str, Any] | None = None  # targets/findings in the lines of the written file
    summaries: dict[str, Any] = field(default_factory=dict)  # per pass with a vault step (not in --json)
    text_hash: str = ""  # of the human text the summaries were made from: what they depend on (not in --json)
    retry: bool = False  # a pass's result was a stopgap: process the note again next run (not in --json)
    vault_results: dict[str, Any] = field(default_factory=dict)  # the vault results applied, as JSON (not in --json)
    held: bool = False  # not written: its vault results were unknown; the vault step's pass writes it (not in --json)
    dismissed: int = 0  # findings ticked off in the note's callouts as read (not in --json)
    deferred: tuple[bytes, bytes] | None = None  # (read, to write): a write held until the vault steps (not in --json)
    due: float = 0.0  # when an online run should look at this note again for its lookups (not in --json)
    unwritten: bool = False  # vaultkit had a result but the system would not let it be written (not in --json)


    def as_json(self) -> dict[str, Any]:
        """The contract's shape: path, status, error (when not ok), written, targets, findings."""
        out: dict[str, Any] = {"path": self.path, "status": self.status}
        if self.status != "ok":
            out["error"] = self.error
        out.update(written=self.written, changed=self.changed, targets=self.targets, findings=self.findings)
        if self.diff:
            out["diff"] = self.diff
        return out


RANK: dict[str, int] = {s: i for i, s in enumerate(SEVERITIES)}  # error=0 is the most severe


def unwritten(reports: Sequence[NoteReport]) -> int:
    """Notes whose result could not be written (a full disk, no permission, a read-only file system, a
    note that vanished under vaultkit): what exit code 4 reports."""
    return sum(r.unwritten for r in reports)


def summary(reports: Sequence[NoteReport]) -> dict[str, Any]:
    """Counts for the contract's `summary` object (findings a person dismissed counted apart)."""
    counts: dict[str, int] = {s: 0 for s in SEVERITIES}
    dismissed = 0
    for r in reports:
        for f in r.findings:
            if f.get("dismissed"):
                dismissed += 1
            else:
                counts[f["severity"]] = counts.get(f["severity"], 0) + 1
    return {
        "notes": len(reports),
        "written": sum(r.written for r in reports),
        "changed": sum(r.changed for r in reports),
        "skipped": sum(r.status == "skipped" for r in reports),
        "errors": sum(r.status == "error" for r in reports),
        "targets": sum(len(r.targets) for r in reports),
        "findings": counts,
        "dismissed": dismissed,
    }


def as_json(vault: Path, reports: Sequence[NoteReport], extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """The whole --json document (a contract: add keys, never rename them)."""
    doc: dict[str, Any] = {
        "vaultkit": __version__,
        "vault": str(vault.resolve()),
        "notes": [r.as_json() for r in reports],
        "summary": summary(reports),
    }
    if extra:
        doc.update(extra)
    return doc


def text_lines(vault: Path, reports: Sequence[NoteReport], at_line: int | None = None,
               dismissed: bool = False) -> list[str]:
    """`path:line: severity [pass] message`, one per finding: the shape editors read as a problem list.

    Lines are those of the file as vaultkit left it (where it wrote, after its own blocks). With
    `at_line` (a line of the file as it was read: an editor's cursor), only the findings of the
    AI text at that line, or of the nearest above it (the cursor is on its callouts). Findings a
    person dismissed are left out; `dismissed=True` lists those instead (`run --show-dismissed`).
    """
    out = []
    for r in reports:
        shown = r.cached["findings"] if r.cached else r.findings  # (`cached`: in the written file's lines)
        span = _around(r.targets, at_line) if at_line is not None else None
        for read, f in zip(r.findings, shown):
            if span is not None and not span[0] <= read["line"] <= span[1]:
                continue
            if bool(f.get("dismissed")) != dismissed:
                continue
            message = " ".join(str(f["message"]).split())  # one finding, one line
            severity = "dismissed" if dismissed else f["severity"]
            out.append(f"{vault / r.path}:{f['line']}: {severity} [{f['pass']}] {message}")
    return out


def _around(targets: Sequence[dict[str, Any]], line: int) -> tuple[int, int]:
    """The lines of the target holding `line`, else of the last one starting above it; (0, -1): none."""
    above = [t for t in targets if t["line"] <= line]
    inside = [t for t in above if line <= t["end_line"]]
    if not above:
        return (0, -1)
    best = (inside or above)[-1]
    return (best["line"], best["end_line"])


def problems(reports: Sequence[NoteReport]) -> list[str]:
    """One `path: reason` line per note that could not be processed."""
    return [f"{r.path}: {r.error}" for r in reports if r.status != "ok"]


def human_summary(reports: Sequence[NoteReport], dry_run: bool, seconds: float, verb: str = "written") -> str:
    """The one-line summary printed on stderr after a run."""
    s = summary(reports)
    f = s["findings"]
    changed = f"{s['changed']} would change" if dry_run else f"{s['written']} {verb}"
    dismissed = f", {s['dismissed']} dismissed" if s["dismissed"] else ""
    return (
        f"vaultkit: {s['notes']} notes, {s['targets']} targets, {changed}, {s['skipped']} skipped, "
        f"{s['errors']} errors · findings: {f['error']} error, {f['warning']} warning, {f['info']} info{dismissed} "
        f"({seconds:.2f}s)"
    )


def fails(reports: Sequence[NoteReport], fail_on: str) -> bool:
    """True when --check should exit 1: a finding at or above `fail_on`, or a note that failed."""
    limit = RANK[fail_on]
    for r in reports:
        if r.status == "error":
            return True
        if any(RANK.get(f["severity"], 99) <= limit and not f.get("dismissed") for f in r.findings):

            return True
    return False


def unified_diff(rel: str, old: bytes, new: bytes) -> str:
    """A unified diff of what a write would change."""
    import difflib  # (only --diff needs it)

    a = old.decode("utf-8", "replace").splitlines(keepends=True)
    b = new.decode("utf-8", "replace").splitlines(keepends=True)
    return "".join(difflib.unified_diff(a, b, f"a/{rel}", f"b/{rel}"))
