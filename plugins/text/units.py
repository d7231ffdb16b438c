"""The units section-level passes work on: heading sections, callouts, and the text before a note's
first heading, each with its own lines and where a callout about it can go.

Units of AI text belong to a target. With `everything`, the person's own text is cut the same way
(a pasted answer that now lives in a clean draft is still a copy). Shared by the duplicates and
summaries passes, so both see the same sections.
"""

from __future__ import annotations

from typing import NamedTuple

from vaultkit import Note, Target

from .prose import prose_rows, prose_span
from .sentences import LIST_ITEM


class Unit(NamedTuple):
    """A section (its own text, up to the next heading of any level), a callout, or a note's lead."""

    kind: str  # "section", "callout" or "lead"
    line: int  # its heading, the callout's header, or its first line (note.lines, 1-based)
    end_line: int
    heading: str  # the heading text, the callout's title, or ""
    target: Target | None  # the AI text it belongs to; None: the person's own text
    anchor: int  # the line a callout about it goes under (0: after the target)
    text: str  # its prose, quote prefixes and list markers gone, code blanked


def units(note: Note, everything: bool = False, text: bool = True) -> list[Unit]:
    """Every unit of the note's AI text, in order (a whole AI note already covers its callouts); with
    `everything`, also the sections, callouts and lead of the text outside it. Without `text`, the
    units' text is left empty (a pass that only needs where they are saves the work)."""
    whole = [t for t in note.targets if t.kind == "note"]
    out: list[Unit] = []
    for target in whole or note.targets:
        out += _target_units(note, target, text)
    if everything and not whole and note.lines[note.body_start:]:
        start = note.body_start + 1
        body = "".join(note.lines[note.body_start:])
        spans = [(t.line, t.end_line) for t in note.targets]
        own = [u._replace(target=None) for u in _target_units(note, Target("note", "", start, len(note.lines), 0, "", body, ""))
               if not any(a <= u.line <= b for a, b in spans)]
        out = sorted(out + own, key=lambda u: (u.line, u.end_line))
    return out


def _target_units(note: Note, target: Target, with_text: bool = True) -> list[Unit]:
    if with_text:
        first, rows = prose_rows(note, target)
        count = len(rows)
    else:
        first, count = prose_span(target)
    last = min(first + count - 1, target.end_line)  # (a text ending in a newline splits into one row more)

    def text(a: int, b: int) -> str:
        if not with_text:
            return ""
        return "\n".join(LIST_ITEM.sub("", rows[i - first]) for i in range(max(a, first), min(b, last) + 1))

    heads = sorted(s.line for s in note.sections if target.line <= s.line <= target.end_line)
    out: list[Unit] = []
    if target.kind == "callout":
        out.append(Unit("callout", target.line, target.end_line, target.title, target, 0, text(first, last)))
    else:
        lead_end = (heads[0] - 1) if heads else last
        if lead_end >= first:  # its callout goes under its last line: directly under the text
            out.append(Unit("lead", first, lead_end, "", target, lead_end, text(first, lead_end)))
        for c in note.callouts:  # callouts inside an AI note, each as a whole
            if target.line <= c.line and c.end_line <= target.end_line:
                out.append(Unit("callout", c.line, c.end_line, c.title, target, c.line, text(c.line + 1, c.end_line)))
    for s in note.sections:
        if not target.line <= s.line <= target.end_line:
            continue
        nxt = next((h for h in heads if h > s.line), None)
        end = min(s.end_line, target.end_line, nxt - 1 if nxt is not None else s.end_line)
        out.append(Unit("section", s.line, end, s.heading, target, s.line, text(s.line + 1, end)))
    out.sort(key=lambda u: (u.line, u.end_line))
    return out
