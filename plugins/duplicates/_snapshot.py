"""The duplicates index as a later run reads it back (`Context.store`): an editor hook on one note
in a big vault looks the note's units up in it, instead of rebuilding the index from every
note's summary (a second on a 6,000-note vault).

It keeps what a lookup needs and nothing per shingle: every unit's key, each band's keys sorted
(stored as the steps between them, which the state's compression takes to about half), the pairs found, the rows of the
units that have pairs, and the digest of every note it was built from. A candidate's shingles
come from its note's summary, read when it is a candidate.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass
from typing import Any, Hashable, Iterable, Mapping

from vaultkit_plugins.text.arrays import distinct

from . import _minhash as mh
from ._index import Index
from ._units import Key

_MAGIC = b"vaultkit-duplicates-3\n"


@dataclass
class Snapshot:
    """A built index, flattened: unit i is (its text hash, paths[unit_path[i]], unit_line[i])."""

    threshold: float
    digests: dict[str, str]  # every note the index was built from: path -> hash of its summary's text
    paths: list[str]
    hashes: str  # every unit's text hash, one after another (all `width` long)
    width: int
    unit_path: Any  # int32 per unit
    unit_line: Any  # int32 per unit
    band_keys: Any  # (BANDS, rows) uint32, each band sorted
    band_units: Any  # (BANDS, rows) uint16 or int32: the unit of each sorted key
    pairs: Any  # (pairs, 2) int32 unit indices
    scores: Any  # (pairs, 2) float64: containment, Jaccard
    rows: dict[int, list[Any]]  # the row (less shingles and signature) of every unit with a pair

    def key(self, unit: int) -> Key:
        return (self.hashes[unit * self.width:(unit + 1) * self.width], self.paths[int(self.unit_path[unit])],
                int(self.unit_line[unit]))

    def lookup(self, probes: Any) -> set[int]:
        """Units sharing a band key with any probe row (`band_keys` rows)."""
        np = mh._numpy()
        found: set[int] = set()
        for band in range(self.band_keys.shape[0]):
            keys, wanted = self.band_keys[band], np.sort(probes[:, band])
            lo = np.searchsorted(keys, wanted, side="left")
            hi = np.searchsorted(keys, wanted, side="right")
            for a, b in zip(lo.tolist(), hi.tolist()):
                if b > a:
                    found.update(self.band_units[band, a:b].tolist())
        return found

    def band_rows(self) -> dict[str, dict[Key, Any]]:
        """Every unit's band keys, by note: per band, the unit's keys in the order the band sorted
        them (a unit's rows may come back re-paired across bands, which LSH, comparing band by band,
        never sees)."""
        np = mh._numpy()
        n = len(self.unit_path)
        if not self.band_keys.size or not n:
            return {}
        order = np.argsort(self.band_units, axis=1, kind="stable")  # (16-bit unit numbers: a radix sort)
        grouped = np.take_along_axis(self.band_keys, order, axis=1).T
        counts = np.bincount(self.band_units[0].astype(np.int64), minlength=n)
        if any(not np.array_equal(np.bincount(b.astype(np.int64), minlength=n), counts) for b in self.band_units[1:]):
            return {}  # not what a build saves: worked out again
        bounds = np.concatenate(([0], np.cumsum(counts))).tolist()
        out: dict[str, dict[Key, Any]] = {}
        for i in range(n):
            out.setdefault(self.paths[int(self.unit_path[i])], {})[self.key(i)] = grouped[bounds[i]:bounds[i + 1]]
        return out

    def links(self, skip: set[int], seeds: Iterable[int]) -> dict[Hashable, dict[Hashable, tuple[float, float]]]:
        """The pairs as `Index.links` holds them (both ways) among the units linked to `seeds`,
        directly or through others, leaving out the units in `skip`."""
        np = mh._numpy()
        pairs, scores = self.pairs, self.scores
        if skip:
            dropped = np.zeros(len(self.unit_path), dtype=bool)
            dropped[list(skip)] = True
            keep = ~(dropped[pairs[:, 0]] | dropped[pairs[:, 1]])
            pairs, scores = pairs[keep], scores[keep]
        reached = np.zeros(len(self.unit_path), dtype=bool)
        frontier = np.array(sorted(set(seeds) - skip), dtype=np.int64)
        while len(frontier):
            reached[frontier] = True
            ends = pairs[reached[pairs[:, 0]] | reached[pairs[:, 1]]].ravel()
            frontier = distinct(ends[~reached[ends]])
        keep = reached[pairs[:, 0]]  # (both ends of such a pair are reached)
        out: dict[Hashable, dict[Hashable, tuple[float, float]]] = {}
        for (a, b), (c, j) in zip(pairs[keep].tolist(), scores[keep].tolist()):
            ka, kb = self.key(a), self.key(b)
            out.setdefault(ka, {})[kb] = out.setdefault(kb, {})[ka] = (c, j)
        return out

    @classmethod
    def of(cls, index: Index, digests: Mapping[str, str], rows_by_key: Mapping[Any, tuple[str, list[Any]]]
           ) -> Snapshot:
        """Flatten a built index (its units keyed as the pass keys them)."""
        np = mh._numpy()
        keys: list[Key] = list(index.units)  # type: ignore[arg-type]
        number: dict[Hashable, int] = {k: i for i, k in enumerate(keys)}
        paths = sorted({k[1] for k in keys} | set(digests))
        path_number = {p: i for i, p in enumerate(paths)}
        band_keys, owners = index.live_rows()
        owner = np.array([number[k] for k in owners], dtype=np.int32)
        order = np.argsort(band_keys, axis=0, kind="stable")
        sorted_keys = np.take_along_axis(band_keys, order, axis=0).T.copy()
        # (a vault of fewer than 65,536 units numbers them in two bytes: a smaller state to read)
        band_units = owner[order].T.astype(np.uint16 if len(keys) < 1 << 16 else np.int32)
        pairs = [(number[a], number[b], c, j) for (a, b), (c, j) in index.pairs.items()]
        linked = sorted({i for a, b, _, _ in pairs for i in (a, b)})
        width = len(keys[0][0]) if keys else 0
        if any(len(k[0]) != width for k in keys):
            raise ValueError("unit keys' text hashes differ in length")
        return cls(index.threshold, dict(digests), paths, "".join(k[0] for k in keys), width,
                   np.array([path_number[k[1]] for k in keys], dtype=np.int32),
                   np.array([k[2] for k in keys], dtype=np.int32), sorted_keys, band_units,
                   np.array([(a, b) for a, b, _, _ in pairs], dtype=np.int32).reshape(-1, 2),
                   np.array([(c, j) for _, _, c, j in pairs], dtype=np.float64).reshape(-1, 2),
                   {i: rows_by_key[keys[i]][1][:7] for i in linked if keys[i] in rows_by_key})

    _ARRAYS = ("unit_path", "unit_line", "band_keys", "band_units", "pairs", "scores")

    def to_bytes(self) -> bytes:
        """One blob: a JSON header, then each array's bytes."""
        np = mh._numpy()
        arrays = [getattr(self, name) for name in self._ARRAYS]
        keys = self.band_keys
        # Sorted keys as their steps, byte by byte (all the lowest bytes, then the next...): the
        # keys are random 32-bit values, but a step is about 2**32 / rows, so its top bytes are
        # mostly 0 and the state's compression takes them away. Back by a cumulative sum.
        steps = np.diff(keys, axis=1, prepend=np.zeros((len(keys), 1), dtype=keys.dtype))
        arrays[2] = np.ascontiguousarray(steps.astype("<u4").view(np.uint8).reshape(len(keys), -1, 4).transpose(0, 2, 1))
        header = json.dumps({
            "threshold": self.threshold, "digests": self.digests, "paths": self.paths, "hashes": self.hashes,
            "width": self.width,
            "rows": {str(i): row for i, row in self.rows.items()},
            "arrays": [[a.dtype.str, list(a.shape)] for a in arrays],
        }, separators=(",", ":")).encode("utf-8")
        return b"".join([_MAGIC, struct.pack("<Q", len(header)), header, *(a.tobytes() for a in arrays)])

    @classmethod
    def from_bytes(cls, data: bytes) -> Snapshot | None:
        """The snapshot in `data`, or None for bytes that are not one (an older format)."""
        try:
            return cls._read(data)
        except (ValueError, KeyError, TypeError, struct.error):  # damaged: rebuilt, never trusted
            return None

    @classmethod
    def _read(cls, data: bytes) -> Snapshot | None:
        np = mh._numpy()
        if not data.startswith(_MAGIC):
            return None
        at = len(_MAGIC)
        (size,) = struct.unpack_from("<Q", data, at)
        header = json.loads(data[at + 8:at + 8 + size])
        at += 8 + size
        arrays = []
        for dtype, shape in header["arrays"]:
            count = int(np.prod(shape)) if shape else 1
            array = np.frombuffer(data, dtype=np.dtype(dtype), count=count, offset=at).reshape(shape)
            arrays.append(array)
            at += array.nbytes
        if at != len(data):
            raise ValueError("trailing or missing bytes")
        unit_path, unit_line, planes, band_units, pairs, scores = arrays
        steps = np.ascontiguousarray(planes.transpose(0, 2, 1)).view("<u4").reshape(len(planes), -1)
        band_keys = np.cumsum(steps, axis=1, dtype=np.uint32)
        return cls(header["threshold"], header["digests"], header["paths"], header["hashes"], header["width"],
                   unit_path, unit_line,
                   band_keys, band_units, pairs, scores, {int(i): row for i, row in header["rows"].items()})
