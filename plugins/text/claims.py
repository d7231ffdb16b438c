"""The check-worthy claims of one target and the citation cover of each: found once per note, for
the claims pass (which lists them) and the support pass (which checks the cited ones)."""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import Any

from vaultkit import Note, Target

from .asides import REFERENCE, SENTENCE
from .language import is_english
from .references import citation_kind, may_have_citation
from .sentences import Sentence, sentences, split_label
from .worthy import THRESHOLD, can_score, is_short, score

COVERS = ("sentence", "paragraph", "none")  # where a claim's citation is: its own sentence, its paragraph, nowhere


@dataclass(frozen=True, slots=True)
class Claim:
    """One check-worthy sentence: what it claims (a bold label apart), its score and its cover."""

    index: int  # its place in `Found.units`
    unit: Sentence
    text: str  # the sentence without the bold label that opens its paragraph
    label: str
    score: float
    signals: dict[str, float]
    cover: str  # one of COVERS


@dataclass(frozen=True)
class Found:
    """A target's claims, the units they were found among, and whether a work is cited (not only linked)."""

    claims: tuple[Claim, ...]
    units: tuple[Sentence, ...]
    work: bool


_MEMO: weakref.WeakKeyDictionary[Note, dict[tuple[int, int, str, float], Found]] = weakref.WeakKeyDictionary()


def find_claims(note: Note, target: Target, threshold: float = THRESHOLD, lookups: Any = None) -> Found:
    """The target's claims at `threshold`, computed once per note object (both passes ask)."""
    memo = _MEMO.setdefault(note, {})
    key = (target.line, target.end_line, target.id, threshold)
    found = memo.get(key)
    if found is None:
        found = memo[key] = _find(note, target, threshold, lookups)
    return found


def _find(note: Note, target: Target, threshold: float, lookups: Any) -> Found:
    english = is_english(target.text)
    if not can_score(target.text, english, threshold):  # (another language and no digit: no claim)
        return Found((), (), False)
    worth = None if threshold <= 0 else (lambda t: not is_short(t) and can_score(t, english, threshold))
    units = sentences(note, target, worth, lookups)
    own = Cover(units, may_have_citation(target.text))
    out = []
    for i, s in enumerate(units):
        if s.kind != SENTENCE:
            continue
        value, signals = score(s.text, english)
        if value < threshold:
            continue
        # A bold label opening a paragraph or list item is not part of what the sentence claims.
        first = i == 0 or units[i - 1].paragraph != s.paragraph
        label, quoted = split_label(s.text) if first else ("", s.text)
        cover = "sentence" if own.of(i) else "paragraph" if own.near(i) else "none"
        out.append(Claim(i, s, quoted or s.text, label, value, signals, cover))
    return Found(tuple(out), tuple(units), own.work)


class Cover:
    """Which units carry their own citation (a marker, a footnote, an author-year mention, a link, or
    the bracketed reference that follows the sentence in its paragraph), asked only about claims and
    their paragraphs: most sentences are neither, and a citation test is the costly part."""

    def __init__(self, sents: tuple[Sentence, ...] | list[Sentence], any_at_all: bool) -> None:
        self.sents, self.any = sents, any_at_all
        self.memo: dict[int, bool] = {}
        self.work = False  # a work is cited (a marker, a reference, an author-year mention), not only linked

    def of(self, i: int) -> bool:
        """Does unit i carry a citation itself?"""
        if not self.any:
            return False
        if i not in self.memo:
            s = self.sents[i]
            kind = "work" if s.kind == REFERENCE else citation_kind(s.text) if s.kind == SENTENCE else ""
            self.work = self.work or kind == "work"
            self.memo[i] = bool(kind) or (s.kind == SENTENCE and self.referenced(i) is not None)
        return self.memo[i]

    def near(self, i: int) -> bool:
        """Does another unit of sentence i's paragraph or list item carry one?"""
        if not self.any:
            return False
        sents, paragraph = self.sents, self.sents[i].paragraph
        j = i
        while j > 0 and sents[j - 1].paragraph == paragraph:
            j -= 1
        while j < len(sents) and sents[j].paragraph == paragraph:
            if j != i and self.of(j):
                return True
            j += 1
        return False

    def referenced(self, i: int) -> int | None:
        """The bracketed reference that follows sentence i in its paragraph (notes and URLs between), if any."""
        sents, paragraph = self.sents, self.sents[i].paragraph
        j = i + 1
        while j < len(sents) and sents[j].paragraph == paragraph and sents[j].kind != SENTENCE:
            if sents[j].kind == REFERENCE:
                return j
            j += 1
        return None
