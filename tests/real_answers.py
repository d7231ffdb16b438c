"""Measuring the claims and summaries passes on real AI answers (`tests/claims_real/`), end to end.

Each note there is real AI output that nobody on the team wrote (`claims_real/SOURCES.md` says where
it came from), in the labelled-corpus format (`test_claims_corpus.py`), with one more flag per row:
` cited` when the sentence itself carries a citation. The passes run on the note as they would in a
vault, so segmentation, references, labels and fragments count, not only the score of a sentence
handed to the scorer. Shared by `test_claims_real.py` (the bars) and `bench/claims_real.py` (the
report in BENCHMARKS.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from test_claims_corpus import Label, split
from vaultkit.config import VaultConfig
from vaultkit.note import parse_note
from vaultkit.passes import Context

REAL = Path(__file__).resolve().parent / "claims_real"
# `dev` (a, b): public notes looked at while the passes were improved (their errors were read).
# `more` (t): public notes labelled as training data; training on them did not help (BENCHMARKS.md),
# so they are measured instead; their errors were not read. `unseen` (c): public notes measured once,
# when the work was done. `seeds` (s): excerpts of the five notes the project began with, which are
# also in sample_vault/ (looked at while the passes were built).
GROUPS = {"public": ("a", "b", "c", "t"), "dev": ("a", "b"), "more": ("t",), "unseen": ("c",), "seeds": ("s",)}

_LABEL = re.compile(r"^(?:\*\*|__)[^*_\n]{1,80}?(?::\s*(?:\*\*|__)|(?:\*\*|__)\s*:)\s*")
_NOISE = re.compile(r"[*_`\"“”‘’']|\[\d{1,3}(?:[,;–-]\s*\d{1,3})*\]|\[\^[^\]]+\]|【[^】]*】")


def notes(group: str | None = None) -> list[Path]:
    """The real-answer notes, all or one group's."""
    paths = sorted(p for p in REAL.glob("*.md") if p.name != "SOURCES.md")
    return [p for p in paths if group is None or p.name[0] in GROUPS[group]]


def norm(text: str) -> str:
    """A sentence as compared: no bold label, emphasis, quotes or markers; spaces collapsed; lower case."""
    return " ".join(_NOISE.sub("", _LABEL.sub("", text.strip())).split()).casefold()


@dataclass
class Tally:
    """Counts over notes, and what went wrong, for a report."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    cover_right: int = 0
    cover_total: int = 0
    wrong: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def cover(self) -> float:
        return self.cover_right / self.cover_total if self.cover_total else 0.0


def _parsed(path: Path) -> tuple[Any, list[Label]]:
    raw = path.read_bytes()
    _, labels = split(raw.decode("utf-8"))
    return parse_note(raw, path.name, VaultConfig()), labels


def _match(found: str, line: int, labels: list[Label]) -> Label | None:
    """The labelled sentence a finding quotes: the same start line (or one the label spans), and one
    text inside the other (the segmenter and a person may cut a sentence a little differently)."""
    best, overlap = None, 0
    for lab in labels:
        if not lab.line <= line <= lab.line + lab.text.count("  ") + 3:
            continue
        gold = norm(lab.text)
        if gold and (found in gold or gold in found):
            size = min(len(found), len(gold))
            if size > overlap:
                best, overlap = lab, size
    return best


def claims(paths: Iterable[Path], options: dict[str, Any] | None = None) -> Tally:
    """Precision and recall of the claims pass's findings against the labels, and how often its
    `cover == "sentence"` agrees with the label's ` cited`."""
    from vaultkit_plugins.claims import ClaimsPass

    tally = Tally()
    for path in paths:
        note, labels = _parsed(path)
        result = ClaimsPass().analyze(note, Context(vault=REAL, options=options or {}))
        matched: set[Label] = set()
        for f in result.findings:
            if f.kind != "claim":
                continue
            line = note.file_line(f.line)
            lab = _match(norm(str(f.data["text"])), line, labels)
            if lab is not None and lab.kind == "claim":
                tally.tp += 1
                matched.add(lab)
                tally.cover_total += 1
                if (f.data.get("cover") == "sentence") == lab.cited:
                    tally.cover_right += 1
                else:
                    tally.wrong.append(f"cover {f.data.get('cover', ''):9} vs cited={lab.cited} {path.stem}:{line} {lab.text[:100]}")
            else:
                tally.fp += 1
                why = "not" if lab is not None else "unlabelled"
                tally.wrong.append(f"FP ({why}) {f.data['score']:5.2f} {path.stem}:{line} {f.data['text'][:120]}")
        for lab in labels:
            if lab.kind == "claim" and lab not in matched:
                tally.fn += 1
                tally.wrong.append(f"FN {path.stem}:{lab.line} {lab.text[:120]}")
    return tally


# What a summary must never be or hold (written from the issue, apart from the passes' own rules).
_REFERENCE = re.compile(r"\[[A-Z][^\]]{0,300}\(\d{4}[a-z]?\)|^\s*\[\d{1,3}\]\s|\(Pause to verify|\(Final review", re.I)
_META_START = re.compile(
    r"^(?:here(?:'s| is| are)|let me|let's|sure|certainly|of course|great question|i hope|below|the following|"
    r"you(?:'re| are) (?:absolutely )?(?:right|correct)|upon review|your (?:summary|draft|question))\b", re.I)


def summary_defects(text: str) -> list[str]:
    """Why a summary fails a reader: a reference or editor's note in it, a list intro's colon at its
    end, meta-text at its start, or a question."""
    out = []
    if _REFERENCE.search(text):
        out.append("reference or editor's note")
    if text.rstrip().endswith(":"):
        out.append("ends with a colon")
    if _META_START.match(text.strip()):
        out.append("starts with meta-text")
    if text.rstrip().endswith("?"):
        out.append("a question")
    return out


@dataclass
class SummaryReport:
    answers: int = 0  # answers (whole targets) that got a summary
    clean: int = 0  # ... free of the defects
    leads: int = 0  # answers whose first sentence is a labelled claim (the lead states the answer)
    lead_kept: int = 0  # ... whose summary includes it
    wrong: list[str] = field(default_factory=list)


def summaries(paths: Iterable[Path]) -> SummaryReport:
    """Every whole-answer and section summary checked for the defects; each answer's summary checked
    for its lead where the lead is a claim."""
    from vaultkit_plugins.summaries import SummariesPass

    report = SummaryReport()
    for path in paths:
        note, labels = _parsed(path)
        result = SummariesPass().analyze(note, Context(vault=REAL))
        for f in result.findings:
            if f.kind != "summary":
                continue
            text = str(f.data["text"])
            defects = summary_defects(text)
            whole = any(t.line == f.line and t.end_line == f.end_line for t in note.targets)
            if not whole:
                if defects:
                    report.wrong.append(f"section {path.stem}:{note.file_line(f.line)} {defects}: {text[:120]}")
                continue
            report.answers += 1
            report.clean += not defects
            if defects:
                report.wrong.append(f"answer {path.stem}:{note.file_line(f.line)} {defects}: {text[:120]}")
            first_line, last_line = note.file_line(f.line), note.file_line(f.end_line)
            mine = [lab for lab in labels if first_line <= lab.line <= last_line]
            if mine and mine[0].kind == "claim":
                report.leads += 1
                if norm(mine[0].text)[:60] in norm(text):
                    report.lead_kept += 1
                else:
                    report.wrong.append(f"lead left out {path.stem}:{mine[0].line} {mine[0].text[:80]} | {text[:80]}")
    return report
