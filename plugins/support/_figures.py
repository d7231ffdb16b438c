"""Figures in a sentence, normalised so a claim's figure can be compared with a source's.

    figures(text) -> [Figure]      each number with its range, scale, unit, hedge and whether it only dates
    agrees(claim, source) -> bool  does the source's figure bear the claim's out (the hedge rule below)?

Normal forms: `1,230` = `1230`; `1.5 billion` = `1.5bn` = `1,500 million` (and `Milliarden`, `Mrd.`);
`12,5 %` (a decimal comma) = `12.5%` = `12.5 percent` = `12.5 per cent`; `3×` = `3x` = `three times` =
`threefold`; `10–15` = `10 to 15` = `between 10 and 15`. A four-digit year after "in", "since", "by"…
dates the claim: it is the figure only in a sentence with no other figure.

The hedge rule, chosen: a plain figure matches a source figure that rounds to it at the claim's
precision (42% is borne out by 42.3%, not by 41%). "about", "around", "roughly", "approximately",
"some", "~": the source rounds to it at its last significant digit, or lies within 5% of it. "over",
"more than", "above", "at least": the source is at least the figure; "under", "less than", "below",
"up to", "at most": at most it; "nearly", "almost", "just under": at most it and within 10% of it.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

YEAR = "(year)"  # the unit of a calendar year (no unit word can become it: "a year" is a duration)
_SCALES = {
    "thousand": 1e3, "k": 1e3, "million": 1e6, "millions": 1e6, "mn": 1e6, "m": 1e6, "mio": 1e6, "millionen": 1e6,
    "millones": 1e6, "billion": 1e9, "billions": 1e9, "bn": 1e9, "b": 1e9, "milliarden": 1e9, "milliarde": 1e9,
    "mrd": 1e9, "milliards": 1e9, "milliard": 1e9, "trillion": 1e12, "tn": 1e12, "t": 1e12, "billionen": 1e12,
}
_WORDS = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
          "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20, "fifty": 50, "hundred": 100}
_TIMES = {"twice": 2.0, "double": 2.0, "doubled": 2.0, "triple": 3.0, "tripled": 3.0, "quadrupled": 4.0,
          "twofold": 2.0, "threefold": 3.0, "fourfold": 4.0, "fivefold": 5.0, "tenfold": 10.0}
_HEDGES = (
    ("about", r"about|around|roughly|approximately|approx\.?|some|circa|ca\.|an estimated|estimated|~|close to"),
    ("over", r"over|more than|above|at least|upwards of|in excess of|exceeding|greater than|no fewer than"),
    ("under", r"under|less than|below|up to|at most|fewer than|no more than"),
    ("nearly", r"nearly|almost|just under|just shy of"),
)
_HEDGE = re.compile(r"(?:^|\W)(" + "|".join(f"(?P<{name}>{words})" for name, words in _HEDGES) + r")\s*$", re.I)
_DATING = re.compile(r"(?:\b(?:in|since|by|during|from|until|till|through|as of|of|before|after|early|late|mid|"
                     r"between|and|to|year|fy|q[1-4]|january|february|march|april|may|june|july|august|september|"
                     r"october|november|december|spring|summer|autumn|fall|winter)|[-–(,])\s*$", re.I)
_NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d{1,3}(?:\.\d{3})+(?:,\d+)?|\d+(?:[.,]\d+)?"
_WORDNUM = "|".join(sorted(_WORDS, key=len, reverse=True))
_FIGURE = re.compile(
    rf"(?<![\w.,/^-])(?P<cur>[$€£¥]\s?)?(?P<a>{_NUM}|(?:{_WORDNUM})(?=\s+(?:times|percent|per cent|%|[a-z]+s\b)))"
    rf"(?:\s*(?:-|–|—|to|and)\s*(?P<cur2>[$€£¥]\s?)?(?P<b>{_NUM}))?"
    r"(?P<unit>\s*(?:%|percent\b|per\s?cent\b|percentage points?\b|pp\b|prozent\b|pour\s?cent\b|por\s?ciento\b)"
    r"|\s*(?:×|x\b|-?fold\b|times\b)"
    r"|(?:\s*|-)(?:thousand|millions?|mn|mio\.?|millionen|millones|billions?|bn|milliarden?|mrd\.?|milliards?"
    r"|trillion|tn|billionen)\b|[kKmMbBtT]\b)?",
    re.I,
)
_OPENING = re.compile(r"^\W*(?:in|by|since|as of|during|until|through|from|before|after)?\s*(?:early|late|mid-?)?\s*"
                      r"(?:[A-Z][a-z]+\s)?$", re.I)
_BETWEEN = re.compile(r"\bbetween\s*$|\bfrom\s*$", re.I)
_UNIT_WORD = re.compile(r"\s*([A-Za-zµ°][A-Za-z°/-]*)")
_SKIP = frozenset("of the a an and or to in on at for by with from as per".split())
_ABBREVIATIONS = {"gw": "gigawatt", "mw": "megawatt", "kw": "kilowatt", "twh": "terawatt-hour", "gwh": "gigawatt-hour",
                  "mwh": "megawatt-hour", "kwh": "kilowatt-hour", "km": "kilometre", "kilometer": "kilometre",
                  "kg": "kilogram", "mi": "mile", "ft": "foot", "feet": "foot", "lb": "pound", "lbs": "pound",
                  "hrs": "hour", "hr": "hour", "yrs": "year", "mph": "mile-per-hour", "km/h": "kilometre-per-hour",
                  "usd": "$", "dollars": "$", "dollar": "$", "eur": "€", "euros": "€", "euro": "€", "gbp": "£",
                  "pounds": "£", "tonnes": "tonne", "tons": "tonne", "ton": "tonne", "t": "tonne", "m": "metre", "metres": "metre",
                  "meters": "metre", "meter": "metre", "b": "", "k": ""}


@dataclass(frozen=True, slots=True)
class Figure:
    """One number in a sentence: as written, its normalised range, what it counts, and its hedge."""

    text: str
    low: float
    high: float
    unit: str  # "%", "×", YEAR, a currency sign, a unit word (normalised), or ''
    hedge: str  # '' | "about" | "over" | "under" | "nearly"
    start: int
    end: int
    precision: float  # the place of its last written digit, scaled (42 -> 1, 4.2 GW -> 0.1, 1.5bn -> 1e8)
    dating: bool = False  # a year that dates the sentence ("in 2023"), not what it claims
    opening: bool = False  # a dating year that opens the sentence ("In 2020, …"): never what it claims

    @property
    def is_year(self) -> bool:
        """A year, which compares only with years."""
        return self.unit == YEAR


def _value(raw: str, european: bool = False) -> tuple[float, int]:
    """A number as written and its decimal places: `1,230` -> 1230, `12,5` (a decimal comma) -> 12.5;
    in a text that writes numbers the European way, `1.800` -> 1800."""
    if raw.lower() in _WORDS:
        return float(_WORDS[raw.lower()]), 0
    if european and re.fullmatch(r"\d{1,3}(?:\.\d{3})+(?:,\d+)?", raw):
        raw = raw.replace(".", "").replace(",", ".")
    if "," in raw and "." not in raw and not re.fullmatch(r"\d{1,3}(?:,\d{3})+", raw):
        raw = raw.replace(",", ".")  # "12,5" and "3,4": a decimal comma, as German and French write it
    raw = raw.replace(",", "")
    places = len(raw.split(".", 1)[1]) if "." in raw else 0
    return float(raw), places


def _unit(mark: str, text: str, at: int, currency: bool = False) -> tuple[str, float]:
    """What a figure counts and its scale: the sign after it, or the next word that is not a stopword."""
    mark = mark.strip().lower().rstrip(".").lstrip("-")
    if mark.startswith(("%", "percent", "per", "pp", "prozent", "pour", "por")) or mark.startswith("percentage"):
        return "%", 1.0
    if mark in ("×", "x", "fold", "times"):
        return "×", 1.0
    scale = _SCALES.get(mark, 1.0) if len(mark) > 1 or currency else 1.0  # "240 m" is metres; "$5m" millions
    if scale == 1.0 and len(mark) == 1:
        return normal_unit(mark), 1.0
    words = []
    pos = at
    while len(words) < 1:
        w = _UNIT_WORD.match(text, pos)
        if not w:
            break
        word = w.group(1).lower().rstrip("-")
        pos = w.end()
        if word in _SKIP:
            continue
        words.append(word)
    unit = words[0] if words else ""
    if unit in _SCALES and scale == 1.0 and len(unit) > 2:  # "3 million people" with a space the pattern did not take
        scale, unit = _SCALES[unit], ""
    return normal_unit(unit), scale


def _counts(text: str, at: int) -> bool:
    """Is the word after a number a plural noun ("2000 workers"), so the number is a count, not a year?"""
    w = _UNIT_WORD.match(text, at)
    word = w.group(1).lower() if w else ""
    return len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "is", "us")) and word not in _VERBS


_VERBS = frozenset("marks sees saw makes takes brings gives shows remains becomes begins ends holds".split())


def normal_unit(word: str) -> str:
    """One name per unit: abbreviations spelled out, plurals singular."""
    word = _ABBREVIATIONS.get(word, word)
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "is", "us")):
        word = word[:-1]
    return _ABBREVIATIONS.get(word, word)


_NOT_FIGURES = re.compile(r"\[\^?[\w, –-]{1,12}\]|【[^】]*】|https?://\S+|\]\([^)]*\)")


def figures(text: str, european: bool = False) -> list[Figure]:
    """Every figure in `text`, in order (years marked as dating when a dating word comes before them);
    markers, footnotes, URLs and link targets are not figures. `european`: the text groups thousands
    with points (`1.800`), as German, French or Spanish text does."""
    if "[" in text or "://" in text or "【" in text:
        text = _NOT_FIGURES.sub(lambda m: " " * len(m.group()), text)
    out = []
    for m in _FIGURE.finditer(text):
        a, b = m.group("a"), m.group("b")
        mark = m.group("unit") or ""
        before = text[max(0, m.start() - 24):m.start()]
        low, places = _value(a, european)
        high, places_b = _value(b, european) if b else (low, places)
        if b and "and" in text[m.end("a"):m.start("b")].lower() and not _BETWEEN.search(before):
            high, b = low, None  # "5 and 7" is two figures unless "between" opened it
            mark, end = "", m.end("a")
        else:
            end = m.end()
        cur = (m.group("cur") or m.group("cur2") or "").strip()
        unit, scale = _unit(mark, text, end, bool(m.group("cur") or m.group("cur2")))
        if cur:
            unit = cur
        is_year = (not mark and not cur and places == 0 and "," not in a and 1800 <= low <= 2100
                   and (not b or 1800 <= high <= 2100) and not _HEDGE.search(before) and unit not in _ABBREVIATIONS and not _counts(text, end))
        if is_year:
            unit, scale = YEAR, 1.0
        hedge = _HEDGE.search(before)
        kind = next((k for k, v in hedge.groupdict().items() if v), "") if hedge else ""
        precision = 10.0 ** -max(places, places_b if b else 0) * scale
        dating = is_year and bool(_DATING.search(before))
        opening = dating and bool(_OPENING.match(text[:m.start()])) and text[end:end + 1] == ","
        out.append(Figure(text[m.start():end].strip(), low * scale, high * scale, unit, kind, m.start(), end,
                          precision, dating, opening))
    out += _multiples(text)
    return sorted(out, key=lambda f: f.start)


_MULTIPLE = re.compile(r"\b(" + "|".join(_TIMES) + r")\b", re.I)


def _multiples(text: str) -> list[Figure]:
    """"twice", "tripled": multiples written as one word."""
    return [Figure(m.group(), _TIMES[m.group().lower()], _TIMES[m.group().lower()], "×", "", m.start(), m.end(), 1.0)
            for m in _MULTIPLE.finditer(text)]


def claimed(found: list[Figure]) -> list[Figure]:
    """The figures a sentence claims: a year that only dates it ("approved in March 2024") is not one.

    (A claim whose only figure is such a year is checked by its words: a source's other year near the
    same words is too often another event's date — the review that began in 2022 — to call a mismatch.)
    """
    return [f for f in found if not f.dating]


def _rounds_to(value: float, target: float, step: float) -> bool:
    """Does `value` round to `target` at `step`?"""
    if step <= 0:
        return math.isclose(value, target, rel_tol=1e-9)
    return math.isclose(round(value / step) * step, target, rel_tol=1e-9, abs_tol=step * 1e-6)


def _significant(value: float) -> float:
    """The place of a number's last non-zero digit (30 -> 10, 1,500 -> 100, 4.2 -> 1)."""
    if value == 0 or not value.is_integer():
        return 1.0
    step = 1.0
    while value % (step * 10) == 0:
        step *= 10
    return step


_SIGNS = ("%", "×", YEAR)
_MONEY = ("$", "€", "£", "¥")


def units_agree(a: str, b: str) -> bool:
    """May two figures be the same quantity? A share, a multiple or a year only with its own kind, a
    currency with itself or no unit; word units always (the words after a figure vary too much to rule)."""
    if a in _SIGNS or b in _SIGNS:
        return a == b
    if a in _MONEY or b in _MONEY:  # money is money: another currency or a count of something else is not
        return a == b or not a or not b
    return True


def agrees(claim: Figure, source: Figure) -> bool:
    """Does the source's figure bear the claim's figure out (the module's hedge rule)?"""
    if claim.is_year or source.is_year:
        return claim.is_year and source.is_year and claim.low == source.low and claim.high == source.high
    if not units_agree(claim.unit, source.unit):
        return False
    if claim.low != claim.high or source.low != source.high:  # ranges: both ends, each at its precision
        return (_rounds_to(source.low, claim.low, claim.precision) and _rounds_to(source.high, claim.high, claim.precision)) \
            or (claim.hedge == "under" and source.high <= claim.high) or (claim.hedge == "over" and source.low >= claim.low)
    c, s = claim.low, source.low
    if claim.hedge == "over":
        return s >= c
    if claim.hedge == "under":
        return s <= c
    if claim.hedge == "nearly":
        return c * 0.9 <= s <= c
    if claim.hedge == "about":
        return _rounds_to(s, c, max(claim.precision, _significant(c / max(claim.precision, 1e-12)) * claim.precision)) \
            or abs(s - c) <= 0.05 * abs(c)
    return _rounds_to(s, c, claim.precision)
