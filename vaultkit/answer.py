"""`layout = "answer"`: one managed callout per AI answer, each pass's displays a section of it.

The title line says what needs attention (each pass's `headline` phrase, dismissed findings left
out); the sections follow in a fixed order (`SECTIONS`). A pass that did not run this time (`--only`,
`--skip`, a crash, a pass no longer installed) keeps its section as it was written, in its place.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from typing import Sequence

from vaultkit.managed import TITLE, Block, Part, part_mark, safe
from vaultkit.tasks import tasks, ticked
from vaultkit.note import Note, Target
from vaultkit.passes import SECTIONS, Finding, PassOutput

NOTHING = "nothing flagged"
_RANK = {name: i for i, name in enumerate(SECTIONS)}


@dataclass(frozen=True)
class Answer:
    """One target's callout, ready to be written: its title, the passes behind the title's phrases,
    its rows (safe, sections marked, task keys in place), and the ticked keys it holds unlisted."""

    target: Target
    title: str
    owners: list[str]
    rows: list[str]
    held: list[str]  # `pass:key` of findings ticked off but not listed this time (a partial result)


def answers(note: Note, outputs: Sequence[PassOutput]) -> list[Answer]:
    """The callout of every target that has no callout a person edited after it."""
    ran = {o.name for o in outputs}
    old: dict[str, Block] = {}
    edited: set[str] = set()
    for b in note.blocks:
        target = owner(note, b) if not b.pass_name else None
        if target is not None and b.intact:
            old[target.id] = b
        elif target is not None:
            edited.add(target.id)

    shown = _shown(note, outputs)
    out = []
    for target in note.targets:
        if target.id in edited:
            continue  # the person's now; vaultkit adds no second one
        before = old.get(target.id)
        kept = [p for p in before.parts if p.pass_name not in ran] if before is not None else []
        out.append(_answer(note, target, outputs, kept, shown, before))
    return out


def owner(note: Note, block: Block) -> Target | None:
    """The target a callout vaultkit wrote belongs to: the one it names, else (the answer was edited
    since) the one it follows, where only one target ends there."""
    for t in note.targets:
        if t.id == block.target_id:
            return t
    at = block.after if block.intact else block.after - 1  # (an edited one keeps its blank line above)
    ending = [t for t in note.targets if t.end_line in (at, block.after)]
    return ending[0] if len(ending) == 1 else None


def _shown(note: Note, outputs: Sequence[PassOutput]) -> dict[tuple[str, int], list[Finding]]:
    """Each pass's findings by the answer whose callout shows the pass: the innermost such answer
    holding the finding's line, else the nearest such answer above it (a reference list pasted
    after the answer belongs to it)."""
    out: dict[tuple[str, int], list[Finding]] = {}
    for o in outputs:
        places: list[Target] = sorted({id(d.target): d.target for d in o.result.displays
                                       if isinstance(d.target, Target)}.values(), key=lambda t: (t.line, -t.end_line))
        if not places:
            continue
        starts = [t.line for t in places]
        for f in o.result.findings:
            best = _place(places, bisect_right(starts, f.line) - 1, f.line)
            if best is not None:
                out.setdefault((o.name, id(best)), []).append(f)
    return out


def _place(places: list[Target], last: int, line: int) -> Target | None:
    """Among answers sorted by start (`last`: the last one starting at or before `line`), the innermost
    holding `line`, else the one ending nearest above it."""
    above: Target | None = None
    for t in reversed(places[:last + 1]):
        if t.end_line >= line:
            return t  # (the latest-starting answer that holds it: the innermost)
        if above is None or t.end_line > above.end_line:
            above = t
        if above is not None and t.line < above.line and t.end_line < above.line:
            break  # (answers before the nearest one above cannot hold it or end nearer)
    return above



@dataclass
class _Section:
    pass_name: str
    section: str
    title: str
    bodies: list[tuple[int, str]]
    part: Part | None = None


def _answer(note: Note, target: Target, outputs: Sequence[PassOutput], kept: list[Part],
            shown: dict[tuple[str, int], list[Finding]], before: Block | None) -> Answer:
    sections: dict[tuple[str, str], _Section] = {}
    mine = {}  # (the display's own target object: `shown` is keyed by it)
    for out in outputs:
        for d in out.result.displays:
            if d.target != target or not d.body.strip():
                continue
            mine[out.name] = d.target
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
        dismissed = note.dismissed.get(s.pass_name, frozenset())
        if s.part is not None:
            rows.extend(s.part.rows)
            phrase = s.part.phrase
        else:
            rows.extend(_rows(s, dismissed))
            found = shown.get((s.pass_name, id(mine[s.pass_name])), [])
            phrase = _phrase(by_name[s.pass_name], found, dismissed)
        if phrase and s.pass_name not in (name for name, _ in phrases):
            phrases.append((s.pass_name, phrase.replace("·", ",")))
    title = TITLE + (" · ".join(p for _, p in phrases) or NOTHING)
    count = sum(1 for r in rows if ticked(r))
    if count:
        title += f" · {count} dismissed"
    return Answer(target, title, [name for name, _ in phrases], rows, _held(before, outputs, rows))


def _held(before: Block | None, outputs: Sequence[PassOutput], rows: list[str]) -> list[str]:
    """Keys the reader ticked in this callout that a pass with a partial result (an online pass on an
    offline run: the daemon's first write) does not list this time: kept, so the next full result
    finds them dismissed still."""
    if before is None or not before.ticked:
        return []
    partial = {o.name for o in outputs if o.partial}
    listed = "\n".join(rows)
    return [f"{p}:{k}" for p, k in before.ticked if p in partial and f"%%vk:{k}%%" not in listed]


def _rows(s: _Section, dismissed: frozenset[str]) -> list[str]:
    """A fresh section's rows: a bold label carrying the section mark (the summary is its own label)."""
    body = "\n".join(b for _, b in sorted(s.bodies, key=lambda x: x[0])).strip("\n")
    rows = [tasks(safe(r), dismissed) for r in body.split("\n")]
    mark = part_mark(s.pass_name, s.section)
    if s.section == "summary" and rows and rows[0] and "%%" not in rows[0]:
        return [rows[0] + mark, *rows[1:]]
    label = safe(" ".join((s.title or s.pass_name).split())).replace("*", "\\*")
    return [f"**{label}**{mark}", *rows]


def _phrase(out: PassOutput, found: list[Finding], dismissed: frozenset[str]) -> str:
    """The pass's words for the title, from its findings in this answer (the dismissed ones apart)."""
    if out.headline is None:
        return ""
    if not dismissed:  # (the common case: no key to work out)
        return out.headline(found, [])
    return out.headline([f for f in found if f.key not in dismissed], [f for f in found if f.key in dismissed])
