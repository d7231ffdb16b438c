"""Block structure of a note body from markdown-it tokens: callouts, sections, non-prose regions.

All line numbers here are 1-based and inclusive, in the coordinates of the
lines handed in (the caller maps them back to file lines).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from vaultkit.markdown import COMMENT_TOKEN, block_parser

# `[!type|meta]+ Title`: https://help.obsidian.md/Editing+and+formatting/Callouts
CALLOUT_HEAD = re.compile(r"^\[!(?P<type>[^\]|\s]+)(?:\|(?P<meta>[^\]]*))?\](?P<fold>[+-]?)(?:[ \t]+(?P<title>.*))?$")
# The same header on a raw line, after its quote markers (for headers markdown-it sees as text).
_RAW_HEAD = re.compile(r"^[ ]{0,3}(?P<q>(?:>[ ]?)+)[ \t]*\[!(?P<type>[^\]|\s]+)(?:\|[^\]]*)?\][+-]?(?:[ \t].*)?$")
# Blocks Obsidian shows inside a callout when they follow it without a blank line. A heading,
# fence, rule or HTML block ends the callout, as in CommonMark.
_LAZY = {"paragraph_open", "bullet_list_open", "ordered_list_open"}
_NON_PROSE = {"fence": "code", "code_block": "code", "math_block": "math", "html_block": "html", COMMENT_TOKEN: "comment"}


@dataclass(frozen=True, slots=True)
class Callout:
    """An Obsidian callout: a blockquote whose first line is `[!type]`."""

    type: str  # lower-cased; Obsidian's types are case-insensitive
    fold: str  # "+", "-" or ""
    title: str
    metadata: str
    depth: int  # 1 for `> [!x]`, 2 for `> > [!x]`, …
    line: int
    end_line: int
    glued: bool = False  # a `[!x]` line inside a plain quote: Obsidian shows it as text


@dataclass(frozen=True, slots=True)
class Section:
    """A heading and the lines it governs, inside its container (the note or a callout)."""

    level: int
    heading: str
    line: int
    end_line: int
    depth: int


@dataclass(frozen=True, slots=True)
class Region:
    """Lines that are not prose: code, math, HTML or an Obsidian comment."""

    kind: str
    line: int
    end_line: int


@dataclass(frozen=True, slots=True)
class Structure:
    """What one block-level parse of a body yields."""

    callouts: tuple[Callout, ...]
    sections: tuple[Section, ...]
    regions: tuple[Region, ...]


def parse_blocks(body: str, offset: int, raw_lines: list[str], callout_types: tuple[str, ...]) -> Structure:
    """Parse `body` (whose first line is line `offset + 1`) into its block structure.

    `raw_lines` are the body's lines, used to find `[!type]` headers that
    markdown-it folds into another paragraph (a prompt glued to its answer).
    """
    tokens = block_parser().parse(body)
    total = offset + len(raw_lines)
    callouts: list[Callout] = []
    headings: list[tuple[int, str, int, int]] = []  # level, text, line, depth
    regions: list[Region] = []
    quotes: list[tuple[int, int, int, bool]] = []  # start, end, depth, is_target
    top_level: list[tuple[int, int]] = []
    depth = 0
    for i, tok in enumerate(tokens):
        if tok.level == 0 and tok.map and tok.type in _LAZY:
            top_level.append((tok.map[0], tok.map[1]))
        if tok.type == "blockquote_open":
            depth += 1
            assert tok.map is not None
            start, end = tok.map
            head = None
            if i + 2 < len(tokens) and tokens[i + 1].type == "paragraph_open" and tokens[i + 2].type == "inline":
                first = tokens[i + 2].content.split("\n", 1)[0]
                head = CALLOUT_HEAD.match(first.strip())
            if head:
                callouts.append(
                    Callout(
                        head["type"].lower(), head["fold"], (head["title"] or "").strip(), head["meta"] or "",
                        depth, offset + start + 1, offset + end,
                    )
                )
            quotes.append((start, end, depth, head is not None and head["type"].lower() in callout_types))
        elif tok.type == "blockquote_close":
            depth -= 1
        elif tok.type == "heading_open" and tok.map:
            content = tokens[i + 1].content if i + 1 < len(tokens) else ""
            headings.append((int(tok.tag[1:]), content.strip(), offset + tok.map[0] + 1, depth))
        elif tok.type in _NON_PROSE and tok.map:
            regions.append(Region(_NON_PROSE[tok.type], offset + tok.map[0] + 1, offset + tok.map[1]))
    callouts = _extend_lazy(callouts, top_level, offset, raw_lines)
    callouts.extend(_glued(quotes, raw_lines, offset, callout_types, callouts, regions))
    callouts.sort(key=lambda c: (c.line, c.depth))
    return Structure(tuple(callouts), _sections(headings, callouts, total), tuple(regions))


def _extend_lazy(
    callouts: list[Callout], top_level: list[tuple[int, int]], offset: int, raw_lines: list[str]
) -> list[Callout]:
    """Obsidian keeps lines after a callout in it until a blank line; so do we.

    Whole top-level blocks that touch the callout's end are absorbed, so the
    extension never stops inside a code fence. A block's trailing blank lines
    (markdown-it counts them into a list) end the extension.
    """

    def trimmed(start: int, end: int) -> int:
        while end > start and not raw_lines[end - 1].strip():
            end -= 1
        return end

    starts = {s: e for s, e in top_level}
    out = []
    for c in callouts:
        if c.depth == 1:
            end = trimmed(c.line - 1 - offset, c.end_line - offset)  # 0-based exclusive
            while end in starts and starts[end] > end:
                new_end = trimmed(end, starts[end])
                if new_end < starts[end]:
                    end = new_end
                    break
                end = new_end
            if end != c.end_line - offset:
                c = Callout(c.type, c.fold, c.title, c.metadata, c.depth, c.line, offset + end, c.glued)
        out.append(c)
    return out


def _glued(
    quotes: list[tuple[int, int, int, bool]],
    raw_lines: list[str],
    offset: int,
    callout_types: tuple[str, ...],
    callouts: list[Callout],
    regions: list[Region],
) -> list[Callout]:
    """`[!type]` header lines inside a quote that is not already such a callout.

    A quoted prompt directly followed by `> [!ai]+ AI` renders as one plain
    quote in Obsidian, but the text from that line on is still an AI answer.
    Inside an open callout of a target type, a repeated header is just text.
    """
    found: list[Callout] = []
    ends = {(c.line, c.depth): c.end_line for c in callouts}
    for start, end, depth, is_target in quotes:
        if is_target:
            continue
        stop = ends.get((offset + start + 1, depth), offset + end)
        for idx in range(start + 1, end):
            line = raw_lines[idx]
            if "[!" not in line:
                continue
            m = _RAW_HEAD.match(line.rstrip("\r\n"))
            if not m or m["q"].count(">") != depth or m["type"].lower() not in callout_types:
                continue
            n = offset + idx + 1
            if any(r.line <= n <= r.end_line for r in regions):
                continue
            head = CALLOUT_HEAD.match(line.rstrip("\r\n").lstrip(" ")[len(m["q"]):].strip())
            title = (head["title"] or "").strip() if head else ""
            fold = head["fold"] if head else ""
            found.append(Callout(m["type"].lower(), fold, title, "", depth, n, stop, glued=True))
            break  # the rest of this quote is that answer
    return found


def _sections(headings: list[tuple[int, str, int, int]], callouts: list[Callout], total: int) -> tuple[Section, ...]:
    """A heading governs lines up to the next heading of its level or higher in the same container."""

    def container(line: int, depth: int) -> tuple[int, int]:
        best = (0, total)
        for c in callouts:
            if c.depth == depth and c.line <= line <= c.end_line:
                best = (c.line, c.end_line)
        return best

    sections = []
    for k, (level, text, line, depth) in enumerate(headings):
        box = container(line, depth)
        end = box[1]
        for level2, _, line2, depth2 in headings[k + 1 :]:
            if line2 > box[1]:
                break
            if depth2 == depth and level2 <= level and container(line2, depth2) == box:
                end = line2 - 1
                break
        sections.append(Section(level, text, line, end, depth))
    return tuple(sections)
