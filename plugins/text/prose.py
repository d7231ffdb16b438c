"""A target's prose, line by line: quote markers off, code, math and comments blanked.

What every text tool reads first, so that all of them agree on which note line a word is on.
"""

from __future__ import annotations

import re

from vaultkit import Note, Target

_QUOTE = re.compile(r"^[ ]{0,3}(?:>[ ]?)")


def target_lines(note: Note, target: Target) -> list[tuple[int, str]]:
    """The target's prose lines as (note line, text without quote markers), code and math blanked."""
    first, rows = prose_rows(note, target)
    return [(first + i, row) for i, row in enumerate(rows)]


def prose_span(target: Target) -> tuple[int, int]:
    """The note line of `prose_rows`' first row, and how many rows it gives (without making them)."""
    if target.kind == "callout":
        return target.line + 1, target.text.count("\n") + 1 if target.text else 0
    return target.line, target.text.count("\n") + 1


def prose_rows(note: Note, target: Target) -> tuple[int, list[str]]:
    """`target_lines` as the first row's note line and the rows (no tuple per line: sentences read every line)."""
    if target.kind == "callout":
        first = target.line + 1
        rows = target.text.split("\n") if target.text else []
    else:  # a whole note: callouts inside it are read without their quote markers
        first = target.line
        rows = [unquote(r) if ">" in r[:4] else r.rstrip("\r") for r in target.text.split("\n")]
    for line in non_prose(note):
        if 0 <= line - first < len(rows):
            rows[line - first] = ""
    return first, rows


def non_prose(note: Note) -> set[int]:
    """Note lines of code, math and comments: never read as prose."""
    out: set[int] = set()
    if note.needs_structure:
        for r in note.regions:
            out.update(range(r.line, r.end_line + 1))
    return out


def unquote(line: str) -> str:
    """A line without its quote markers (`> > text` -> `text`) and its ending."""
    line = line.rstrip("\r\n")
    if ">" not in line[:4]:  # the common case: not quoted at all
        return line
    while True:
        m = _QUOTE.match(line)
        if not m:
            return line
        line = line[m.end() :]
