"""`layout = "answer"`: one managed callout per AI answer, each pass's displays a section of it.

The title line says what needs attention (each pass's `headline` phrase, dismissed findings left
out); the sections follow in a fixed order (`SECTIONS`). A pass that did not run this time (`--only`,
`--skip`, a crash, a pass no longer installed) keeps its section as it was written, in its place.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from vaultkit.managed import TITLE, Block, Part, part_mark, safe, tasks, ticked
from vaultkit.note import Note, Target
from vaultkit.passes import SECTIONS, Finding, PassOutput

NOTHING = "nothing flagged"
_RANK = {name: i for i, name in enumerate(SECTIONS)}


@dataclass(frozen=True)
class Answer:
    """One target's callout, ready to be written: its title, the passes behind the title's phrases,
    and its rows (safe, sections marked, task keys in place)."""

    target: Target
    title: str
    owners: list[str]
    rows: list[str]


def answers(note: Note, outputs: Sequence[PassOutput]) -> list[Answer]:
    """The callout of every target that has no callout a person edited after it."""
    ran = {o.name for o in outputs}
    edited = [b for b in note.blocks if not b.intact and not b.pass_name]
    kept: dict[int, list[Part]] = {}
    for b in note.blocks:
        if b.intact and not b.pass_name:
            kept.setdefault(b.after, []).extend(p for p in b.parts if p.pass_name not in ran)
    out = []
    for target in note.targets:
        if any(_follows(b, target) for b in edited):
            continue  # the person's now; vaultkit adds no second one
        out.append(_answer(note, target, outputs, kept.get(target.end_line, [])))
    return out


def _follows(block: Block, target: Target) -> bool:
    """Is this (edited, so still present) callout the one vaultkit wrote after `target`?"""
    return block.target_id == target.id or block.after in (target.end_line, target.end_line + 1)


@dataclass
class _Section:
    pass_name: str
    section: str
    title: str
    bodies: list[tuple[int, str]]
    part: Part | None = None


def _answer(note: Note, target: Target, outputs: Sequence[PassOutput], kept: list[Part]) -> Answer:
    sections: dict[tuple[str, str], _Section] = {}
    for out in outputs:
        for d in out.result.displays:
            if d.target != target or not d.body.strip():
                continue
            s = sections.setdefault((out.name, d.section), _Section(out.name, d.section, d.title, []))
            s.title = s.title or d.title
            s.bodies.append((d.line, d.body))
    for part in kept:
        sections.setdefault((part.pass_name, part.section), _Section(part.pass_name, part.section, "", [], part))
    by_name = {o.name: o for o in outputs}
    rows: list[str] = []
    phrases: list[tuple[str, str]] = []
    for s in sorted(sections.values(), key=lambda s: (_RANK.get(s.section, _RANK[""]), s.pass_name, s.section)):
        if rows:
            rows.append("")
        if s.part is not None:
            rows.extend(s.part.rows)
            phrase = s.part.phrase
        else:
            rows.extend(_rows(s, note.dismissed.get(s.pass_name, frozenset())))
            phrase = _phrase(by_name[s.pass_name], target, note.dismissed.get(s.pass_name, frozenset()))
        if phrase and s.pass_name not in (name for name, _ in phrases):
            phrases.append((s.pass_name, phrase.replace("·", ",")))
    title = TITLE + (" · ".join(p for _, p in phrases) or NOTHING)
    dismissed = sum(1 for r in rows if ticked(r))
    if dismissed:
        title += f" · {dismissed} dismissed"
    return Answer(target, title, [name for name, _ in phrases], rows)


def _rows(s: _Section, dismissed: frozenset[str]) -> list[str]:
    """A fresh section's rows: a bold label carrying the section mark (the summary is its own label)."""
    body = "\n".join(b for _, b in sorted(s.bodies, key=lambda x: x[0])).strip("\n")
    rows = [tasks(safe(r), dismissed) for r in body.split("\n")]
    mark = part_mark(s.pass_name, s.section)
    if s.section == "summary" and rows and rows[0] and "%%" not in rows[0]:
        return [rows[0] + mark, *rows[1:]]
    label = safe(" ".join((s.title or s.pass_name).split())).replace("*", "\\*")
    return [f"**{label}**{mark}", *rows]


def _phrase(out: PassOutput, target: Target, dismissed: frozenset[str]) -> str:
    """The pass's words for the title, from its findings in this answer that are not dismissed."""
    if out.headline is None:
        return ""
    mine: list[Finding] = [f for f in out.result.findings if target.line <= f.line <= target.end_line]
    return out.headline([f for f in mine if f.key not in dismissed], [f for f in mine if f.key in dismissed])

