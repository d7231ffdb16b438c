"""Links to a note's headings that name exactly one: `[[note#Heading]]` opens the first heading of
that name, so a repeated heading is named by its path, `[[note#Parent#Heading]]`, and one that no
path singles out is not linked by heading at all (its note and line are).

Obsidian resolves `#A#B` to a heading B below a heading A (A an ancestor of B, not only its parent:
https://help.obsidian.md/Linking+notes+and+files/Internal+links#Link+to+a+heading+in+a+note), the
first if several are. A path here must fit one heading only, so that the link says which it means.
Characters a link cannot hold (`[ ] | # ^`) are left out of the heading's name, as Obsidian does.
"""

from __future__ import annotations

import re
from functools import lru_cache
from itertools import combinations

from typing import Sequence

from vaultkit import Note

_UNSAFE = re.compile(r"[\[\]|#^\n]")
MAX_PATH = 3  # headings in a path; a heading that needs more is linked by its note and line


def link_name(heading: str) -> str:
    """A heading as a link names it."""
    return " ".join(_UNSAFE.sub(" ", heading).split())


@lru_cache(maxsize=4)  # (a note's paths are asked for by two passes: the summaries' outline, the duplicates)
def note_link(path: str) -> str:
    """A note's vault path as a link names it: no `.md`, and nothing that would end the link (a file
    made outside Obsidian may have `]`, `|` or `#` in its name)."""
    return re.sub(r"[\[\]|#^]", " ", path[:-3] if path.lower().endswith(".md") else path)


def heading_paths(note: Note) -> dict[int, str]:
    """For each heading line, the shortest `A#B` path that fits that heading alone ('' when none does).
    The mapping is shared between callers: read it, do not change it."""
    heads = [(s.line, s.level, link_name(s.heading)) for s in note.sections]
    names = [name.casefold() for _, _, name in heads]
    ancestors: list[list[int]] = []
    stack: list[int] = []
    for i, (_, level, _) in enumerate(heads):
        while stack and heads[stack[-1]][1] >= level:
            stack.pop()
        ancestors.append(list(stack))
        stack.append(i)
    named: dict[str, list[int]] = {}
    for i, name in enumerate(names):
        named.setdefault(name, []).append(i)
    out: dict[int, str] = {}
    for i, (line, _, name) in enumerate(heads):
        out[line] = ""
        if not name:
            continue
        if len(named[names[i]]) == 1:  # (most headings: their name alone is the link)
            out[line] = name
            continue
        for size in range(1, MAX_PATH):
            found = next((path for path in combinations(ancestors[i], size)
                          if matches([names[j] for j in (*path, i)], names, ancestors, named) == [i]), None)
            if found is not None:
                out[line] = "#".join(heads[j][2] for j in (*found, i))
                break
    return out


def matches(path: Sequence[str], names: Sequence[str], ancestors: Sequence[Sequence[int]],
            named: dict[str, list[int]]) -> list[int]:
    """The headings a casefolded `A#B` path fits (`named`: each name's headings): each B with the A's
    among its ancestors, in order."""
    *parents, last = path
    return [i for i in named.get(last, []) if _in_order(parents, [names[j] for j in ancestors[i]])]


def _in_order(wanted: Sequence[str], chain: Sequence[str]) -> bool:
    it = iter(chain)
    return all(any(name == c for c in it) for name in wanted)
