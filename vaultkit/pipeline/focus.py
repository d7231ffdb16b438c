"""`run --line`: the work limited to the answer at an editor's cursor, and its stretch of the file
spliced into the note as read, everything else byte for byte."""

from __future__ import annotations

from dataclasses import replace
from typing import Callable

from vaultkit.managed import strip
from vaultkit.note import Note, Target
from vaultkit.passes import PassResult
from vaultkit.render import Rendered, block_id
from vaultkit.text import split_lines


def focused(note: Note, line: int) -> Target | None:
    """The callout answer at a file line (or the nearest above it), when the work can be limited to
    it: a note of several answers, none inside another; None means the whole note."""
    callouts = [t for t in note.targets if t.kind == "callout"]
    if len(callouts) < 2 or len(callouts) != len(note.targets):
        return None
    above = [t for t in callouts if note.file_line(t.line) <= line]
    if not above:
        return None
    focus = above[-1]
    if any(t is not focus and t.line <= focus.end_line and focus.line <= t.end_line for t in callouts):
        return None  # nested answers share lines (and callout places): the whole note
    return focus


def restricted(note: Note, focus: Target) -> Note:
    """The note as the passes see it under `--line`: the same text, one answer."""
    view = replace(note, preparsed=note.structure if note.needs_structure else None)
    view.__dict__["targets"] = (focus,)  # (a cached property of the frozen note)
    return view


def results_at(extra: dict[str, PassResult], focus: Target) -> dict[str, PassResult]:
    """Vault results of the answer at the cursor only."""
    def mine(result: PassResult) -> PassResult:
        return PassResult(tuple(f for f in result.findings if focus.line <= f.line <= focus.end_line),
                          tuple(d for d in result.displays if d.target in (focus, focus.id)), {}, result.summary,
                          result.cacheable)
    return {name: mine(result) for name, result in extra.items()}


def splice(note: Note, focus: Target, rendered: Rendered) -> tuple[str, Callable[[int], int]] | None:
    """The file with only the focused answer's stretch taken from `rendered` (the answer, its
    callouts and the lines up to the next human line); everything else byte for byte as read,
    frontmatter included. None when the stretch in the file holds callouts of another answer, or
    the result's human text is not the rendered one's (then the whole note is worked on)."""
    old = split_lines(note.decoded.text)
    new = split_lines(rendered.text)
    n = len(note.lines)
    a, b = focus.line, focus.end_line
    start = note.origin[a - 1]
    stop = note.origin[b] if b < n else len(old)
    r_start = rendered.new_line(a) - 1
    r_stop = rendered.new_line(b + 1) - 1 if b < n else len(new)
    others = {i for t in note.targets if t is not focus
              for i in (t.id, *(block_id(t, line) for line in range(t.line, t.end_line + 1)))}
    if any(start <= blk.line - 1 < stop and blk.target_id in others for blk in note.blocks):
        return None  # (the answer's own callouts may carry its id from before an edit)
    lines = old[:start] + new[r_start:r_stop] + old[stop:]
    prefix = note.config.property_prefix
    if strip(lines, prefix).lines != strip(new, prefix).lines:
        return None
    shift = (r_stop - r_start) - (stop - start)

    def written(line: int) -> int:
        if line < a:
            return note.origin[line - 1] + 1
        if line <= b:
            return start + rendered.new_line(line) - rendered.new_line(a) + 1
        return note.origin[min(line, n) - 1] + 1 + shift

    return "".join(lines), written
