"""Which language a text is in, by its commonest words: what pysbd is told, and whether English word
lists (hedges, attributions, meta-text) apply."""

from __future__ import annotations

import re
from collections import Counter

_WORD = re.compile(r"\w+")
_STOPWORDS = {
    "de": "der die das und ist nicht mit für auf ein eine".split(),
    "fr": "le la les et est pas pour avec une des du".split(),
    "es": "el la los las y es no para con una del".split(),
    "it": "il lo la gli e è non per con una della del".split(),
}


def language(text: str) -> str:
    """A pysbd language code for the text (en, de, fr, es, it) by counting common words."""
    counts = Counter(_WORD.findall(text[:2000].lower()))
    best, hits = "en", counts["the"] + counts["and"] + counts["is"]
    for code, words in _STOPWORDS.items():
        n = sum(counts[w] for w in words)
        if n > hits * 1.3:
            best, hits = code, n
    return best


_ENGLISH = frozenset("the and of to that for are was with this from".split())


def is_english(text: str) -> bool:
    """Is this text English, so English keyword lists apply? (Short texts are given the benefit of the doubt.)"""
    sample = text[:800]
    words = _WORD.findall(sample.lower())
    if len(words) < 40 and len(sample) < 300:
        return True
    return sum(map(_ENGLISH.__contains__, words)) >= 0.08 * len(words)
