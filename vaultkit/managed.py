"""vaultkit's own marks in a note: managed callouts and frontmatter keys, found and stripped.

A managed callout looks like this (depth 1; nested targets get more `> `):

    <blank line owned by the block>
    > [!vaultkit]- stats %% vaultkit:stats t=<target> in=<input> out=<body> %%
    > 412 words · 18 sentences · 3 citation markers

With `layout = "answer"` (the default) a target gets one callout, whose sections are the passes'
(`h=` names the pass behind each phrase of the title, `%%vaultkit:<pass>[/<section>]%%` opens each
section, so a run of some passes keeps the others' sections as they are):

    > [!vaultkit]- vaultkit — 2 problems %% vaultkit:answer t=<target> out=<body> h=citations %%

    > **Problems** %%vaultkit:citations/problems%%
    > - [ ] [4] has no entry in the reference list (line 12) %%vk:<finding key>%%

`out` hashes the block as vaultkit wrote it, so a block a person edited is
recognised and left alone (human edits win); a task box's state (and what a tasks
plugin appends after the key) is not part of it: a ticked box is a dismissal, not
an edit. `tail` after the hashes records that vaultkit also added a blank line
after the block, so `clean` can remove exactly what `run` added.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass, replace
from typing import Sequence

from vaultkit.tasks import tasks, ticked_key, untick
from vaultkit.text import digest, eol, strip_eol

CALLOUT_TYPE = "vaultkit"
CREATED_KEY = "frontmatter"  # `<prefix>frontmatter: created` marks frontmatter vaultkit made
CREATED_VALUE = "created"
FOLD = "-"  # managed callouts start collapsed
_FENCE = re.compile(r"^[ ]{0,3}(`{3,}|~{3,})")

MARK = "%% vaultkit:"  # in every header line: a line without it is not looked at
_HEADER = re.compile(
    r"^(?P<pre>[ \t>]*?)> \[!" + CALLOUT_TYPE + r"\](?P<fold>[+-]?) (?P<title>.*?) "
    r"%% vaultkit:(?:(?P<pass>[^\s%]+) t=(?P<t>[0-9a-f]+) in=(?P<in>[0-9a-f]+)"
    r"|answer t=(?P<at>[0-9a-f]+))"
    r" out=(?P<out>[0-9a-f]+)(?: h=(?P<h>[^\s%]+))?(?: x=(?P<x>[^\s%]+))?(?P<tail> tail)? %%$"
)
# A section of an answer's callout starts on a row ending in this; a task row ends in its key.
_PART = re.compile(r" %%vaultkit:(?P<pass>[^\s%/]+)(?:/(?P<section>[^\s%]+))?%%$")


@dataclass(frozen=True, slots=True)
class Part:
    """A pass's section of an answer's callout, as written: rows without the block's quote prefix."""

    pass_name: str
    section: str
    rows: tuple[str, ...]
    phrase: str = ""  # its words in the callout's title


@dataclass(frozen=True, slots=True)
class Block:
    """A managed callout found in a note, in file lines (1-based, inclusive)."""

    pass_name: str
    target_id: str
    input_hash: str
    line: int
    end_line: int
    intact: bool  # False when a person edited it: then it is theirs
    parts: tuple[Part, ...] = ()  # an answer's callout: its sections (pass_name is then '')
    after: int = 0  # the `lines` line (1-based) it followed once stripped: its target's last line
    ticked: tuple[tuple[str, str], ...] = ()  # (pass, key) of the findings ticked off in it (`x=` too)


@dataclass(frozen=True, slots=True)
class Stripped:
    """A note's lines without vaultkit's marks, and where each kept line came from."""

    lines: list[str]
    origin: list[int]  # origin[i] = 0-based file line of kept line i
    blocks: tuple[Block, ...]
    had_keys: bool
    dismissed: dict[str, frozenset[str]]  # by pass: the keys of the task rows a person ticked
    keys: tuple[tuple[str, tuple[str, ...]], ...] = ()  # other passes' frontmatter keys, lifted: (pass, lines)


def block_lines(
    pass_name: str, target_id: str, input_hash: str, pre: str, title: str, body: str, nl: str, tail: bool,
    dismissed: frozenset[str] = frozenset(),
) -> list[str]:
    """Render one managed callout (without its separator lines), every line ending in `nl`."""
    title = _one_line(title)
    rows = [tasks(safe(r), dismissed) for r in body.strip("\n").split("\n")] if body.strip() else []
    body_lines = [f"{pre}> {r}" if r else f"{pre}>" for r in rows]
    out = _body_hash(title, body_lines, FOLD)
    flag = " tail" if tail else ""
    header = f"{pre}> [!{CALLOUT_TYPE}]{FOLD} {title} %% vaultkit:{pass_name} t={target_id} in={input_hash} out={out}{flag} %%"
    return [line + nl for line in [header, *body_lines]]


def answer_lines(target_id: str, pre: str, title: str, owners: list[str], rows: list[str], nl: str,
                 tail: bool, held: Sequence[str] = ()) -> list[str]:
    """Render an answer's one callout from its finished rows (safe, sections marked, tasks keyed);
    `held`: `pass:key` of ticked findings the callout does not list this time, kept in its header."""
    title = _one_line(title)
    body_lines = [f"{pre}> {r}" if r else f"{pre}>" for r in rows]
    kept = ",".join(sorted(held))
    out = _body_hash(title, body_lines, FOLD, f"{target_id} {','.join(owners)}{' ' + kept if kept else ''}")
    flags = (f" h={','.join(owners)}" if owners else "") + (f" x={kept}" if kept else "") + (" tail" if tail else "")

    header = f"{pre}> [!{CALLOUT_TYPE}]{FOLD} {title} {MARK}answer t={target_id} out={out}{flags} %%"
    return [line + nl for line in [header, *body_lines]]


def part_mark(pass_name: str, section: str) -> str:
    """What ends the first row of a pass's section in an answer's callout."""
    return f" %%vaultkit:{pass_name}{'/' + section if section else ''}%%"


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
    return safe(" ".join(text.split())) or "vaultkit"


def safe(row: str) -> str:
    """Keep a rendered row inside its callout: no `%%` (our marker) and no stray CR."""
    row = row.replace("\r", " ").replace("%%", "%\u200b%").rstrip()
    return "\\" + row if _FENCE.match(row) else row  # a fence inside our block would hide what follows



def _body_hash(title: str, body_lines: list[str], fold: str, names: str = "") -> str:
    """Covers everything a person might change: the fold state, the title and the body (and an answer's
    callout's target and the owners of its title's phrases), but not the state of a task box (or what
    follows its key): ticking one is how a person dismisses a finding."""
    rows = [untick(r) if "%%vk:" in r else r for r in body_lines]
    return digest(fold, title, *rows, size=6) if not names else digest(fold, title, names, *rows, size=6)


def _read_body(match: re.Match[str], body: list[str]) -> tuple[tuple[Part, ...], dict[str, set[str]]]:
    """An intact callout's sections (an answer's) and the keys of the task rows ticked in it, by pass."""
    pre = match["pre"] + ">"
    rows = [r[len(pre) + 1:] if r.startswith(pre + " ") else r[len(pre):] for r in body]
    ticked: dict[str, set[str]] = {}
    owner = match["pass"]
    parts: list[tuple[str, str, list[str]]] = []
    for row in rows:
        mark = _PART.search(row) if match["pass"] is None else None
        if mark is not None:
            owner = mark["pass"]
            parts.append((owner, mark["section"] or "", []))
        if parts:
            parts[-1][2].append(row)
        key = ticked_key(row) if "%%vk:" in row else None
        if key is not None and owner is not None:
            ticked.setdefault(owner, set()).add(key)
    for held in (match["x"] or "").split(","):  # (ticked off, not listed last time: see answer_lines)
        name, _, key = held.rpartition(":")
        if name and _KEY_ONLY.fullmatch(key):
            ticked.setdefault(name, set()).add(key)
    if match["pass"] is not None:
        return (), ticked
    names = match["h"].split(",") if match["h"] else []
    title = _DISMISSED.sub("", match["title"].removeprefix(TITLE))
    phrases = title.split(" · ") if names else []
    said = dict(zip(names, phrases)) if len(phrases) == len(names) else {}
    out = []
    for name, section, own in parts:
        while own and not own[-1].strip():
            own.pop()
        out.append(Part(name, section, tuple(own), said.pop(name, "")))
    return tuple(out), ticked


TITLE = "vaultkit — "  # an answer's callout title starts so; its phrases follow, joined by " · "
_DISMISSED = re.compile(r" · \d+ dismissed$")  # the count vaultkit appends to the title
_KEY_ONLY = re.compile(r"[0-9a-f]{8}")



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
    run-then-clean restores the exact bytes by construction. Callouts of passes not
    in `owned` stay where they are; their frontmatter keys are lifted out as they are
    (`Stripped.keys`), to be put back in order with the fresh ones.
    """

    def mine(name: str) -> bool:
        return owned is None or key_owner(name, owned | known) in owned

    drop = [False] * len(lines)
    had_keys = False
    lifted: list[tuple[str, tuple[str, ...]]] = []
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
            elif name is not None and (mine(name) or key_owner(name, known) is not None):
                had_keys = True
                drop[i] = True
                j = i + 1
                while j < fm_end and lines[j][:1] in (" ", "\t"):
                    drop[j] = True
                    j += 1
                if not mine(name):
                    lifted.append((str(key_owner(name, known)), tuple(lines[i:j])))
                i = j
            else:
                i += 1
        # Frontmatter that vaultkit created goes once nothing else is left in it.
        if created > 0 and all(drop[k] or k == created for k in range(1, fm_end)):
            drop[0] = drop[created] = drop[fm_end] = True
        elif created > 0 and owned is None:
            drop[created] = True  # clean: the marker goes even if a person added keys of their own
    blocks: list[Block] = []
    dismissed: dict[str, set[str]] = {}
    n = len(lines)
    i = max(fm_end + 1, 0)
    if not any(MARK in x for x in lines):
        i = n  # the common case on a first run: nothing of ours below the frontmatter
    in_code = _code_lines(lines, i) if i < n else set()
    while i < n:
        line = lines[i]
        if i in in_code or MARK not in line:
            i += 1
            continue
        match = _HEADER.match(strip_eol(line))
        # (an answer's callout is always taken out: the sections of passes not run are put back)
        if not match or not (owned is None or match["pass"] is None or match["pass"] in owned):
            i += 1
            continue
        pre = match["pre"]
        inner = pre + ">"
        j = i + 1
        while j < n and lines[j].startswith(inner):
            j += 1
        body = [strip_eol(x) for x in lines[i + 1 : j]]
        names = f"{match['at']} {match['h'] or ''}{' ' + match['x'] if match['x'] else ''}" if match["pass"] is None else ""

        intact = _body_hash(match["title"], body, match["fold"], names) == match["out"]
        parts: tuple[Part, ...] = ()
        ticked: dict[str, set[str]] = {}
        if intact:
            parts, ticked = _read_body(match, body)
            for name, keys in ticked.items():
                dismissed.setdefault(name, set()).update(keys)
        blocks.append(Block(match["pass"] or "", match["t"] or match["at"], match["in"] or "", i + 1, j, intact, parts,
                            ticked=tuple((name, key) for name, keys in sorted(ticked.items()) for key in sorted(keys))))
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
    placed = tuple(replace(b, after=bisect_left(origin, b.line - 1)) for b in blocks)
    return Stripped(kept, origin, placed, had_keys, {k: frozenset(v) for k, v in dismissed.items()}, tuple(lifted))


def _code_lines(lines: list[str], start: int) -> set[int]:
    """Lines that are code, where a vaultkit header would be a quoted example, not a block.

    A cheap fence scan finds candidates; only when a header sits in one does the
    real parser decide (fences inside HTML blocks fool a line scan).
    """
    if not any("```" in x or "~~~" in x for x in lines):
        return set()
    naive = _fenced(lines, start)
    if not any(MARK in lines[k] for k in naive):
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
