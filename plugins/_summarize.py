"""Extractive summaries: the most central sentences of a unit, in their original order (LexRank).

Used by the summaries pass: sentences are TF-IDF vectors over the unit's own words (character
pairs where a script has no spaces), cosine similarity links them, and the damped random walk's
stationary distribution ranks them (continuous LexRank). A summary is never written, only
picked: every sentence it holds is one of the unit's.
"""

from __future__ import annotations

import re
from itertools import chain
from typing import Any, Sequence

from . import _minhash as mh

DAMPING = 0.85
# Scripts written without spaces between words: Han, kana, Thai, Lao, Burmese, Khmer.
_DENSE = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff]")


_SCRIPTS = (
    ("Latin", "A-Za-zÀ-ɏ"), ("Cyrillic", "Ѐ-ӿ"), ("Greek", "Ͱ-Ͽ"), ("Arabic", "؀-ۿ"), ("Hebrew", "֐-׿"),
    ("Devanagari", "ऀ-ॿ"), ("Bengali", "ঀ-৿"), ("Thai", "\u0e00-\u0e7f"), ("Lao", "\u0e80-\u0eff"),
    ("Burmese", "\u1000-\u109f"), ("Khmer", "\u1780-\u17ff"), ("Hangul", "\uac00-\ud7af"),
    ("CJK", "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff"),
)
_SCRIPT_RES = [(name, re.compile(f"[{chars}]")) for name, chars in _SCRIPTS]


def script(text: str) -> str:
    """The writing system most of the text's letters are in ("Latin", "Thai", "CJK", …), for messages."""
    counts = [(len(pattern.findall(text)), name) for name, pattern in _SCRIPT_RES]
    best = max(counts)
    return best[1] if best[0] else "unknown"


def size(text: str) -> int:
    """Words, counted alike in every script: where words have no spaces, two characters count as one
    (so `min_words` and the word budget mean about the same length of Chinese as of English)."""
    if text.isascii() or not _DENSE.search(text):
        return len(text.split())
    dense = len(_DENSE.findall(text))
    return len(_DENSE.sub(" ", text).split()) + (dense + 1) // 2


_ASCII_WORD = re.compile(r"[a-z0-9]+")
_WORD = re.compile(r"[^\W_]+")
_BIGRAM = re.compile(f"(?=({_DENSE.pattern}{_DENSE.pattern}))")


def words(text: str) -> list[str]:
    """A sentence's words for ranking, case folded, without citation markers and URLs; where words
    have no spaces, overlapping character pairs (the usual unit for Chinese and Japanese search)."""
    if "://" in text or "[" in text:
        text = mh.MARKUP.sub(" ", text)
    if text.isascii():
        return _ASCII_WORD.findall(text.lower())
    folded = text.casefold()
    if not _DENSE.search(folded):
        return _WORD.findall(folded)
    return _WORD.findall(_DENSE.sub(" ", folded)) + _BIGRAM.findall(folded)


def centrality(sentences: Sequence[str], tokens: Sequence[list[str]] | None = None) -> list[float]:
    """Each sentence's LexRank score (they sum to 1); equal scores when nothing links them.

    `tokens` are the sentences' `words` when the caller has them already.
    """
    n = len(sentences)
    if n <= 2:
        return [1.0 / n] * n if n else []
    np = mh._numpy()
    split = tokens if tokens is not None else [words(s) for s in sentences]
    flat = list(chain.from_iterable(split))
    if not flat:
        return [1.0 / n] * n
    vocab = {w: i for i, w in enumerate(dict.fromkeys(flat))}  # in order of first use: deterministic
    ids = np.fromiter(map(vocab.__getitem__, flat), dtype=np.int64, count=len(flat))
    rows = np.repeat(np.arange(n), [len(ws) for ws in split])
    # (sentence, word) pairs with their counts, then each word's document frequency and weight.
    pairs, tf = np.unique(rows * len(vocab) + ids, return_counts=True)
    row, col = pairs // len(vocab), pairs % len(vocab)
    df = np.bincount(col, minlength=len(vocab))
    value = tf * (np.log(n / df[col]) + 1.0)
    norms = np.sqrt(np.bincount(row, value * value, minlength=n))
    norms[norms == 0] = 1.0
    # Only words two sentences share enter a dot product; the others count in the norms alone.
    keep = df[col] > 1
    if not keep.any():
        return [1.0 / n] * n
    shared = np.unique(col[keep])
    unit = np.zeros((n, len(shared)))
    unit[row[keep], np.searchsorted(shared, col[keep])] = value[keep] / norms[row[keep]]
    sim = unit @ unit.T
    np.fill_diagonal(sim, 0.0)
    sums = sim.sum(axis=1)
    # A sentence sharing no word with the others links to every sentence alike.
    sim[sums == 0] = 1.0 / n
    sums[sums == 0] = 1.0
    transition = sim / sim.sum(axis=1)[:, None]
    return [float(x) for x in _stationary(np, transition)]


def _stationary(np: Any, transition: Any) -> Any:
    """The damped random walk's stationary distribution: one linear solve (exact), or power
    iteration where the solve's cubic cost would pass the iteration's (long whole-note targets)."""
    n = len(transition)
    if n <= 600:
        score = np.linalg.solve(np.eye(n) - DAMPING * transition.T, np.full(n, (1 - DAMPING) / n))
    else:
        score = np.full(n, 1.0 / n)
        for _ in range(200):
            new = (1 - DAMPING) / n + DAMPING * (transition.T @ score)
            done = np.abs(new - score).sum() < 1e-12
            score = new
            if done:
                break
    return score / score.sum()


def pick(sentences: Sequence[str], budget: int = 60, most: int = 3,
         tokens: Sequence[list[str]] | None = None) -> list[int]:
    """Indices of up to `most` sentences, most central first while they fit in `budget` words,
    returned in text order: the most central sentence that fits, then others only when more
    central than average (a short aside must not fill the budget). None when no sentence fits."""
    scores = centrality(sentences, tokens)
    order = sorted(range(len(sentences)), key=lambda i: (-round(scores[i], 12), i))  # ties: the earlier one
    chosen: list[int] = []
    used = 0
    for i in order:
        length = size(sentences[i])
        if used + length > budget or (chosen and scores[i] < 1.0 / len(sentences)):
            continue
        if any(sentences[j] == sentences[i] for j in chosen):
            continue  # a sentence said twice is said once
        chosen.append(i)
        used += length
        if len(chosen) >= most:
            break
    return sorted(chosen)
