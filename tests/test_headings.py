"""Heading links that land: each names exactly one heading, the way Obsidian resolves `#A#B`."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Callable

from hypothesis import given, settings
from hypothesis import strategies as st

from support import note_of, run_json, write_note
from vaultkit_plugins.text.headings import heading_paths

Vk = Callable[..., tuple[int, str, str]]


def opens(markdown: str, fragment: str) -> list[int]:
    """The heading lines `[[note#fragment]]` could mean, read straight off the text (not the module
    under test): each heading named like the last part whose ancestors hold the others in order."""
    heads = []  # (line, level, name, ancestors' names)
    stack: list[tuple[int, str]] = []
    for n, line in enumerate(markdown.split("\n"), 1):
        m = re.match(r"(#{1,6}) (.*)", line)
        if m:
            level, name = len(m.group(1)), m.group(2).strip().casefold()
            while stack and stack[-1][0] >= level:
                stack.pop()
            heads.append((n, name, [s[1] for s in stack]))
            stack.append((level, name))
    *parents, last = fragment.casefold().split("#")
    found = []
    for n, name, chain in heads:
        it = iter(chain)
        if name == last and all(any(p == c for c in it) for p in parents):
            found.append(n)
    return found


def test_a_repeated_heading_is_named_by_its_path() -> None:
    text = "# Draft\n\n## Introduction\n\nold\n\n# Revised\n\n## Introduction\n\nnew\n\n## Method\n"
    paths = heading_paths(note_of(text))
    assert paths == {1: "Draft", 3: "Draft#Introduction", 7: "Revised", 9: "Revised#Introduction", 13: "Method"}
    for line, fragment in paths.items():
        assert opens(text, fragment) == [line]


def test_a_heading_no_path_can_single_out_gets_none() -> None:
    text = "# A\n\n## B\n\n## B\n"  # two `B`s under the same `A`
    assert heading_paths(note_of(text)) == {1: "A", 3: "", 5: ""}


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 3), st.sampled_from(["Intro", "Method", "Results", "intro"])), max_size=10))
def test_every_path_means_its_own_heading_and_only_it(heads: list[tuple[int, str]]) -> None:
    text = "\n\n".join(f"{'#' * level} {name}" for level, name in heads) + "\n"
    paths = heading_paths(note_of(text))
    for line, fragment in paths.items():
        if fragment:
            assert opens(text, fragment) == [line], (text, fragment)
        else:  # no path of up to three headings fits it alone: its name and each parent path are shared
            assert len(opens(text, text.split("\n")[line - 1].lstrip("# "))) > 1


ESSAY = ("The section repeats across the vault because it was pasted into both notes word for word, "
         "with its argument about data, parameters and compute budgets and the plateau that follows. ") * 2


def test_duplicate_links_land_and_are_listed_once(vk: Vk, tmp_path: Path) -> None:
    write_note(tmp_path, "drafts.md", f"# Draft\n\n## Introduction\n\n{ESSAY}\n\n# Revised\n\n## Introduction\n\n{ESSAY}\n")
    write_note(tmp_path, "answer.md", f"> [!ai]+ Answer\n> ## Introduction\n> {ESSAY}\n")
    run_json(vk, "run", tmp_path, "--offline", "--only", "duplicates")
    text = (tmp_path / "answer.md").read_text(encoding="utf-8")
    drafts = (tmp_path / "drafts.md").read_text(encoding="utf-8")
    links = re.findall(r"\[\[drafts#([^\]|]+)(?:\|[^\]]*)?\]\]", text)

    assert sorted(links) == ["Draft#Introduction", "Revised#Introduction"]
    for fragment in links:
        assert len(opens(drafts, fragment)) == 1
    entries = [line for line in text.split("\n") if "[[drafts#" in line]
    assert len(entries) == 1  # two copies in one note: one entry naming both
