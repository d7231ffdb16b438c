"""The embedded verdict: does a source's text carry a claim? Deterministic, offline, lexical.

The source's passages are ranked by BM25 against the claim's words and figures; of the best few:
    support-found    one carries every figure the claim gives and most of its content words
                     (FOUND of them; with no figure, MOST)
    figure-mismatch  a figure of the claim is nowhere in the source, and a passage on the same subject
                     (NEAR of its words) gives another figure of the same kind
    not-in-source    no passage holds even FAR of the claim's content words
    support-unclear  anything in between: never guessed to be support
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from ._figures import YEAR, Figure, agrees, claimed, figures, units_agree
from ._passages import index, terms

FOUND = 0.5  # share of the claim's content words a supporting passage holds, when its figures match
FIGURES = 0.35  # the same, when two or more figures of the claim match
ELSEWHERE = 0.5  # what a claim's word counts when the source has it, but not in the passage (a name in the title)
MOST = 0.6  # the same, for a claim without figures
NEAR = 0.34  # a passage about the same subject
FAR = 0.25  # below this everywhere, nothing in the source comes close
TOP = 5  # passages considered
_MARKUP = re.compile(r"\[\^?[\w, –-]{1,12}\]|【[^】]*】|https?://\S+|\]\([^)]*\)|[*_`#>]|\[|\]")


@dataclass(frozen=True, slots=True)
class Verdict:
    """One claim against one source's text."""

    kind: str  # support-found | figure-mismatch | not-in-source | support-unclear
    score: float  # the share of the claim's content words in the passage it rests on (0..1)
    evidence: str = ""  # that passage, exactly as the source's text has it
    said: str = ""  # figure-mismatch: the source's figure, as written
    claimed: str = ""  # figure-mismatch: the claim's figure, as written
    passages: tuple[str, ...] = ()  # the best passages, for a model judge


def words(claim: str, names_only: bool = False) -> set[str]:
    """The claim's content words, stemmed, without its figures; `names_only`: only its capitalised
    words (names travel across languages where other words do not)."""
    if names_only:
        return set(terms(" ".join(_NAME.findall(claim))))
    return {t for t in terms(claim) if not t[0].isdigit()}


_NAME = re.compile(r"(?<=\w )[A-Z][\w-]+|^[A-Z][\w-]*[A-Z][\w-]*")
_MONTH = re.compile(r"(january|february|march|april|may|june|july|august|september|october|november|december|"
                    r"spring|summer|autumn|fall|winter|q[1-4]|fy)\W*$", re.I)


def judge(claim: str, text: str) -> Verdict:
    """The verdict for one claim against one source's text."""
    plain = _MARKUP.sub(" ", claim)
    ix = index(text)
    european = _european(text)
    foreign = _language(text) != _language(plain)  # words do not carry across: names and figures must
    mine = words(plain, foreign)
    stated = figures(plain)
    wanted = claimed(stated)
    ranked = ix.best(terms(plain), TOP)
    if not ranked or not (mine or wanted or foreign):
        return Verdict("not-in-source", 0.0)
    anywhere = mine & ix.vocabulary
    if foreign and not anywhere:  # names are translated too ("Bavaria", "Bayern"): the figures decide
        mine = set()
    rows = []
    for i, _ in ranked:
        quote = ix.quote(i)
        here = mine & set(terms(quote))
        share = (len(here) + ELSEWHERE * len(anywhere - here)) / len(mine) if mine else 1.0
        rows.append((i, quote, share, figures(quote, european)))
    rows.sort(key=lambda r: -r[2])
    best_share = rows[0][2]
    shown = tuple(r[1] for r in rows[:3])
    dates = [f for f in stated if f.dating and f not in wanted]
    needed = wanted or [f for f in dates if not f.opening]  # a claim dated only by its year needs that year
    nearby = [g for _, _, share, found in rows if share >= NEAR for g in found]  # a claim may join two passages
    for i, quote, share, found in rows:
        need = MOST if not wanted else FIGURES if len(wanted) >= 2 else FOUND
        pool = found + nearby if share >= NEAR else found  # (a hedged figure only in its own passage)
        if share >= need and all(any(agrees(f, g) for g in (pool if not f.hedge else found)) for f in needed) and \
                (not needed or any(agrees(f, g) for f in needed for g in found)):
            moved = _other_date(dates, found, plain, quote)
            if moved is not None:
                return Verdict("figure-mismatch", round(share, 2), quote, moved[1].text, moved[0].text, shown)
            if _reversed(plain, quote):  # "100x more" against "100x fewer": the words agree, the sense does not
                return Verdict("support-unclear", round(share, 2), quote, passages=shown)
            return Verdict("support-found", round(share, 2), quote, passages=shown)
    if not wanted:  # a claim dated only by its year: is the same event dated otherwise in the source?
        for i, quote, share, found in rows:
            moved = _other_date(dates, found, plain, quote) if share >= MOST else None
            if moved is not None:
                return Verdict("figure-mismatch", round(share, 2), quote, moved[1].text, moved[0].text, shown)
    if best_share < FAR:
        return Verdict("not-in-source", round(best_share, 2), passages=shown)
    everywhere = figures(text, european) if wanted else []
    near = [r for r in rows if r[2] >= NEAR]
    absent = [f for f in wanted if not _present(f, everywhere, near)]
    for f in absent:
        for i, quote, share, found in near:
            other = _counterpart(f, found, quote, plain)
            if other is not None:
                return Verdict("figure-mismatch", round(share, 2), quote, other.text, f.text, shown)
    if wanted and len(absent) == len(wanted):  # none of the claim's figures is anywhere in the source
        return Verdict("not-in-source", round(best_share, 2), passages=shown)
    return Verdict("support-unclear", round(best_share, 2), rows[0][1], passages=shown)


_OPPOSITES = {"more": "fewer less", "fewer": "more", "less": "more", "higher": "lower", "lower": "higher",
              "larger": "smaller", "smaller": "larger", "faster": "slower", "slower": "faster", "rose": "fell",
              "fell": "rose", "increased": "decreased fell", "decreased": "increased rose", "above": "below",
              "below": "above", "before": "after", "after": "before", "gained": "lost", "lost": "gained"}
_DIRECTION = re.compile(r"\b(" + "|".join(_OPPOSITES) + r")\b", re.I)


def _reversed(claim: str, quote: str) -> bool:
    """Does the passage use the opposite of a direction word the claim uses, and never the word itself?"""
    said = {w.lower() for w in _DIRECTION.findall(quote)}
    return any(w.lower() not in said and said & set(_OPPOSITES[w.lower()].split()) for w in _DIRECTION.findall(claim))


def _present(f: Figure, everywhere: list[Figure], near: list[tuple[int, str, float, list[Figure]]]) -> bool:
    """Is the claim's figure in the source? A plain one anywhere; a hedged one ("more than 50%") only in a
    passage on its subject, since some larger number is nearly always somewhere."""
    if not f.hedge:
        return any(agrees(f, g) for g in everywhere)
    return any(agrees(f, g) for _, _, _, found in near for g in found)


def _other_date(dates: list[Figure], found: list[Figure], claim: str, quote: str) -> tuple[Figure, Figure] | None:
    """A claim's year against another year the passage gives the same event: "in June 2024" against "in
    June 2025", or "began generating … in 2001" against "began operating in 2011" (the words just before
    each year share a content word; "approved in 2024" and "the review began in 2022" do not)."""
    for d in dates:
        if any(g.is_year and g.low == d.low for g in found):
            continue
        month = _MONTH.search(claim[:d.start])
        lead = set(terms(_before(claim, d.start)))
        for g in found:
            if not g.is_year or g.low == d.low or abs(g.low - d.low) > 50:
                continue
            m = _MONTH.search(quote[:g.start])
            if month and m and m.group(1).lower() == month.group(1).lower():
                return d, g
            if lead & set(terms(_before(quote, g.start))):
                return d, g
    return None


def _before(text: str, at: int) -> str:
    """The four words before a position, within its sentence, less names (the subject, not the event)."""
    head = re.split(r"[.!?;]\s", text[:at])[-1]
    return " ".join(w for w in head.split()[-4:] if not w[:1].isupper())


@lru_cache(maxsize=256)
def _language(text: str) -> str:
    from vaultkit_plugins.text.language import language

    return language(text[:3000])


@lru_cache(maxsize=64)
def _european(text: str) -> bool:
    """Does the source write numbers the European way (`1.800`, `4,2`)? Its language says."""
    return _language(text) in _POINT_THOUSANDS


_POINT_THOUSANDS = frozenset("de fr es it nl pt pl cs sk da sv nb no fi ru uk tr ro hu el id".split())


def _counterpart(f: Figure, found: list[Figure], quote: str, claim: str) -> Figure | None:
    """The passage's figure for the claim's figure's subject: same kind of unit, nearest words around it."""
    best: tuple[int, int, Figure] | None = None
    around = _context(claim, f)
    for g in found:
        if (g.dating and not f.is_year) or g.is_year != f.is_year or not units_agree(f.unit, g.unit):
            continue
        same_unit = int(bool(f.unit) and f.unit == g.unit)
        context = _context(quote, g)
        shared = len(around & context)
        if not shared and (not same_unit or f.unit not in ("%", "×", YEAR)):
            continue  # a number on another subject is not the source's figure for this one
        if f.unit and g.unit and not same_unit and g.unit not in around:
            continue  # "176 glaciers" and "two decades": two things counted
        if not f.is_year and min(f.low, g.low) > 0 and max(f.low, g.low) / min(f.low, g.low) > 1000.5:
            continue  # $62 billion against $11.2 million: another quantity, not a slip of the answer's
        key = (same_unit, shared)
        if best is None or key > best[:2]:
            best = (same_unit, shared, g)
    return best[2] if best else None


def _context(text: str, f: Figure) -> set[str]:
    """The content words within a few words of a figure."""
    return set(terms(text[max(0, f.start - 60):f.end + 60])) - {t for t in terms(f.text)}


def quote_in(quote: str, text: str) -> bool:
    """Does `quote` occur in `text`, whitespace aside? (what a model's quote must do to count)"""
    q = " ".join(quote.split())
    return bool(q) and q in " ".join(text.split())

