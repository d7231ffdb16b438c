"""A source's text as passages of a few sentences, and the ones that best match a claim (BM25).

Passages are spans of the extracted text, so evidence is quoted from the source exactly. The index
is numpy over a small vocabulary: a source has tens to a few thousand passages, where bm25s (sparse
matrices, 136 ms to import) measured slower (BENCHMARKS.md, "Source support").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from vaultkit_plugins.text.arrays import numpy

K1, B = 1.5, 0.75  # BM25's usual constants
WINDOW = 2  # sentences per passage (a claim often spans a source's sentence and the next)
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'”’)\]]*\s+(?=[\"'“‘(\[]?[A-Z0-9ÄÖÜÉÈÀÁÍÓÚÑ])")
_TOKEN = re.compile(r"[^\W_]+(?:[.,]\d+)*|[$€£¥]", re.U)
STOPWORDS = frozenset(
    "a an the of to in on at by for from with and or but as is are was were be been being it its this that these "
    "those than then so such per each every more less most least over under up down into onto about around "
    "between within without after before during since until while which who whom whose what when where how "
    "also only just very has have had do does did not no can could will would may might should must our their "
    "his her they them we you your he she there here some any all both other another one said says say".split()
)


@dataclass(frozen=True, slots=True)
class Passage:
    """A few consecutive sentences of one paragraph of the source: `text[start:end]`."""

    start: int
    end: int
    paragraph: int


def stem(word: str) -> str:
    """A light suffix strip: "capacities" and "capacity", "generated" and "generates" meet."""
    for suffix in ("ations", "ation", "ions", "ion", "ingly", "ings", "ing", "ies", "ied", "es", "ed", "ly", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)] + ("y" if suffix in ("ies", "ied") else "")
    return word


def terms(text: str) -> list[str]:
    """Content words, stemmed, and numbers without their separators: what passages are ranked by."""
    out = []
    for t in _TOKEN.findall(text.lower()):
        if t in _SIGNS:
            out.append(_SIGNS[t])
        elif t[0].isdigit():
            out.append(number(t))
            if _POINTS.fullmatch(t):  # `14.500`: 14.5, or 14,500 as German writes it; either may be meant
                out.append(t.replace(".", ""))
        elif t not in STOPWORDS and len(t) > 1:
            out.append(UNITS.get(t) or stem(t))
    return out


_SIGNS = {"$": "dollar", "€": "euro", "£": "pound", "¥": "yen"}
# Unit words in one form, so "4.2 GW" and "4.2 gigawatts" share a term.
UNITS = {"gw": "gigawatt", "mw": "megawatt", "kw": "kilowatt", "gwh": "gigawatt-hour", "mwh": "megawatt-hour",
         "kwh": "kilowatt-hour", "twh": "terawatt-hour", "km": "kilometre", "kilometer": "kilometre", "kg": "kilogram",
         "bn": "billion", "mn": "million", "pct": "percent", "percentage": "percent", "usd": "dollar", "eur": "euro",
         "prozent": "percent", "gbp": "pound"}
_POINTS = re.compile(r"\d{1,3}(?:\.\d{3})+")
_THOUSANDS = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?")


def number(token: str) -> str:
    """A number token in one form: `1,230` -> 1230, and a decimal comma (`4,2`) read as a point."""
    return token.replace(",", "") if _THOUSANDS.fullmatch(token) else token.replace(",", ".")


def passages(text: str) -> list[Passage]:
    """Windows of WINDOW sentences within each paragraph (a line of the extracted text), one step apart."""
    out: list[Passage] = []
    offset = 0
    for number, line in enumerate(text.split("\n")):
        if line.strip():
            ends = [m.start() for m in _SENTENCE_END.finditer(line)] + [len(line.rstrip())]
            starts = [len(line) - len(line.lstrip())] + [m.end() for m in _SENTENCE_END.finditer(line)]
            for i in range(max(1, len(starts) - WINDOW + 1)):
                out.append(Passage(offset + starts[i], offset + ends[min(i + WINDOW, len(ends)) - 1], number))
        offset += len(line) + 1
    return out


class Index:
    """BM25 over one source's passages, as postings: for each term, its passages and their weights."""

    def __init__(self, text: str) -> None:
        np = numpy()

        self.text = text
        self.passages = passages(text)
        vocab: dict[str, int] = {}
        pairs: dict[tuple[int, int], int] = {}
        lengths = np.zeros(max(1, len(self.passages)), dtype=np.float64)
        for i, p in enumerate(self.passages):
            words = terms(text[p.start:p.end])
            lengths[i] = len(words)
            for w in words:
                key = (vocab.setdefault(w, len(vocab)), i)
                pairs[key] = pairs.get(key, 0) + 1
        self.vocab = vocab
        self.vocabulary = frozenset(vocab)  # every term of the source
        n = len(self.passages)
        keys = sorted(pairs)  # by term, then passage
        term = np.array([k[0] for k in keys], dtype=np.int64)
        self.where = np.array([k[1] for k in keys], dtype=np.int64)
        tf = np.array([pairs[k] for k in keys], dtype=np.float64)
        df = np.bincount(term, minlength=len(vocab)) if keys else np.zeros(0)
        self.bounds = np.concatenate([[0], np.cumsum(df)]).astype(np.int64)
        idf = np.log(1.0 + (n - df + 0.5) / (df + 0.5))
        norm = K1 * (1 - B + B * lengths / max(float(lengths.mean()), 1e-9))
        self.weights = idf[term] * tf * (K1 + 1) / (tf + norm[self.where]) if keys else tf

    def best(self, query: list[str], top: int = 5) -> list[tuple[int, float]]:
        """The `top` passages for the query's terms, best first, with their scores (none for no shared term)."""
        np = numpy()

        cols = sorted({self.vocab[w] for w in query if w in self.vocab})
        if not cols:
            return []
        scores = np.zeros(len(self.passages), dtype=np.float64)
        for c in cols:
            lo, hi = self.bounds[c], self.bounds[c + 1]
            np.add.at(scores, self.where[lo:hi], self.weights[lo:hi])
        order = np.argsort(-scores, kind="stable")[:top]
        return [(int(i), float(scores[i])) for i in order if scores[i] > 0]

    def quote(self, i: int) -> str:
        """Passage i as the source writes it."""
        p = self.passages[i]
        return self.text[p.start:p.end]


@lru_cache(maxsize=64)
def index(text: str) -> Index:
    """One index per source text, shared by every claim that cites it (within a process)."""
    return Index(text)
