"""Task rows in vaultkit's callouts: a finding the reader can tick off, its key hidden at the row's end.

`vaultkit.passes.task` writes `- [ ] text` and the finding's key as a placeholder; `tasks` makes the
key a comment (`%%vk:<key>%%`) and ticks the box while the finding is dismissed. A ticked box is how a
person dismisses a finding, so the box's state (and the done date a tasks plugin adds) is left out
of the hash that tells vaultkit's callouts from a person's edits (`untick`); any other change of the
row is an edit.
"""

from __future__ import annotations

import re

# (a tasks plugin adds ` ✅ <date>` to a row ticked done: that is not an edit; anything else after the key is)
_TASK = re.compile(r"^(?P<head>[ \t>]*[-*+] \[)(?P<box>[^\]])(?P<mid>\] .*? %%vk:(?P<key>[0-9a-f]{8})%%)"
                   r"(?: \u2705 \d{4}-\d{2}-\d{2})?$")
_KEY = re.compile("\ue002([0-9a-f]{8})\ue003$")  # the placeholder `vaultkit.passes.task` puts at a row's end
_BOX = re.compile(r"^(\s*[-*+] )\[ \]")
_WRITTEN = re.compile(r" %%vk:([0-9a-f]{8})%%")
_TICKED = re.compile(r"(?m)^(\s*[-*+] )\[[^\]]\](?=.*\ue002)")


def tasks(row: str, dismissed: frozenset[str]) -> str:
    """A row's task key (from `vaultkit.passes.task`) made a hidden comment, its box ticked if dismissed."""
    if "\ue002" not in row:
        return row
    m = _KEY.search(row)
    if m is None:
        return row.replace("\ue002", "").replace("\ue003", "")
    row = row[: m.start()] + f" %%vk:{m.group(1)}%%"
    return _BOX.sub(r"\1[x]", row, count=1) if m.group(1) in dismissed else row


def as_written(text: str) -> str:
    """Task rows as vaultkit wrote them, back in the form a pass gives them (`tasks` redoes the rest):
    each key a placeholder again, each box empty."""
    text = _WRITTEN.sub("\ue002\\1\ue003", text)
    return _TICKED.sub(r"\1[ ]", text)


def ticked_key(row: str) -> str | None:
    """The key of a task row of vaultkit's whose box is ticked (any mark but a space), else None."""
    m = _TASK.match(row)
    return m["key"] if m is not None and m["box"] != " " else None


def ticked(row: str) -> bool:
    """Is this a task row of vaultkit's whose box is ticked?"""
    return "%%vk:" in row and ticked_key(row) is not None


def untick(row: str) -> str:
    """A task row as the hash sees it: box empty, nothing after the key (a row that is not one of
    vaultkit's task rows, or carries more after its key, stays as it is: an edit shows)."""
    m = _TASK.match(row)
    return f"{m['head']} {m['mid']}" if m else row
