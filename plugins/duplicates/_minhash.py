"""Near-duplicate search over text units: word shingles, MinHash signatures, LSH banding, exact check.

numpy does the hashing for every shingle of every unit at once (datasketch hashes one unit per
call, which at 100k units is the whole time budget). Everything here is deterministic across
runs and machines (words are hashed with CRC-32, the permutations come from a fixed seed), so
signatures can be cached and compared with ones computed in another run.

Long units are indexed as overlapping windows, so an excerpt pasted into a longer section still
shares a near-identical window with it; the exact check then scores containment.
"""

from __future__ import annotations

import re
import zlib
from typing import TYPE_CHECKING, Any, Sequence

from vaultkit_plugins.text import arrays
from vaultkit_plugins.text.arrays import array
from vaultkit_plugins.text.references import MARKERS

from ._constants import MINHASH_A, MINHASH_B

if TYPE_CHECKING:
    import numpy as np

SHINGLE = 3  # words per shingle
PERMS = 64  # MinHash permutations
BANDS, ROWS = 21, 3  # LSH over the first 63 values: a pair with Jaccard 0.55 is a candidate with p = 0.98
HASH_BITS = 24  # of a shingle's hash (see `_mix`)
WINDOW = 60  # words; longer units are also indexed as windows of this size, half overlapping

_UNSPACED = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\u0e00-\u0eff\u1780-\u17ff"
_WORD = re.compile(f"[{_UNSPACED}]+|[^\\W_]+")
_IS_UNSPACED = re.compile(f"[{_UNSPACED}]")
_PLAIN_WORD = re.compile(r"[^\W_]+")
MARKUP = re.compile(MARKERS.pattern + r"|\[\^[^\]\s]+\]|https?://\S+")  # markers, footnotes, URLs


def words(text: str) -> list[str]:
    """The words to compare: case, emphasis, list markers, quote prefixes, markers and punctuation gone.

    Scripts written without spaces (Chinese, Japanese, Korean, Thai, Khmer) have no words to
    split at: each run of them becomes its overlapping character trigrams, so a shingle spans five
    characters (single characters as words made three-character shingles that unrelated Thai
    sections share by the dozen).
    """
    if "[" in text or "http" in text.lower():  # (what every markup pattern needs)
        text = MARKUP.sub(" ", text)
    if not _IS_UNSPACED.search(text):
        return _PLAIN_WORD.findall(text.casefold())  # (most text: `_WORD` less its first branch, which never matches)
    out: list[str] = []
    for token in _WORD.findall(text.casefold()):
        if len(token) > 3 and _IS_UNSPACED.match(token):
            out += [token[i:i + 3] for i in range(len(token) - 2)]
        else:
            out.append(token)
    return out


_FULL = (1 << 64) - 1
_PARAMS: Any = None


def _numpy() -> Any:
    """numpy, with the hash parameters made on first use (a run without this pass never pays)."""
    global _PARAMS
    np = arrays.numpy()
    if _PARAMS is None:
        _PARAMS = (array(MINHASH_A), array(MINHASH_B))
    return np


_CACHE: dict[str, int] = {}


def shingles(ws: Sequence[str]) -> "np.ndarray":
    """The unit's shingle hashes (24-bit, as uint32) in text order, one per run of `SHINGLE` words."""
    return shingles_many([ws])[0]


def shingles_many(units: Sequence[Sequence[str]]) -> list["np.ndarray"]:
    """`shingles` of many units at once: the same hashes, a few numpy calls for the whole batch."""
    np = _numpy()
    flat = [w for ws in units for w in ws]
    ids = list(map(_CACHE.get, flat))
    if None in ids:  # words not seen before in this process
        if len(_CACHE) > 500_000:
            _CACHE.clear()
        for w in flat:
            if w not in _CACHE:
                _CACHE[w] = zlib.crc32(w.encode("utf-8"))
        ids = list(map(_CACHE.__getitem__, flat))
    x = np.array(ids, dtype=np.uint64)
    lengths = np.array([len(ws) for ws in units], dtype=np.int64)
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1])) if len(units) else lengths
    n = len(x)
    acc = np.zeros(max(n - SHINGLE + 1, 0), dtype=np.uint64)
    for k in range(SHINGLE):
        acc = (acc ^ x[k:n - SHINGLE + 1 + k]) * np.uint64(0x100000001B3 + 2 * k)
    hashed = _mix(np, acc) if len(acc) else np.zeros(0, dtype=np.uint32)
    short = _mix(np, x * np.uint64(0x9E3779B97F4A7C15)) if n else np.zeros(0, dtype=np.uint32)
    out = []
    for start, length in zip(starts.tolist(), lengths.tolist()):
        if length >= SHINGLE:  # a shingle starting here ends inside the unit
            out.append(hashed[start:start + length - SHINGLE + 1])
        else:  # fewer words than a shingle: each word stands alone
            out.append(short[start:start + length])
    return out


def _mix(np: Any, h: "np.ndarray") -> "np.ndarray":
    """The top `HASH_BITS` of a mixed 64-bit value.

    24 bits, so the cache keeps three bytes per shingle: two different shingles of units of n and m
    distinct shingles meet by chance n·m / 2**24 times, which moves the containment of a 200-shingle
    unit in a 20,000-shingle one by under 0.2 % (at 32 bits the cache held a third more)."""
    h = h ^ (h >> np.uint64(31))
    h = h * np.uint64(0xBF58476D1CE4E5B9)
    return (h >> np.uint64(64 - HASH_BITS)).astype(np.uint32)


def signatures(units: Sequence["np.ndarray"], window: int = WINDOW, chunk: int = 1 << 14
               ) -> tuple["np.ndarray", "np.ndarray"]:
    """MinHash signatures of every unit and every window of the longer ones.

    Returns (signatures as uint32 rows, the unit index of each row). A unit of up to
    1.5 windows is one row; a longer one is one row per window of `window` shingles, windows
    starting every `window // 2`. Units must not be empty (an empty one would match every other).
    """
    np = _numpy()
    a, b = _PARAMS
    half = max(window // 2, 1)
    # Cut every unit into blocks of `half` shingles (short units: one block); a row is the
    # minimum over one or two consecutive blocks, so each shingle is hashed once.
    # All of it as arrays, never a Python object per block or row: at 100k units those add up.
    lengths = np.array([len(sh) for sh in units], dtype=np.int64)
    offsets = np.concatenate(([0], np.cumsum(lengths)[:-1])) if len(units) else lengths
    long = lengths > window + half
    blocks = np.where(long, -(-(lengths - half) // half), 1)  # ceil((n - half) / half) blocks when long
    unit_of_block = np.repeat(np.arange(len(units)), blocks)
    first_block = np.concatenate(([0], np.cumsum(blocks)[:-1])) if len(units) else blocks
    k = np.arange(len(unit_of_block)) - first_block[unit_of_block]  # a block's index in its unit
    starts = (offsets[unit_of_block] + k * half).tolist()
    # rows: a short unit's single block; a long unit's consecutive pairs of blocks
    rows = np.where(long, blocks - 1, 1)
    row_unit = np.repeat(np.arange(len(units)), rows)
    row_first = first_block[row_unit] + (np.arange(len(row_unit)) - np.repeat(np.cumsum(rows) - rows, rows))
    row_pair = long[row_unit]
    flat = np.concatenate(units) if units else np.zeros(0, dtype=np.uint32)
    block_min = np.empty((len(starts), PERMS), dtype=np.uint32)
    if len(starts):
        bounds = np.array(starts + [len(flat)], dtype=np.int64)
        buf = np.empty((max(chunk, int(np.diff(bounds).max())), PERMS), dtype=np.uint64)
        i = 0
        while i < len(starts):
            j = int(np.searchsorted(bounds, bounds[i] + chunk, side="right")) - 1
            j = min(max(j, i + 1), len(starts))
            lo, hi = int(bounds[i]), int(bounds[j])
            if hi > lo:
                # (a·x + b) mod 2^64, its top 32 bits the hash: the minimum of the full values has
                # the minimum top bits, so the shift waits until after the reduction
                h = np.multiply(flat[lo:hi].astype(np.uint64)[:, None], a[None, :], out=buf[: hi - lo])
                np.add(h, b[None, :], out=h)
                offs = bounds[i:j] - lo
                nonempty = offs < (hi - lo)
                red = np.full((j - i, PERMS), _FULL, dtype=np.uint64)
                if nonempty.any():
                    red[nonempty] = np.minimum.reduceat(h, offs[nonempty], axis=0)
                red[np.diff(bounds[i:j + 1]) == 0] = _FULL  # an empty block: reduceat gave its neighbour's
                block_min[i:j] = (red >> np.uint64(32)).astype(np.uint32)
            else:
                block_min[i:j] = np.iinfo(np.uint32).max
            i = j
    sig = block_min[row_first]
    sig[row_pair] = np.minimum(sig[row_pair], block_min[row_first[row_pair] + 1])
    return sig, row_unit.astype(np.int64)


def band_keys(sig: "np.ndarray") -> "np.ndarray":
    """One uint32 key per band per row: rows that agree on a whole band share its key.

    32 bits, not 64: the keys are what the cache keeps of a unit's signature (a quarter of its 64
    values), and a stray match between unrelated rows costs only an exact check that says no.
    """
    np = _numpy()
    s = sig[:, :BANDS * ROWS].astype(np.uint64).reshape(len(sig), BANDS, ROWS)
    key = np.zeros((len(sig), BANDS), dtype=np.uint64)
    for r in range(ROWS):
        key = (key ^ s[:, :, r]) * np.uint64(0x100000001B3)
    key ^= np.arange(BANDS, dtype=np.uint64)[None, :] * np.uint64(0x9E3779B97F4A7C15)
    return (key & np.uint64(0xFFFFFFFF)).astype(np.uint32)


def candidate_pairs(keys: "np.ndarray", owner: "np.ndarray", cap: int = 64) -> set[tuple[int, int]]:
    """Pairs of units (i < j) that share a band key in some row; buckets over `cap` rows are
    boilerplate that every unit has (the same empty template): their pairs come from one chain."""
    np = _numpy()
    pairs: set[tuple[int, int]] = set()
    for band in range(keys.shape[1]):
        col = keys[:, band]
        order = np.argsort(col, kind="stable")
        ordered = col[order]
        same = np.nonzero(ordered[1:] == ordered[:-1])[0]
        if not len(same):
            continue
        # runs of equal keys
        breaks = np.nonzero(np.diff(same) != 1)[0]
        run_starts = np.concatenate(([same[0]], same[breaks + 1]))
        run_ends = np.concatenate((same[breaks], [same[-1]])) + 2
        two = run_ends - run_starts == 2  # most runs: one pair, taken without a Python loop
        a, b = owner[order[run_starts[two]]], owner[order[run_starts[two] + 1]]
        differ = a != b
        pairs.update(zip(np.minimum(a, b)[differ].tolist(), np.maximum(a, b)[differ].tolist()))
        for s, e in zip(run_starts[~two].tolist(), run_ends[~two].tolist()):
            members = sorted(set(owner[order[s:e]].tolist()))
            if len(members) < 2:
                continue
            if len(members) > cap:
                pairs.update((members[k], members[k + 1]) for k in range(len(members) - 1))
                continue
            for x in range(len(members)):
                for y in range(x + 1, len(members)):
                    pairs.add((members[x], members[y]))
    return pairs


def overlap(a: "np.ndarray", b: "np.ndarray") -> tuple[float, float]:
    """(containment of the smaller in the larger, Jaccard) of two sorted, duplicate-free shingle arrays."""
    np = _numpy()
    if not len(a) or not len(b):
        return 0.0, 0.0
    if len(a) > len(b):
        a, b = b, a
    at = np.searchsorted(b, a)
    inter = int(np.count_nonzero(b[np.minimum(at, len(b) - 1)] == a))
    return inter / len(a), inter / (len(a) + len(b) - inter)
