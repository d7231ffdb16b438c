"""The hand-labelled check-worthiness corpus for the claims pass (issue 4): its shape only.

Every note in `tests/claims_corpus/` holds AI text, either in `> [!ai]` callouts or as
the body of a note whose frontmatter says `ai: true`, and ends with an Obsidian comment
that labels every sentence of that AI text, one row per sentence:

    %%
    claim: 7 Canberra is the capital of Australia, not Sydney.
    not: 9 Step 2: ask three installers for itemised quotes.
    %%

`<line>` is the 1-based file line on which the sentence starts; the text is the sentence
exactly as written (emphasis and citation markers kept, the `> ` quote prefix and any list
marker left out). A sentence wrapped over several lines is written on one row, its line
breaks (and their `> ` prefixes) replaced by one space.

`claim` is a check-worthy factual claim as issue 4 defines it: figures, percentages, money
and multipliers, dates, comparisons and superlatives, named entities and attributions, and
digit-free facts ("Canberra is the capital of Australia"). `not` is everything else:
hedges and speculation, questions, imperatives and advice, meta-text, pure opinion, and
digit-bearing non-claims ("in the next 3 sections", a recipe's "400 g di spaghetti").

What is not labelled: Markdown headings, the callout header line, and reference lists
(from a `Citations:`/`Sources:`/`References:`/`Quellen:` line to the end of the callout or
note); text outside the AI text (the human's own lines) is never labelled. Every other
non-blank character of the AI text belongs to exactly one labelled sentence, which the
coverage test checks, so a sentence left out or labelled twice is caught.

These tests validate the corpus only; the pass's own scores against it live elsewhere.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

CORPUS = Path(__file__).resolve().parent / "claims_corpus"

_BLOCK = re.compile(r"\n%%\n((?:(?:claim|not)(?: cited)?: [^\n]*\n)+)%%\n?\Z")
_ROW = re.compile(r"^(claim|not)( cited)?: (\d+) (\S.*)$")
_QUOTE = re.compile(r"^(?:>[ \t]?)+")
_LIST = re.compile(r"^(?:[-*+]|\d+[.)])[ \t]+")
_CALLOUT = re.compile(r"^>\s*\[!ai\][+-]?", re.IGNORECASE)
_REFS = re.compile(r"^(?:Citations|Sources|References|Quellen|Fuentes|Références)\s*:\s*$", re.IGNORECASE)
_FRONTMATTER = re.compile(r"\A---\n(.*?)\n---\n", re.S)


@dataclass(frozen=True)
class Label:
    kind: str  # "claim" or "not"
    line: int  # 1-based file line where the sentence starts
    text: str
    cited: bool = False  # the sentence itself carries a citation (labelled in the real-answer set)


def notes() -> list[Path]:
    return sorted(CORPUS.glob("*.md"))


def split(text: str) -> tuple[str, list[Label]]:
    """(the note without its label block, the labels); AssertionError if there is no block."""
    m = _BLOCK.search(text)
    assert m, "no label block (%%\\nclaim|not: <line> <sentence>\\n…%%) at the end"
    labels = []
    for row in m.group(1).splitlines():
        rm = _ROW.match(row)
        assert rm, f"bad label row {row!r}"
        labels.append(Label(rm.group(1), int(rm.group(3)), rm.group(4), bool(rm.group(2))))
    return text[: m.start()], labels


def ai_lines(body: str) -> dict[int, str]:
    """Line number -> the line's text (quote prefix and list marker stripped) for every
    labellable line of AI text: callout bodies, or the whole body of an `ai: true` note,
    without headings, callout headers, blank lines and reference lists."""
    lines = body.split("\n")
    out: dict[int, str] = {}
    fm = _FRONTMATTER.match(body)
    whole = bool(fm and re.search(r"(?m)^ai:\s*true\s*$", fm.group(1)))
    start = fm.group(0).count("\n") if fm else 0
    in_callout = in_refs = False
    for i, raw in enumerate(lines[start:], start=start + 1):
        if whole:
            content = raw
        else:
            if _CALLOUT.match(raw):
                in_callout, in_refs = True, False
                continue
            if not raw.startswith(">"):
                in_callout = in_refs = False
            if not in_callout:
                continue
            content = _QUOTE.sub("", raw)
        if _REFS.match(content.strip()):
            in_refs = True
        if in_refs or not content.strip() or content.lstrip().startswith("#"):
            continue
        out[i] = _LIST.sub("", content.strip())
    return out


def problems(text: str) -> list[str]:
    """Everything wrong with one corpus note's labels; empty when it is sound."""
    try:
        body, labels = split(text)
    except AssertionError as e:
        return [str(e)]
    errors: list[str] = []
    n_lines = body.count("\n") + 1
    seen: set[tuple[int, str]] = set()
    for lab in labels:
        if (lab.line, lab.text) in seen:
            errors.append(f"labelled twice: {lab.line} {lab.text!r}")
        seen.add((lab.line, lab.text))
        if not 1 <= lab.line <= n_lines:
            errors.append(f"line {lab.line} outside the note ({n_lines} lines)")
    ai = ai_lines(body)
    # One stream of the AI text, line by line, to find each sentence where it starts.
    order = sorted(ai)
    offsets: dict[int, int] = {}
    stream = ""
    for ln in order:
        offsets[ln] = len(stream)
        stream += ai[ln] + "\n"
    covered = [0] * len(stream)
    for lab in labels:
        if lab.line not in ai:
            if 1 <= lab.line <= n_lines:
                errors.append(f"line {lab.line} is not a line of AI text: {lab.text!r}")
            continue
        line_start = offsets[lab.line]
        line_end = line_start + len(ai[lab.line])
        pattern = re.compile(r"\s+".join(re.escape(w) for w in lab.text.split()))
        m = pattern.search(stream, line_start)
        if not m or m.start() >= line_end:
            errors.append(f"sentence not found starting on line {lab.line}: {lab.text!r} (line: {ai[lab.line]!r})")
            continue
        for k in range(m.start(), m.end()):
            covered[k] += 1
    for ln in order:
        start = offsets[ln]
        for k, ch in enumerate(ai[ln]):
            if ch.isspace():
                continue
            if covered[start + k] == 0:
                errors.append(f"line {ln}: text not in any labelled sentence: {ai[ln][k:]!r}")
                break
            if covered[start + k] > 1:
                errors.append(f"line {ln}: text in more than one labelled sentence: {ai[ln][k:]!r}")
                break
    return errors


def all_labels() -> list[Label]:
    return [lab for p in notes() for lab in split(p.read_text(encoding="utf-8"))[1]]


def test_corpus_is_big_and_varied() -> None:
    paths = notes()
    assert len(paths) >= 25
    labels = all_labels()
    assert len(labels) >= 400
    texts = [p.read_text(encoding="utf-8") for p in paths]
    assert sum(bool(re.search(r"(?m)^ai: true$", t)) for t in texts) >= 3, "a few `ai: true` articles"
    assert sum(bool(_CALLOUT.search(t) or re.search(r"(?m)^>\s*\[!ai\]", t)) for t in texts) >= 20, "callout answers"
    joined = "\n".join(lab.text for lab in labels)
    for needle in ("et al.", "e.g.", "U.S.", "vs.", "1.58-bit", "×", "[1]", "**"):
        assert needle in joined, f"no labelled sentence contains {needle!r}"
    wrapped = wrapped_sentences(paths)
    assert wrapped >= 10, "sentences wrapped over several lines"


def test_class_balance() -> None:
    labels = all_labels()
    share = sum(lab.kind == "claim" for lab in labels) / len(labels)
    assert 0.25 <= share <= 0.60, f"{share:.1%} claims"


@pytest.mark.parametrize("path", notes(), ids=lambda p: p.stem)
def test_note_labels_are_sound(path: Path) -> None:
    errors = problems(path.read_text(encoding="utf-8"))
    assert not errors, f"{path.name}:\n  " + "\n  ".join(errors)


def wrapped_sentences(paths: list[Path]) -> int:
    """How many labelled sentences start on a line that does not hold all of them (wrapped over lines)."""
    return sum(
        1
        for p in paths
        for lab in split(p.read_text(encoding="utf-8"))[1]
        if lab.text not in _QUOTE.sub("", p.read_text(encoding="utf-8").split("\n")[lab.line - 1])
    )


def _damage(text: str, how: str) -> str:
    body, labels = split(text)
    rows = [f"{lab.kind}: {lab.line} {lab.text}" for lab in labels]
    if how == "no-block":
        return body + "\n"
    if how == "shift-line":
        rows[0] = f"{labels[0].kind}: {labels[0].line + 1} {labels[0].text}"
    elif how == "line-out-of-range":
        rows[0] = f"{labels[0].kind}: 9999 {labels[0].text}"
    elif how == "edit-text":
        rows[0] = f"{labels[0].kind}: {labels[0].line} {labels[0].text.replace(' ', '  X ', 1)}"
    elif how == "duplicate":
        rows.append(rows[0].replace("claim:", "not:") if rows[0].startswith("claim") else rows[0].replace("not:", "claim:"))
    elif how == "drop":
        rows.pop()
    elif how == "edit-note":
        first = labels[0]
        lines = body.split("\n")
        lines[first.line - 1] = lines[first.line - 1].replace(first.text.split()[0], "Zzz", 1)
        body = "\n".join(lines)
    return body + "\n%%\n" + "\n".join(rows) + "\n%%\n"


@pytest.mark.parametrize(
    "how", ["no-block", "shift-line", "line-out-of-range", "edit-text", "duplicate", "drop", "edit-note"]
)
def test_validator_catches_damage(how: str) -> None:
    """The checks above would fail on a damaged note (a label moved, edited, repeated or lost)."""
    for path in notes()[:5]:
        text = path.read_text(encoding="utf-8")
        assert not problems(text)
        assert problems(_damage(text, how)), f"{how} on {path.name} went unnoticed"
