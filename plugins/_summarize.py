"""Extractive summaries: the most central sentences of a unit, in their original order (LexRank).

Used by the summaries pass: sentences are TF-IDF vectors over the unit's own words (character
pairs where a script has no spaces), cosine similarity links them, and the damped random walk's
stationary distribution ranks them (continuous LexRank). A summary is never written, only
picked: every sentence it holds is one of the unit's.
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple, Sequence

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


_ASCII_WORD = re.compile(r"[a-z0-9]+")
_WORD = re.compile(r"[^\W_]+")
_BIGRAM = re.compile(f"(?=({_DENSE.pattern}{_DENSE.pattern}))")
_URL = re.compile(r"https?://[^\s\x00]+")
_END = "\x00"  # ends each sentence in a joined text
_ASCII_TOKEN = re.compile(r"\x00|[a-z0-9]+")
_TOKEN = re.compile(r"\x00|[^\W_]+")


def size(text: str) -> int:
    """Words (as `words` finds them), counted alike in every script: where words have no spaces, two
    characters count as one (so `min_words` and the budget mean about as much Chinese as English)."""
    if "://" in text:
        text = _URL.sub(" ", text)
    if text.isascii():
        return len(_ASCII_WORD.findall(text.lower()))
    folded = text.casefold()
    dense = len(_DENSE.findall(folded))
    return len(_WORD.findall(_DENSE.sub(" ", folded) if dense else folded)) + (dense + 1) // 2


def words(text: str) -> list[str]:
    """A sentence's words for ranking, case folded, URLs gone; where words have no spaces,
    overlapping character pairs (the usual unit for Chinese and Japanese search)."""
    if "://" in text:
        text = _URL.sub(" ", text)
    if text.isascii():
        return _ASCII_WORD.findall(text.lower())
    folded = text.casefold()
    if not _DENSE.search(folded):
        return _WORD.findall(folded)
    return _WORD.findall(_DENSE.sub(" ", folded)) + _BIGRAM.findall(folded)


class Encoded(NamedTuple):
    """Sentences as word ids: `ids[starts[i]:starts[i + 1]]` are sentence i's words."""

    ids: Any  # numpy int64 array
    starts: Any  # numpy int64 array, one more than there are sentences
    vocabulary: int
    sizes: list[int]  # each sentence's `size`


def encode(sentences: Sequence[str]) -> Encoded:
    """Every sentence's `words` as ids, in one regex pass over the joined text where it can be."""
    np = mh._numpy()
    if not sentences:
        return Encoded(np.zeros(0, dtype=np.int64), np.zeros(1, dtype=np.int64), 0, [])
    joined = _END.join(sentences) + _END
    if joined.count(_END) != len(sentences):  # a sentence holding the end mark itself
        joined = _END.join(s.replace(_END, " ") for s in sentences) + _END
    if "://" in joined:
        joined = _URL.sub(" ", joined)
    dense = False
    if joined.isascii():
        flat = _ASCII_TOKEN.findall(joined.lower())
    elif not _DENSE.search(joined):
        flat = _TOKEN.findall(joined.casefold())
    else:  # character pairs must not run across a sentence end: one sentence at a time
        flat = [w for s in sentences for w in (*words(s), _END)]
        dense = True
    vocab = {w: i for i, w in enumerate(dict.fromkeys(flat))}  # in order of first use: deterministic
    ids = np.fromiter(map(vocab.__getitem__, flat), dtype=np.int64, count=len(flat))
    end = ids == vocab[_END]
    ends = np.flatnonzero(end)
    lengths = np.diff(np.concatenate(([-1], ends))) - 1
    sizes = [size(s) for s in sentences] if dense else lengths.tolist()  # (there, a word count is the size)
    return Encoded(ids[~end], np.concatenate(([0], np.cumsum(lengths))), len(vocab), sizes)


def similarity(encoded: Encoded) -> Any:
    """The cosine similarity of every two sentences' TF-IDF vectors (IDF over these sentences; the
    diagonal 0): a target's matrix, whose blocks serve its sections."""
    np = mh._numpy()
    ids, starts, vocabulary, _ = encoded
    n = len(starts) - 1
    if not len(ids):
        return np.zeros((n, n))
    rows = np.repeat(np.arange(n), np.diff(starts))
    # (sentence, word) pairs with their counts, then each word's document frequency and weight.
    pairs, tf = np.unique(rows * vocabulary + ids, return_counts=True)
    row, col = pairs // vocabulary, pairs % vocabulary
    df = np.bincount(col, minlength=vocabulary)
    value = tf * (np.log(n / df[col]) + 1.0)
    norms = np.sqrt(np.bincount(row, value * value, minlength=n))
    norms[norms == 0] = 1.0
    # Only words two sentences share enter a dot product; the others count in the norms alone.
    keep = df[col] > 1
    shared = np.unique(col[keep])
    unit = np.zeros((n, len(shared)))
    unit[row[keep], np.searchsorted(shared, col[keep])] = value[keep] / norms[row[keep]]
    sim = unit @ unit.T
    np.fill_diagonal(sim, 0.0)
    return sim


def rank(sim: Any) -> list[float]:
    """Each sentence's LexRank score from a `similarity` matrix (or a block of one); they sum to 1."""
    np = mh._numpy()
    n = len(sim)
    if n <= 2:
        return [1.0 / n] * n if n else []
    sums = sim.sum(axis=1)
    # A sentence sharing no word with the others links to every sentence alike.
    transition = np.where(sums[:, None] > 0, sim / np.where(sums > 0, sums, 1.0)[:, None], 1.0 / n)
    return [float(x) for x in _stationary(np, transition)]


def centrality(sentences: Sequence[str]) -> list[float]:
    """Each sentence's LexRank score (they sum to 1); equal scores when nothing links them."""
    n = len(sentences)
    if n <= 2:
        return [1.0 / n] * n if n else []
    return rank(similarity(encode(sentences)))


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


def pick(sentences: Sequence[str], budget: int = 60, most: int = 3, scores: Sequence[float] | None = None,
         sizes: Sequence[int] | None = None) -> list[int]:
    """Indices of up to `most` sentences, most central first while they fit in `budget` words,
    returned in text order: the most central sentence that fits, then others only when more
    central than average (a short aside must not fill the budget). None when no sentence fits.
    `scores` and `sizes` are the sentences' `rank` and `size` when the caller has them already."""
    if scores is None:
        scores = centrality(sentences)
    order = sorted(range(len(sentences)), key=lambda i: (-round(scores[i], 12), i))  # ties: the earlier one
    chosen: list[int] = []
    used = 0
    for i in order:
        length = size(sentences[i]) if sizes is None else sizes[i]
        if used + length > budget or (chosen and scores[i] < 1.0 / len(sentences)):
            continue
        if any(sentences[j] == sentences[i] for j in chosen):
            continue  # a sentence said twice is said once
        chosen.append(i)
        used += length
        if len(chosen) >= most:
            break
    return sorted(chosen)
