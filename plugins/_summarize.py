"""Extractive summaries: the most central sentences of a unit, in their original order (LexRank).

Groundwork for the summaries pass (issue 6): sentences are TF-IDF vectors over the unit's own
words (the duplicates pass's normalisation, so scripts without spaces work too), cosine
similarity links them, and a power iteration finds the stationary distribution (continuous
LexRank). A summary is never written, only picked: every sentence it holds is one of the unit's.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Sequence

from . import _minhash as mh

DAMPING = 0.85


def centrality(sentences: Sequence[str]) -> list[float]:
    """Each sentence's LexRank score (they sum to 1); equal scores when nothing links them."""
    n = len(sentences)
    if n <= 2:
        return [1.0 / n] * n if n else []
    np = mh._numpy()
    bags = [Counter(mh.words(s)) for s in sentences]
    df = Counter(w for bag in bags for w in bag)
    vocab = {w: i for i, w in enumerate(sorted(df))}
    if not vocab:
        return [1.0 / n] * n
    idf = np.array([math.log(n / df[w]) + 1.0 for w in sorted(df)])
    tfidf = np.zeros((n, len(vocab)))
    for row, bag in enumerate(bags):
        for w, count in bag.items():
            tfidf[row, vocab[w]] = count
    tfidf *= idf[None, :]
    norms = np.linalg.norm(tfidf, axis=1)
    norms[norms == 0] = 1.0
    unit = tfidf / norms[:, None]
    sim = unit @ unit.T
    np.fill_diagonal(sim, 0.0)
    sums = sim.sum(axis=1)
    # A sentence sharing no word with the others links to every sentence alike.
    sim[sums == 0] = 1.0 / n
    sums[sums == 0] = 1.0
    transition = sim / sim.sum(axis=1)[:, None]
    score = np.full(n, 1.0 / n)
    for _ in range(100):
        new = (1 - DAMPING) / n + DAMPING * (transition.T @ score)
        if np.abs(new - score).sum() < 1e-10:
            score = new
            break
        score = new
    return [float(x) for x in score / score.sum()]


def pick(sentences: Sequence[str], budget: int = 60, most: int = 3) -> list[int]:
    """Indices of up to `most` sentences, most central first while they fit in `budget` words,
    returned in text order. The most central one is taken even when it alone is over budget;
    the others only when more central than average (a short aside must not fill the budget)."""
    scores = centrality(sentences)
    order = sorted(range(len(sentences)), key=lambda i: (-round(scores[i], 12), i))  # ties: the earlier one
    chosen: list[int] = []
    used = 0
    for i in order:
        size = len(sentences[i].split())
        if chosen and (used + size > budget or scores[i] < 1.0 / len(sentences)):
            continue
        chosen.append(i)
        used += size
        if len(chosen) >= most:
            break
    return sorted(chosen)
