"""Figures a claim gives for a subject, and where two places give the same subject different figures.

A fact is a number attached to a subject and a unit ("LPU | tokens/second = 750-1,345",
"accuracy | power = 20th"), or the year an author's work is cited with ("maass = 2002").
Two facts conflict when their keys match, their values differ and the two sentences share
some other content word, so "GPT-4 scored 86% on MMLU" and "GPT-4 scored 67% on HumanEval"
(same key, different benchmarks) are not reported. Pure functions; the claims pass feeds them.
"""

from __future__ import annotations

import re
from typing import Any, Iterable

_MULTIPLIERS = {"thousand": 1e3, "k": 1e3, "million": 1e6, "m": 1e6, "billion": 1e9, "b": 1e9, "bn": 1e9,
                "trillion": 1e12, "t": 1e12}
_NUMBER = re.compile(
    r"(?<![\w.,^/-])(\d[\d,]*(?:\.\d+)?)(?:st|nd|rd|th)?"
    r"(?:\s*(?:-|–|to)\s*(\d[\d,]*(?:\.\d+)?)(?:st|nd|rd|th)?)?"
    r"(?:\s*(%|×|x\b|-fold\b|thousand\b|million\b|billion\b|trillion\b|bn\b|[kKmMbBtT]\b))?"
)
_WORD = re.compile(r"\s*([A-Za-z][A-Za-z/-]*)")
_ENTITY = re.compile(r"\b[A-Z][\w-]*(?:\s+[A-Z][\w-]*)*")
_CONTENT = re.compile(r"[a-z][a-z-]{2,}")
_MARKUP = re.compile(r"\[\[(?:[^\]|]*\|)?([^\]]*)\]\]|\[([^\]]*)\]\([^)]*\)|[*_`]|\[\d{1,3}(?:[,;–-]\s*\d{1,3})*\]")
STOPWORDS = frozenset(
    "a an the of to in on at by for from with and or but as is are was were be been being it its this that these "
    "those than then so such per each every more less most least over under up down into onto about around "
    "between within without after before during since until while which who whom whose what when where how "
    "also only just very has have had do does did not no can could will would may might should must our their "
    "his her they them we you your he she".split()
)


def _value(text: str) -> float:
    return float(text.replace(",", ""))


def numeric_facts(sentence: str) -> list[tuple[str, str, tuple[float, float]]]:
    """(key, value as written, (low, high)) for each number in the sentence with a unit and a subject."""
    plain = _MARKUP.sub(lambda m: m.group(1) or m.group(2) or "", sentence)
    out = []
    for m in _NUMBER.finditer(plain):
        low, high = _value(m.group(1)), _value(m.group(2) or m.group(1))
        mult = (m.group(3) or "").lower()
        if not mult and not m.group(2) and 1500 <= low <= 2100 and low.is_integer():
            continue  # a year: dates are compared as author-year citations, not as figures
        unit, rest = _unit(mult, plain, m.end())
        if not unit:
            continue
        if unit in ("%", "×"):  # "86% on MMLU", "10× faster": what it is a share or a multiple of
            unit += "|" + _next_word(plain, rest)
        scale = _MULTIPLIERS.get(mult, 1.0)
        subject = _of_object(plain, rest) or _subject(plain, m.start())
        if subject is None or not subject:
            continue
        value = plain[m.start():m.end()].strip()
        out.append((f"{subject}|{unit}", value, (low * scale, high * scale)))
    return out


def _unit(mult: str, text: str, at: int) -> tuple[str, int]:
    """The unit after a number: `%`, `×`, or the next one or two words that are not stopwords."""
    if mult in ("%", "×", "x", "-fold"):
        return ("%" if mult == "%" else "×"), at
    words: list[str] = []
    pos = at
    while len(words) < 2:
        w = _WORD.match(text, pos)
        if not w or w.group(1).lower() in STOPWORDS:
            break
        words.append(w.group(1).lower().rstrip("-"))
        pos = w.end()
    return " ".join(words), pos


def _next_word(text: str, at: int) -> str:
    """The first content word within three words after `at`."""
    for w in re.findall(r"[A-Za-z][\w-]*", text[at:at + 60])[:3]:
        if w.lower() not in STOPWORDS:
            return w.lower()
    return ""


_ADJECTIVE = re.compile(r"(?:ed|al|ive|ful|ous|able|ible|ic|ing)$")


def _of_object(text: str, at: int) -> str:
    """`… power of (desired) accuracy`: the thing a figure is "of" names what it measures."""
    m = re.match(r"\s+of\s+(?:the\s+)?([A-Za-z][\w-]*)(?:\s+([A-Za-z][\w-]*))?", text[at:])
    if not m:
        return ""
    first, second = m.group(1).lower(), (m.group(2) or "").lower()
    return second if second and second not in STOPWORDS and _ADJECTIVE.search(first) else first


def _subject(text: str, at: int) -> str | None:
    """The nearest named thing before the number, the sentence's first word only if it is a name.

    None when the number is part of the name ("Llama 3.1 8B models", "GPT 4"): that is not a figure.
    """
    found, end = "", 0
    for e in _ENTITY.finditer(text, 0, at):
        word = e.group()
        if e.start() == 0 and " " not in word and word[1:].islower():
            continue  # "Researchers found…": a capitalised first word is not a name
        found, end = word, e.end()
    if found and _NAME_PART.match(text, end, at):
        return None
    return re.sub(r"'s?$|’s?$", "", found).lower()


_NAME_PART = re.compile(r"[\s\d.-]*$")


def context(text: str, key: str) -> list[str]:
    """The sentence's content words, less the key's own: what two places must share to be one subject."""
    own = set(re.findall(r"[a-z][a-z-]+", key.lower()))
    return sorted({w for w in _CONTENT.findall(text.lower()) if w not in STOPWORDS and w not in own})


def conflicts(facts: Iterable[dict[str, Any]]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """Pairs (this, other) of facts with one key, different values and shared context; each fact once."""
    by_key: dict[str, list[dict[str, Any]]] = {}
    for f in facts:
        by_key.setdefault(f["key"], []).append(f)
    out = []
    for group in by_key.values():
        if len(group) < 2 or len({tuple(f["norm"]) for f in group}) < 2:
            continue
        for f in group:
            other = _other(f, group)
            if other is not None:
                out.append((f, other))
    return out


def _other(f: dict[str, Any], group: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The place that contradicts `f`: another note first, then elsewhere in the same note."""
    mine = set(f["context"])
    best = None
    for g in group:
        if tuple(g["norm"]) == tuple(f["norm"]):
            continue
        if not _related(f, g, mine):
            continue
        if g["path"] != f["path"]:
            return g
        best = best or g
    return best


def _related(f: dict[str, Any], g: dict[str, Any], mine: set[str]) -> bool:
    shared = len(mine & set(g["context"]))
    if f["key"].startswith("cite:"):  # an author's other paper has another year: near years or a shared topic
        return abs(f["norm"][0] - g["norm"][0]) <= 1 or shared >= 2
    return shared >= 1
