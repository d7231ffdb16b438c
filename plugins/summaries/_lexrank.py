"""Extractive summaries: the most central sentences of a unit, in their original order (LexRank).

Used by the summaries pass: sentences are TF-IDF vectors over the unit's own words (character
pairs where a script has no spaces), cosine similarity links them, and the damped random walk's
stationary distribution ranks them (continuous LexRank). A summary is never written, only
picked: every sentence it holds is one of the unit's.
"""

from __future__ import annotations

import re
from typing import Any, Callable, NamedTuple, Sequence

from vaultkit_plugins.text.arrays import array, numpy, run_starts

from ._constants import WORD_MULTIPLIERS

DAMPING = 0.85
# Scripts written without spaces between words: Han, kana, Thai, Lao, Burmese, Khmer.
_DENSE_RANGES = ((0x3040, 0x30FF), (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0x0E00, 0x0EFF),
                 (0x1000, 0x109F), (0x1780, 0x17FF))


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


_URL = re.compile(r"https?://[^\s\x00]+")
_END = "\x00"  # ends each sentence in a joined text
_OTHER, _LETTER, _PACKED, _STOP = 0, 1, 2, 3  # character classes: words are runs of _LETTER
_tables: Any = None


_NOT_ALNUM = re.compile(r"[\W_]")  # `\w` is `str.isalnum()` and the underscore


def _to_codes(np: Any, text: str) -> Any:
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


def _character_tables() -> tuple[Any, Any, Any]:
    """Class and lower case of every BMP character, and the hashing multipliers (built once)."""
    global _tables
    if _tables is None:
        np = numpy()
        # Whole-string operations, not a Python call per character: an editor hook builds these.
        chars = np.arange(0x10000, dtype=np.uint32).tobytes().decode("utf-32-le", "surrogatepass")
        kind = np.where(_to_codes(np, _NOT_ALNUM.sub("\x00", chars)) != 0, _LETTER, _OTHER).astype(np.uint8)
        for lo, hi in _DENSE_RANGES:
            kind[lo:hi + 1] = np.where(kind[lo:hi + 1] == _LETTER, _PACKED, kind[lo:hi + 1])
        kind[0] = _STOP
        # Lower case, a block at a time; a character whose lower case is longer (İ) keeps its own.
        blocks = [chars[i:i + 256] for i in range(0, 0x10000, 256)]
        lowered = [b.lower() for b in blocks]
        lower = _to_codes(np, "".join(
            low if len(low) == 256 else "".join(c if len(c.lower()) != 1 else c.lower() for c in b)
            for b, low in zip(blocks, lowered))).astype(np.uint64)
        multipliers = array(WORD_MULTIPLIERS)
        _tables = (kind, lower, multipliers)
    return _tables


def size(text: str) -> int:
    """Words (runs of letters and digits, URLs left out), counted alike in every script: where words
    have no spaces, two characters count as one (so `min_words` and the budget mean about as much
    Chinese as English)."""
    return int(encode([text]).sizes[0])


class Encoded(NamedTuple):
    """Sentences as counted words: pair k says word `word[k]` occurs `count[k]` times in sentence
    `sentence[k]`; pairs are ordered by word, then sentence (what TF-IDF needs, in one sort)."""

    sentence: Any  # numpy int64 array
    word: Any  # numpy int64 array: ids 0 .. vocabulary - 1
    count: Any  # numpy int64 array
    vocabulary: int
    sizes: list[int]  # each sentence's `size`


def encode(sentences: Sequence[str]) -> Encoded:
    """Every sentence's words, counted, for all sentences at once in numpy, with no Python object
    per word: lower-cased runs of letters and digits (URLs left out) and, where a script has no
    spaces, overlapping character pairs (the usual unit for Chinese and Japanese search). A word's
    id comes from a fixed hash of its characters, so ids and their order are the same in every run."""
    np = numpy()
    kind_of, lower_of, mult = _character_tables()
    n = len(sentences)
    joined = _END.join(sentences) + _END
    if joined.count(_END) != max(n, 1):  # a sentence holding the end mark itself
        joined = _END.join(s.replace(_END, " ") for s in sentences) + _END
    if "://" in joined:
        joined = _URL.sub(" ", joined)
    points = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    wide = int(points.max(initial=0)) >= 0x10000
    if not wide:
        kind = kind_of[points]
    else:  # outside the BMP (rare): ask Python about each such character
        small = points < 0x10000
        kind = np.where(small, kind_of[np.where(small, points, 0)], _OTHER)
        for i in np.flatnonzero(~small):
            kind[i] = _LETTER if chr(int(points[i])).isalnum() else _OTHER

    def lower(where: Any) -> Any:  # lower case only where it is needed: not an array per character
        chosen = points[where]
        if not wide:
            return lower_of[chosen]
        return np.where(chosen < 0x10000, lower_of[np.minimum(chosen, 0xFFFF)], chosen.astype(np.uint64))

    ends = np.flatnonzero(kind == _STOP)
    letter = kind == _LETTER
    # Words: runs of letters, hashed from each character and its place in the word.
    first = letter & ~np.concatenate(([False], letter[:-1]))
    at = np.flatnonzero(letter)
    first_at = first[at]
    heads = np.flatnonzero(first_at)  # where each word starts, among the letters
    word_starts = at[heads]
    run = np.cumsum(first_at) - 1
    offset = at - word_starts[run]
    values = lower(at) * (mult[offset & 63] + (offset >> 6).astype(np.uint64))
    word_hash = np.add.reduceat(values, heads) if len(at) else np.zeros(0, np.uint64)
    word_hash[:-1] += (heads[1:] - heads[:-1]).astype(np.uint64) * mult[64]  # and its length
    word_hash[-1:] += (len(at) - heads[-1:]).astype(np.uint64) * mult[64]
    word_sentence = np.searchsorted(ends, word_starts)
    # Character pairs where a script has no spaces.
    packed = kind == _PACKED
    pair = np.flatnonzero(packed[:-1] & packed[1:])
    pair_hash = lower(pair) * mult[0] + lower(pair + 1) * mult[1] + mult[65]
    # One sort of (word hash, sentence) keys: the hash's low bits give way to the sentence's index.
    bits = np.uint64(max(n, 1).bit_length())
    keys = np.concatenate((word_hash, pair_hash)) >> bits << bits
    keys |= np.concatenate((word_sentence, np.searchsorted(ends, pair))).astype(np.uint64)
    keys.sort()
    at_pair = np.flatnonzero(run_starts(keys))
    unique = keys[at_pair]
    word_id = np.cumsum(run_starts(unique >> bits)) - 1
    sentence = (unique & ((np.uint64(1) << bits) - np.uint64(1))).astype(np.int64)
    count = np.empty(len(at_pair), dtype=np.int64)
    count[:-1] = at_pair[1:] - at_pair[:-1]
    count[-1:] = len(keys) - at_pair[-1:]
    halves = np.bincount(np.searchsorted(ends, np.flatnonzero(packed)), minlength=n)[:n]
    sizes = (np.bincount(word_sentence, minlength=n)[:n] + (halves + 1) // 2).tolist()
    return Encoded(sentence, word_id, count, int(word_id[-1]) + 1 if len(word_id) else 0, sizes)


def similarity(encoded: Encoded) -> Any:
    """The cosine similarity of every two sentences' TF-IDF vectors (IDF over these sentences; the
    diagonal 0): a target's matrix, whose blocks serve its sections."""
    np = numpy()
    row, col, tf, vocabulary, sizes = encoded
    n = len(sizes)
    if not len(row):
        return np.zeros((n, n))
    df = np.bincount(col, minlength=vocabulary)
    value = tf * (np.log(n / df[col]) + 1.0)
    norms = np.sqrt(np.bincount(row, value * value, minlength=n))
    norms[norms == 0] = 1.0
    # Only words two sentences share enter a dot product; the others count in the norms alone.
    shared = df > 1
    column = np.cumsum(shared) - 1
    keep = shared[col]
    unit = np.zeros((n, int(column[-1]) + 1))
    unit[row[keep], column[col[keep]]] = value[keep] / norms[row[keep]]
    sim = unit @ unit.T
    np.fill_diagonal(sim, 0.0)
    return sim


def rank(sim: Any) -> list[float]:
    """Each sentence's LexRank score from a `similarity` matrix (or a block of one); they sum to 1."""
    np = numpy()
    n = len(sim)
    if n <= 2:
        return [1.0 / n] * n if n else []
    sums = sim.sum(axis=1)
    if sums.all():
        transition = sim / sums[:, None]
    else:  # a sentence sharing no word with the others links to every sentence alike
        transition = np.where(sums[:, None] > 0, sim / np.where(sums > 0, sums, 1.0)[:, None], 1.0 / n)
    return _stationary(np, transition).tolist()


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
        system = transition.T * -DAMPING
        system.flat[:: n + 1] += 1.0
        score = np.linalg.solve(system, np.full(n, (1 - DAMPING) / n))
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
         sizes: Sequence[int] | None = None, allowed: Callable[[int], bool] | None = None,
         chosen: Sequence[int] = ()) -> list[int]:
    """Indices of up to `most` sentences, most central first while they fit in `budget` words,
    returned in text order: the most central sentence that fits, then others only when more
    central than average (a short aside must not fill the budget). None when no sentence fits.
    `scores` and `sizes` are the sentences' `rank` and `size` when the caller has them already;
    `allowed(i)` rules sentence i out (a question, a list's intro); `chosen` are already in (a lead)."""
    if scores is None:
        scores = centrality(sentences)
    np = numpy()  # most central first; ties (to 12 places): the earlier one, as a stable sort keeps them
    order = np.argsort(-np.round(np.asarray(scores, dtype=float), 12), kind="stable").tolist()
    picked: list[int] = list(chosen)
    used = sum(size(sentences[i]) if sizes is None else sizes[i] for i in picked)
    if len(picked) >= most:
        return sorted(picked)
    average = 1.0 / len(sentences) if sentences else 0.0
    for i in order:
        if picked and scores[i] < average:
            break  # (in order of score: no later one is above average either)
        length = size(sentences[i]) if sizes is None else sizes[i]
        if i in picked or used + length > budget:
            continue
        if any(sentences[j] == sentences[i] for j in picked):
            continue  # a sentence said twice is said once
        if allowed is not None and not allowed(i):  # (asked last: only of sentences that would be picked)
            continue
        picked.append(i)
        used += length
        if len(picked) >= most:
            break
    return sorted(picked)
