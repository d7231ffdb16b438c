"""The duplicate-section index: units by key, their LSH band keys, and the similar pairs among them.

Built once over every unit of a vault, then updated one note at a time: a changed note's units
are dropped and its new ones queried against the rest, so the cost of an update follows the
note, not the vault (the watch daemon keeps one index for its lifetime).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Hashable, Iterable, Sequence

from vaultkit_plugins.text.arrays import distinct

from . import _minhash as mh


@dataclass(frozen=True)
class Unit:
    """One section or callout to compare: a key (note path and more), its shingles and band keys."""

    key: Hashable
    group: str  # units of one group (one note) that overlap are never paired with each other
    span: tuple[int, int]  # its lines in that note
    seq: Any  # its shingle hashes (uint32), in text order or already sorted and unique
    rows: Any  # uint32 band keys, one row per signature row (`_minhash.band_keys`)

    @cached_property
    def shingles(self) -> Any:
        """Sorted and unique, for the exact check (made when a unit is first a candidate: most never are)."""
        return distinct(self.seq)


@dataclass
class Index:
    """Units, their band keys, and every pair at or above `threshold` containment.

    Band keys are kept sorted per band (looked up by binary search), with the rows added since the
    last sort scanned directly; so an update costs about the changed note's rows, not the vault's.
    """

    threshold: float
    units: dict[Hashable, Unit] = field(default_factory=dict)
    links: dict[Hashable, dict[Hashable, tuple[float, float]]] = field(default_factory=dict)  # both ways
    _keys: Any = None  # band keys, one row per signature row (rows are only appended): a view of `_store`
    _store: Any = None  # room for more rows, so a save appends its rows without copying the vault's
    _alive_store: Any = None
    _owner: list[Hashable] = field(default_factory=list)  # the unit key of each row
    _rows_of: dict[Hashable, tuple[int, int]] = field(default_factory=dict)  # first row, row count
    _alive: Any = None
    _sorted: list[tuple[Any, Any]] = field(default_factory=list)  # per band: (sorted keys, their rows)
    _sorted_upto: int = 0  # rows before this are in `_sorted`
    resort_after: int = 1024  # rows added since the last sort (at least) before sorting again

    def build(self, units: Sequence[Unit]) -> None:
        """Index every unit and find all pairs (LSH candidates, then the exact check)."""
        np = mh._numpy()
        self.units = {u.key: u for u in units}
        self.links = {}
        rows = [u.rows for u in units]
        self._keys = self._store = np.concatenate(rows) if rows else np.zeros((0, mh.BANDS), dtype=np.uint32)
        self._owner, self._rows_of = [], {}
        for u in units:
            self._add_rows(u)
        self._alive = self._alive_store = np.ones(len(self._keys), dtype=bool)
        self._resort()
        owner_idx = np.array([i for i, u in enumerate(units) for _ in range(len(u.rows))], dtype=np.int64)
        for i, j in mh.candidate_pairs(self._keys, owner_idx):
            self._check(units[i], units[j])

    def update(self, removed: Iterable[Hashable], added: Sequence[Unit]) -> set[Hashable]:
        """Drop units and add new ones, pairing only the new ones; returns every unit whose pairs changed."""
        np = mh._numpy()
        touched: set[Hashable] = set()
        gone = set(removed)
        for key in gone:
            for other in self.links.pop(key, {}):
                touched.add(other)
                mine = self.links.get(other)
                if mine is not None:
                    mine.pop(key, None)
                    if not mine:
                        del self.links[other]
            self.units.pop(key, None)
            first, count = self._rows_of.pop(key, (0, 0))
            self._alive[first:first + count] = False
        touched -= gone
        if added:
            keys = np.concatenate([u.rows for u in added])
            candidates = {self._owner[r] for r in self._lookup(keys)}
            for u in added:
                self.units[u.key] = u
            for u in added:
                touched.add(u.key)
                for key in candidates:
                    if key != u.key and key in self.units and self._check(u, self.units[key]):
                        touched.add(key)
            for i in range(len(added)):  # pairs among the added units themselves
                for j in range(i + 1, len(added)):
                    self._check(added[i], added[j])
            self._append(keys)
            for u in added:
                self._add_rows(u)
        if len(self._owner) - self._sorted_upto > max(self.resort_after, len(self._owner) // 8):
            self._resort()
        return touched

    def live_rows(self) -> tuple[Any, list[Hashable]]:
        """The band keys of every live row and the key of the unit it belongs to (what a snapshot keeps)."""
        np = mh._numpy()
        live = np.nonzero(self._alive)[0]
        return self._keys[live], [self._owner[i] for i in live.tolist()]

    def _append(self, keys: Any) -> None:
        """Add rows of band keys, growing the store by doubling (amortised: no copy per save)."""
        np = mh._numpy()
        n, m = len(self._keys), len(keys)
        if n + m > len(self._store):
            store = np.empty((max(2 * len(self._store), n + m), self._store.shape[1]), dtype=self._store.dtype)
            store[:n] = self._keys
            alive = np.zeros(len(store), dtype=bool)
            alive[:n] = self._alive
            self._store, self._alive_store = store, alive
        self._store[n:n + m] = keys
        self._alive_store[n:n + m] = True
        self._keys, self._alive = self._store[:n + m], self._alive_store[:n + m]

    def _add_rows(self, unit: Unit) -> None:
        self._rows_of[unit.key] = (len(self._owner), len(unit.rows))
        self._owner += [unit.key] * len(unit.rows)

    def _resort(self) -> None:
        """Sort every band's keys again (live rows only), so lookups are binary searches."""
        np = mh._numpy()
        live = np.nonzero(self._alive)[0]
        self._sorted = []
        for band in range(self._keys.shape[1]):
            col = self._keys[live, band]
            order = np.argsort(col, kind="stable")
            self._sorted.append((col[order], live[order]))
        self._sorted_upto = len(self._owner)

    def _lookup(self, probes: Any) -> list[int]:
        """Live rows that share a band key with any probe row."""
        np = mh._numpy()
        found: list[Any] = []
        for band, (keys, rows) in enumerate(self._sorted):
            wanted = np.sort(probes[:, band])  # (sorted needles: each search starts where the last ended)
            lo = np.searchsorted(keys, wanted, side="left")
            hi = np.searchsorted(keys, wanted, side="right")
            found += [rows[a:b] for a, b in zip(lo.tolist(), hi.tolist()) if b > a]
        recent = self._keys[self._sorted_upto:]
        if len(recent) and len(probes):
            # Rows added since the last sort (up to an eighth of a big vault's): each band's keys
            # looked up among the probes' few sorted keys, not every probe compared with every row.
            hit = np.zeros(len(recent), dtype=bool)
            for band in range(recent.shape[1]):
                wanted = np.sort(probes[:, band])
                column = recent[:, band]
                at = np.minimum(np.searchsorted(wanted, column), len(wanted) - 1)
                hit |= wanted[at] == column
            found.append(np.nonzero(hit)[0] + self._sorted_upto)
        if not found:
            return []
        rows = distinct(np.concatenate(found))
        return rows[self._alive[rows]].tolist()

    def _check(self, a: Unit, b: Unit) -> bool:
        """The exact check: keep the pair if its containment reaches the threshold."""
        if a.group == b.group and a.span[0] <= b.span[1] and b.span[0] <= a.span[1]:
            return False  # a section inside a callout of the same note, or the same unit
        containment, jaccard = mh.overlap(a.shingles, b.shingles)
        if containment < self.threshold:
            return False
        self.links.setdefault(a.key, {})[b.key] = self.links.setdefault(b.key, {})[a.key] = (containment, jaccard)
        return True

    @property
    def pairs(self) -> dict[tuple[Hashable, Hashable], tuple[float, float]]:
        """Every similar pair once, as (smaller key, larger key)."""
        return {(a, b): v for a, others in self.links.items() for b, v in others.items() if _order(a) < _order(b)}

    def partners(self, key: Hashable) -> list[tuple[Hashable, float, float]]:
        """The units paired with `key`: (other key, containment, Jaccard), most similar first."""
        out = [(other, c, j) for other, (c, j) in self.links.get(key, {}).items()]
        return sorted(out, key=lambda x: (-x[1], _order(x[0])))

    def cluster(self, key: Hashable) -> Hashable:
        """The smallest key of the units `key` is connected to through pairs (itself if none)."""
        seen, todo = {key}, [key]
        while todo:
            for other in self.links.get(todo.pop(), {}):
                if other not in seen:
                    seen.add(other)
                    todo.append(other)
        return min(seen, key=_order)


def _order(key: Hashable) -> str:
    return repr(key)
