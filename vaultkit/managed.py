"""vaultkit's own marks in a note: managed callouts and frontmatter keys, found and stripped.

A managed callout looks like this (depth 1; nested targets get more `> `):

    <blank line owned by the block>
    > [!vaultkit]- stats %% vaultkit:stats t=<target> in=<input> out=<body> %%
    > 412 words · 18 sentences · 3 citation markers

`out` hashes the block as vaultkit wrote it, so a block a person edited is
recognised and left alone (human edits win). `tail` after the hashes records
that vaultkit also added a blank line after the block, so `clean` can remove
exactly what `run` added.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from vaultkit.text import digest, eol, strip_eol

CALLOUT_TYPE = "vaultkit"
CREATED_KEY = "frontmatter"  # `<prefix>frontmatter: created` marks frontmatter vaultkit made
CREATED_VALUE = "created"
FOLD = "-"  # managed callouts start collapsed
_FENCE = re.compile(r"^[ ]{0,3}(`{3,}|~{3,})")

_HEADER = re.compile(
    r"^(?P<pre>[ \t>]*?)> \[!" + CALLOUT_TYPE + r"\](?P<fold>[+-]?) (?P<title>.*?) "
    r"%% vaultkit:(?P<pass>[^\s%]+) t=(?P<t>[0-9a-f]+) in=(?P<in>[0-9a-f]+)"
    r" out=(?P<out>[0-9a-f]+)(?P<tail> tail)? %%$"
)


@dataclass(frozen=True, slots=True)
class Block:
    """A managed callout found in a note, in file lines (1-based, inclusive)."""

    pass_name: str
    target_id: str
    input_hash: str
    line: int
    end_line: int
    intact: bool  # False when a person edited it: then it is theirs


@dataclass(frozen=True, slots=True)
class Stripped:
    """A note's lines without vaultkit's marks, and where each kept line came from."""

    lines: list[str]
    origin: list[int]  # origin[i] = 0-based file line of kept line i
    blocks: tuple[Block, ...]
    had_keys: bool


def block_lines(
    pass_name: str, target_id: str, input_hash: str, pre: str, title: str, body: str, nl: str, tail: bool
) -> list[str]:
    """Render one managed callout (without its separator lines), every line ending in `nl`."""
    title = _one_line(title)
    rows = [_safe(r) for r in body.strip("\n").split("\n")] if body.strip() else []
    body_lines = [f"{pre}> {r}" if r else f"{pre}>" for r in rows]
    out = _body_hash(title, body_lines, FOLD)
    flag = " tail" if tail else ""
    header = f"{pre}> [!{CALLOUT_TYPE}]{FOLD} {title} %% vaultkit:{pass_name} t={target_id} in={input_hash} out={out}{flag} %%"
    return [line + nl for line in [header, *body_lines]]


def separator(pre: str) -> str:
    """The blank line that keeps a managed callout apart from the target above it."""
    return pre.rstrip()


def outer_prefix(header: str) -> str:
    """What stands before a callout's own `>` on its header line: list indentation, outer quotes.

    `   > > [!ai]` gives `   > `, so vaultkit's callout sits in the same list item and quote.
    """
    head = header[: header.find("[!")].rstrip()
    return head[:-1] if head.endswith(">") else head


def _one_line(text: str) -> str:
    return _safe(" ".join(text.split())) or "vaultkit"


def _safe(row: str) -> str:
    """Keep a rendered row inside its callout: no `%%` (our marker) and no stray CR."""
    row = row.replace("\r", " ").replace("%%", "%\u200b%").rstrip()
    return "\\" + row if _FENCE.match(row) else row  # a fence inside our block would hide what follows


def _body_hash(title: str, body_lines: list[str], fold: str) -> str:
    """Covers everything a person might change: the fold state, the title and the body."""
    return digest(fold, title, *body_lines, size=6)


def key_name(line: str, prefix: str) -> str | None:
    """The name of the vaultkit key a top-level frontmatter line holds, if it holds one."""
    if not line.startswith(prefix):
        return None
    m = re.match(re.escape(prefix) + r"([\w-]*)\s*:", line)
    return m.group(1) if m else None


def key_owner(name: str, known: frozenset[str]) -> str | None:
    """The pass a property belongs to: the longest known pass id it starts with (`stats_x` beats `stats`)."""
    best = None
    for p in known:
        stem = re.sub(r"[^\w-]", "_", p) + "_"
        if name.startswith(stem) and (best is None or len(stem) > len(best[1])):
            best = (p, stem)
    return best[0] if best else None


def strip(
    lines: list[str], prefix: str, owned: frozenset[str] | None = None, known: frozenset[str] = frozenset()
) -> Stripped:
    """Remove vaultkit's intact callouts and frontmatter keys; keep everything else.

    This is `clean` (owned=None: every pass's marks) and also the first step of
    `run`, which strips the marks of the passes it runs and renders them anew, so
    run-then-clean restores the exact bytes by construction. Marks of passes not
    in `owned` stay where they are.
    """

    def mine(name: str) -> bool:
        return owned is None or key_owner(name, owned | known) in owned

    drop = [False] * len(lines)
    had_keys = False
    fm_end = _frontmatter_end(lines)
    if fm_end > 0:
        created = -1
        i = 1
        while i < fm_end:
            name = key_name(lines[i], prefix)
            if name == CREATED_KEY and strip_eol(lines[i]).split(":", 1)[1].strip() == CREATED_VALUE:
                created = i
                had_keys = True
                i += 1
            elif name is not None and mine(name):
                had_keys = True
                drop[i] = True
                j = i + 1
                while j < fm_end and lines[j][:1] in (" ", "\t"):
                    drop[j] = True
                    j += 1
                i = j
            else:
                i += 1
        # Frontmatter that vaultkit created goes once nothing else is left in it.
        if created > 0 and all(drop[k] or k == created for k in range(1, fm_end)):
            drop[0] = drop[created] = drop[fm_end] = True
        elif created > 0 and owned is None:
            drop[created] = True  # clean: the marker goes even if a person added keys of their own
    blocks: list[Block] = []
    n = len(lines)
    i = max(fm_end + 1, 0)
    if not any("%% vaultkit:" in x for x in lines):
        i = n  # the common case on a first run: nothing of ours below the frontmatter
    in_code = _code_lines(lines, i) if i < n else set()
    while i < n:
        line = lines[i]
        if i in in_code or "%% vaultkit:" not in line:
            i += 1
            continue
        match = _HEADER.match(strip_eol(line))
        if not match or not (owned is None or match["pass"] in owned):
            i += 1
            continue
        pre = match["pre"]
        inner = pre + ">"
        j = i + 1
        while j < n and lines[j].startswith(inner):
            j += 1
        body = [strip_eol(x) for x in lines[i + 1 : j]]
        intact = _body_hash(match["title"], body, match["fold"]) == match["out"]
        blocks.append(Block(match["pass"], match["t"], match["in"], i + 1, j, intact))
        if not intact:
            i += 1  # a person's block: look inside it too, for blocks vaultkit wrote there
            continue
        if intact:
            sep = pre.rstrip()
            for k in range(i, j):
                drop[k] = True
            after = strip_eol(lines[j]) if j < n else ""
            # A line a person typed right under the block would otherwise end up glued
            # to the target above: keep the blank line that separates them.
            human_below = not match["tail"] and after.strip() != "" and after.rstrip() != sep
            if i > 0 and strip_eol(lines[i - 1]) == sep and not drop[i - 1] and not human_below:
                drop[i - 1] = True
            if match["tail"] and j < n and strip_eol(lines[j]) == sep:
                drop[j] = True
                j += 1
        i = j
    kept: list[str] = []
    origin: list[int] = []
    for idx, line in enumerate(lines):
        if not drop[idx]:
            kept.append(line)
            origin.append(idx)
    # A block appended to a note without a final newline gave the last human line
    # an ending; take it away again.
    if kept and lines and drop[-1] and not eol(lines[-1]) and origin[-1] < n - 1:
        kept[-1] = strip_eol(kept[-1])
    return Stripped(kept, origin, tuple(blocks), had_keys)


def _code_lines(lines: list[str], start: int) -> set[int]:
    """Lines that are code, where a vaultkit header would be a quoted example, not a block.

    A cheap fence scan finds candidates; only when a header sits in one does the
    real parser decide (fences inside HTML blocks fool a line scan).
    """
    if not any("```" in x or "~~~" in x for x in lines):
        return set()
    naive = _fenced(lines, start)
    if not any("%% vaultkit:" in lines[k] for k in naive):
        return set()
    from vaultkit.markdown import block_parser

    code: set[int] = set()
    for tok in block_parser().parse("".join(lines)):
        if tok.type in ("fence", "code_block", "html_block") and tok.map:
            if tok.type == "fence" and (tok.map[1] - tok.map[0] < 2 or not _closes(lines[tok.map[1] - 1], tok.markup)):
                continue  # an unclosed fence runs to the end of the note: what vaultkit appended is still ours
            code.update(range(tok.map[0], tok.map[1]))
    return code


def _closes(line: str, markup: str) -> bool:
    """Is this the closing line of a fence opened with `markup`?"""
    bare = _unquote(strip_eol(line)).strip()
    return len(bare) >= len(markup) and set(bare) == {markup[0]}


def _fenced(lines: list[str], start: int) -> set[int]:
    """Indices of lines inside closed code fences: a block shown inside code is text, not ours.

    An unclosed fence is ignored, so a block vaultkit appended after one is still found.
    """
    inside: set[int] = set()
    opened = -1
    marker = ""
    for i in range(start, len(lines)):
        m = _FENCE.match(_unquote(lines[i]))
        if not m:
            continue
        if opened < 0:
            opened, marker = i, m.group(1)
        elif m.group(1)[0] == marker[0] and len(m.group(1)) >= len(marker):
            inside.update(range(opened, i + 1))
            opened = -1
    return inside


def _unquote(line: str) -> str:
    """A line without its quote markers (fences can sit inside callouts)."""
    return re.sub(r"^(?:[ ]{0,3}>[ ]?)+", "", line)


def _frontmatter_end(lines: list[str]) -> int:
    """Index of the closing `---` of frontmatter starting at line 0, or -1."""
    if not lines or strip_eol(lines[0]).rstrip() != "---":
        return -1
    for i in range(1, len(lines)):
        if strip_eol(lines[i]).rstrip() == "---":
            return i
    return -1


frontmatter_end = _frontmatter_end
