"""blocks: callouts, non-prose regions and sections from one block-level parse."""

from __future__ import annotations

from pathlib import Path

import pytest
from markdown_it.utils import read_fixture_file

from support import note_of, render, stats, target_rows
from vaultkit.blocks import parse_blocks
from vaultkit.note import parse_note
from vaultkit.config import VaultConfig
from vaultkit.text import split_lines

FIXTURES = Path(__file__).parent / "fixtures"


def _describe(text: str) -> str:
    n = note_of(text)
    rows = []
    for t in n.targets:
        a, b = n.target_lines(t)
        rows.append(f"{t.kind} {t.type} {a}-{b} depth={t.depth}" + (" glued" if t.glued else ""))
    return "".join(r + "\n" for r in rows)


GOLDEN = read_fixture_file(FIXTURES / "targets.md")


@pytest.mark.parametrize(("line", "title", "note", "expected"), GOLDEN, ids=[case[1] for case in GOLDEN])
def test_targets_golden(line: int, title: str, note: str, expected: str) -> None:
    assert _describe(note) == expected


@pytest.mark.parametrize(
    ("header", "type_", "fold", "title", "meta"),
    [
        ("> [!ai]", "ai", "", "", ""),
        ("> [!AI]+ AI", "ai", "+", "AI", ""),
        ("> [!ai]- Answer (folded)", "ai", "-", "Answer (folded)", ""),
        ("> [!ai|wide]+ My title", "ai", "+", "My title", "wide"),
        ("> [!Ai|a b]", "ai", "", "", "a b"),
        ("> [!note] Discussion summary", "note", "", "Discussion summary", ""),
    ],
)
def test_callout_header_parts(header: str, type_: str, fold: str, title: str, meta: str) -> None:
    (c,) = note_of(header + "\n> body\n").callouts
    assert (c.type, c.fold, c.title, c.metadata, c.depth, c.line, c.end_line) == (type_, fold, title, meta, 1, 1, 2)


def test_target_title_and_text_without_quote_markers() -> None:
    n = note_of("> [!note] N\n>\n> > [!ai]+ The title\n> > line one\n> >\n> > line two\n")
    (t,) = n.targets
    assert t.title == "The title"
    assert t.depth == 2
    assert t.text == "line one\n\nline two"


def test_lazy_lines_are_part_of_the_target_text() -> None:
    (t,) = note_of("> [!ai]\n> quoted\nlazy\n\nmine\n").targets
    assert t.text == "quoted\nlazy"
    assert "mine" not in t.text


def test_doubled_header_is_text_of_the_one_target() -> None:
    (t,) = note_of("> [!ai]+ AI\n>\n> [!ai]+ AI\n> The answer.\n").targets
    assert t.line == 1 and t.end_line == 4
    assert "The answer." in t.text


def test_glued_target_starts_at_its_header_and_keeps_the_prompt_out() -> None:
    (t,) = note_of("> 1. Explain BPE.\n> [!ai]+ AI\n> BPE merges pairs.\n").targets
    assert t.glued
    assert t.line == 2
    assert t.title == "AI"
    assert "Explain" not in t.text and "BPE merges pairs." in t.text


def test_glued_header_inside_a_fence_inside_a_quote_is_not_a_target() -> None:
    assert target_rows("> prompt\n> ```\n> [!ai] example\n> ```\n") == []


def test_glued_header_at_another_quote_depth_is_not_a_target() -> None:
    assert target_rows("> prompt\n> > [!note] x\n> > y\n") == []


def test_glued_inside_a_nested_quote() -> None:
    n = note_of("> [!note]\n> > question\n> > [!ai] A\n> > answer\n")
    (t,) = n.targets
    assert (t.line, t.end_line, t.depth, t.glued) == (3, 4, 2, True)


def test_fence_glued_after_a_callout_never_ends_inside_the_fence() -> None:
    raw = b"> [!ai]\n> Code:\n```\nline\n\n> [!ai] inside\n```\nafter\n\nmine\n"
    out, note, _ = render(raw, [stats()])
    (t,) = note.targets
    assert t.end_line == 2  # a fence ends the callout, as in CommonMark
    # the managed block comes before the fence, kept apart from it by a blank line; the fence is untouched
    lines = out.decode().split("\n")
    first_block = next(i for i, x in enumerate(lines) if "%% vaultkit:" in x)
    fences = [i for i, x in enumerate(lines) if x == "```"]
    assert len(fences) == 2 and first_block < fences[0]
    assert lines[fences[0] - 1] == "" and lines[fences[0]: fences[1] + 1] == ["```", "line", "", "> [!ai] inside", "```"]


def test_lazy_extension_stops_at_a_blank_line_after_a_list() -> None:
    assert target_rows("> [!ai]\n> text\n- item\n\nMy own paragraph.\n") == [("callout", "ai", 1, 3)]


def test_parse_blocks_uses_the_offset_it_is_given() -> None:
    body = "> [!ai] x\n> y\n\n# H\n"
    s = parse_blocks(body, 10, split_lines(body), ("ai",))
    (c,) = s.callouts
    assert (c.line, c.end_line) == (11, 12)
    (sec,) = s.sections
    assert (sec.line, sec.end_line) == (14, 14)


def test_callout_types_config_decides_targets() -> None:
    text = "> [!note] N\n> x\n\n> [!ai] A\n> y\n"
    assert [r[1] for r in target_rows(text)] == ["ai"]
    assert [r[1] for r in target_rows(text, callout_types=("note",))] == ["note"]
    assert [r[1] for r in target_rows(text, callout_types=("note", "ai"))] == ["note", "ai"]


@pytest.mark.parametrize(
    ("text", "kinds"),
    [
        ("```\ncode\n```\n", [("code", 1, 3)]),
        ("~~~\ncode\n~~~\n", [("code", 1, 3)]),
        ("text\n\n    code\n", [("code", 3, 3)]),
        ("$$\nx\n$$\n", [("math", 1, 3)]),
        ("%%\nc\n%%\n", [("comment", 1, 3)]),
        ("%% one line %%\n", [("comment", 1, 1)]),
        ("a\n\n%%\nopen\n\nstill\n", [("comment", 3, 6)]),
        ("<div>\nx\n</div>\n", [("html", 1, 3)]),
    ],
)
def test_regions(text: str, kinds: list[tuple[str, int, int]]) -> None:
    assert [(r.kind, r.line, r.end_line) for r in note_of(text).regions] == kinds


def test_regions_in_file_coordinates_after_frontmatter() -> None:
    n = note_of("---\na: 1\n---\n```\nx\n```\n")
    assert [(r.kind, r.line, r.end_line) for r in n.regions] == [("code", 4, 6)]


def test_sections_with_headings_inside_callouts() -> None:
    text = (
        "---\n"          # 1
        "a: 1\n"         # 2
        "---\n"          # 3
        "# A\n"          # 4
        "text\n"         # 5
        "## B\n"         # 6
        "more\n"         # 7
        "> [!ai] X\n"    # 8
        "> ## Inner\n"   # 9
        "> t\n"          # 10
        "> ### Deep\n"   # 11
        "> u\n"          # 12
        "\n"             # 13
        "## C\n"         # 14
        "end\n"          # 15
        "# D\n"          # 16
        "last\n"         # 17
    )
    got = [(s.level, s.heading, s.line, s.end_line, s.depth) for s in note_of(text).sections]
    assert got == [
        (1, "A", 4, 15, 0),
        (2, "B", 6, 13, 0),
        (2, "Inner", 9, 12, 1),  # ends with its callout, not at the next note heading
        (3, "Deep", 11, 12, 1),
        (2, "C", 14, 15, 0),
        (1, "D", 16, 17, 0),
    ]


def test_headings_in_code_are_not_sections() -> None:
    assert note_of("```\n# not a heading\n```\n%%\n# hidden\n%%\n").sections == ()


def test_setext_heading_is_a_section() -> None:
    (s,) = note_of("Title\n=====\ntext\n").sections
    assert (s.level, s.heading, s.line, s.end_line) == (1, "Title", 1, 3)


@pytest.mark.parametrize("header", ["> [!AI] x", "> [!Ai]- x", "> > [!aI]+"])
def test_mixed_case_types_pass_the_text_prefilter(header: str) -> None:
    n = parse_note(f"# Plain\n\n> [!note] n\n\n{header}\n> body\n".encode(), "n.md", VaultConfig())
    assert [t.type for t in n.targets] == ["ai"]

