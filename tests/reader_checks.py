"""What a run added to a vault, as a reader meets it: shared by bench/reader_view.py and the tests that
hold vaultkit to it (issue 16: one quiet callout per answer, exact links, clean text, few properties)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from vaultkit.config import Config
from vaultkit.markdown import reading_parser
from vaultkit.note import parse_note
from vaultkit.text import split_lines, strip_eol

LINK = re.compile(r"\[\[([^\]|#]*)#([^\]|]+)(?:\|[^\]]*)?\]\]")  # (no note: the same note; |alias)
HEADING = re.compile(r"^(?:> ?)*(#{1,6}) (.*)")
QUOTES = re.compile(r"^(?:[ ]{0,3}>[ ]?)+")


@dataclass
class Seen:
    """The measures, summed over the notes vaultkit wrote (`most_properties`: the most on one note)."""

    notes: int = 0
    before: int = 0
    grown: int = 0
    targets: int = 0
    callouts: int = 0
    misplaced: int = 0  # callouts not right after an AI target, targets without exactly one, callouts inside AI text
    most_properties: int = 0
    backslashes: int = 0
    needless: int = 0
    bad_links: int = 0
    repeated_links: int = 0

    @property
    def growth(self) -> float:
        return self.grown / max(self.before, 1)

    def lines(self) -> list[str]:
        return [
            f"growth of the notes: {self.growth:.1%} ({self.before} -> {self.before + self.grown} bytes)",
            f"managed callouts: {self.callouts} ({self.callouts / max(self.targets, 1):.1f} per AI target); "
            f"not right after an AI target, inside one, or a target without exactly one: {self.misplaced}",
            f"most vaultkit_* properties on one note: {self.most_properties}",
            f"backslashes in managed callouts: {self.backslashes}, needless: {self.needless}",
            f"heading links that do not open exactly one heading: {self.bad_links}; "
            f"links listed twice in a list: {self.repeated_links}",
        ]


def opens(text: str, fragment: str) -> int:
    """How many headings of `text` a `#A#B` fragment can mean: those named B with the A's among their
    ancestors, in order (Obsidian opens the first; a reader cannot tell which was meant)."""
    heads, stack = [], []  # type: ignore[var-annotated]
    for line in text.split("\n"):
        m = HEADING.match(line)
        if m:
            level, name = len(m.group(1)), " ".join(re.sub(r"[\[\]|#^]", " ", m.group(2)).split()).casefold()
            while stack and stack[-1][0] >= level:
                stack.pop()
            heads.append((name, [s[1] for s in stack]))
            stack.append((level, name))
    *parents, last = fragment.casefold().split("#")

    def below(chain: list[str]) -> bool:
        it = iter(chain)
        return all(any(p == c for c in it) for p in parents)

    return sum(1 for name, chain in heads if name == last and below(chain))


def needless(line: str) -> int:
    """Backslashes in a callout line that change nothing there when taken out."""
    md = reading_parser()
    body = QUOTES.sub("", line)
    base = md.render(body)
    return sum(1 for i, c in enumerate(body) if c == "\\" and (i == 0 or body[i - 1] != "\\")
               and md.render(body[:i] + body[i + 1:]) == base)


def measure(before: Path, after: Path, paths: Iterable[str], config: Config) -> Seen:
    """Compare each note under `before` with what vaultkit wrote under `after`."""
    seen = Seen()
    for rel in paths:
        old, new = (before / rel).read_bytes(), (after / rel).read_bytes()
        seen.notes += 1
        seen.before += len(old)
        seen.grown += len(new) - len(old)
        text = new.decode("utf-8")
        note = parse_note(new, rel, config.vaultkit)
        blocks = [b for b in note.blocks if b.intact]
        seen.targets += len(note.targets)
        seen.callouts += len(blocks)
        seen.misplaced += _misplaced(note, config)
        seen.most_properties = max(seen.most_properties, len(set(re.findall(r"(?m)^vaultkit_\w+", text))))
        lines = [strip_eol(x) for x in split_lines(text)]
        for b in blocks:
            listed: list[str] = []
            for line in lines[b.line - 1:b.end_line]:
                if "%%vaultkit:" in line:  # a section of an answer's callout: a list of its own
                    listed = []
                seen.backslashes += line.count("\\")
                seen.needless += needless(line)
                for name, fragment in LINK.findall(line):
                    target = next(after.rglob(f"{name}.md"), None) if name else after / rel
                    if target is None or opens(target.read_text(encoding="utf-8"), fragment) != 1:
                        seen.bad_links += 1
                links = re.findall(r"\[\[[^\]]+\]\]", line)
                seen.repeated_links += sum(1 for link in links if link in listed)
                listed += links
    return seen


def _misplaced(note: object, config: Config) -> int:
    """Managed callouts that do not sit right after an AI target or sit inside AI text, and (layout
    "answer") targets without exactly one. vaultkit's own parser reads the note: where each callout
    was, and the targets once they are out."""
    blocks = [b for b in note.blocks if b.intact]  # type: ignore[attr-defined]
    targets = note.targets  # type: ignore[attr-defined]
    after = [b.after for b in blocks]
    ends = [t.end_line for t in targets]
    # (inside AI text: within a callout target that does not end there; a whole AI note holds its callouts)
    inside = sum(1 for a in after for t in targets if t.kind == "callout" and t.line <= a < t.end_line)
    if config.vaultkit.layout != "answer" or any(b.pass_name for b in blocks):  # (per-pass callouts: "passes")

        return inside + sum(1 for a in after if a not in ends and not any(t.line <= a <= t.end_line for t in targets))
    return inside + sum(1 for a in after if a not in ends) + sum(1 for e in ends if after.count(e) != 1)
