"""Why a model's summary may not stand in a note: it must say less than its text, never more.

The summaries pass asks a model for an abstractive summary only as an option, and keeps it only
when these checks pass: not empty, not too long, in the text's language, and holding no number
and no name the text does not hold. Each check gives a one-line reason, which the pass records
when it falls back to the extractive summary. Pure functions; the language model (py3langid,
about 0.7 s to load) is imported only when a reply is checked.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Any

from vaultkit_plugins.text.arrays import numpy

from ._lexrank import size

_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_CASED = "A-Za-zÀ-ÖØ-öø-ɏͰ-ϿЀ-ӿ"  # Latin, Greek, Cyrillic: the scripts where a capital can mark a name
_UPPER = "A-ZÀ-ÖØ-ÞΆ-ΏΑ-ΩЀ-Я"
_NAME = re.compile(f"(?<![{_CASED}])[{_UPPER}][{_CASED}0-9'’-]*")
LANGUAGE_RANK = 3  # the text's language must be among the reply's three likeliest


def rejection(reply: str, source: str, budget: int) -> str | None:
    """Why `reply` is no faithful summary of `source` within `budget` words, or None when it is."""
    if not reply.strip():
        return "the reply is empty"
    words = size(reply)
    if words > budget * 3 // 2:
        return f"the reply is {words} words, over the budget of {budget}"
    expected = language(source)
    if expected and expected not in (got := languages(reply)):
        return f"the reply is not in the text's language ({expected}; the reply reads as {got[0]})"
    numbers = new_numbers(reply, source)
    if numbers:
        return "the reply has numbers the text does not: " + ", ".join(numbers[:5])
    names = new_names(reply, source)
    if names:
        return "the reply has names the text does not: " + ", ".join(names[:5])
    return None


def _digits(number: str) -> str:
    """A number's digits only, in ASCII: "1,000" and "1000" (and "١٠٠٠") are the same figure."""
    return "".join(str(unicodedata.decimal(c)) for c in number if c.isdecimal())


def new_numbers(reply: str, source: str) -> list[str]:
    """Numbers in the reply whose digits appear as no number of the source."""
    known = {_digits(n) for n in _NUMBER.findall(source)}
    return list(dict.fromkeys(n for n in _NUMBER.findall(reply) if _digits(n) not in known))


def new_names(reply: str, source: str) -> list[str]:
    """Capitalised words of the reply that the source never uses, in any case.

    A word counts as used when a word of the source starts with its first five letters, so
    inflection ("Transformers", German "Verlustes") is no new name. A sentence's first word is
    checked too: a new name can start a sentence, and "The" or "This" is in any long text.
    """
    folded = source.casefold()
    out: list[str] = []
    for m in _NAME.finditer(reply):
        word = m.group().rstrip("'’-")
        stem = word.casefold()[:5]
        if not re.search(f"(?<![{_CASED}]){re.escape(stem)}", folded):
            out.append(word)
    return list(dict.fromkeys(out))


def language(text: str) -> str:
    """The text's likeliest language (ISO 639), or "" for text too short to tell."""
    return languages(text)[0] if size(text) >= 8 else ""


def languages(text: str) -> list[str]:
    """The text's `LANGUAGE_RANK` likeliest languages, likeliest first."""
    return [code for code, _ in _identifier().rank(text)[:LANGUAGE_RANK]]


@lru_cache(maxsize=1)
def _identifier() -> Any:
    numpy()  # numpy first, with its thread settings
    import py3langid  # type: ignore[import-untyped]  # ships no type information

    return py3langid
