"""A note's units as the duplicates pass keeps them in its summary, and back as `Unit`s to index.

A kept row is `[kind, line, end_line, heading, target id, anchor, text hash, shingles, heading path]`,
its shingles three bytes each in text order. The band keys are not kept with it: they follow from
the shingles, and the index the last full build saved (`Snapshot`) holds them, so `units` takes them
from there for a note unchanged since, and works them out for the rest.
"""

from __future__ import annotations

import base64
from typing import Any, Callable, Iterable

from . import _minhash as mh
from ._index import Unit

Key = tuple[str, str, int]  # (text hash, note path, line)


def key(path: str, row: list[Any]) -> Key:
    """A unit's key: its text's hash first, so a cluster is named by a copy's text, not by where it is."""
    return (row[6], path, row[1])


def pack(shingles: Any) -> str:
    """Shingle hashes (below 2**24) as three little-endian bytes each, in base64."""
    np = mh._numpy()
    data = shingles.astype("<u4").view(np.uint8).reshape(-1, 4)[:, :3]
    return base64.b64encode(data.tobytes()).decode("ascii")


def unpack(text: str) -> Any:
    """`pack`'s shingles back as uint32."""
    np = mh._numpy()
    data = np.frombuffer(base64.b64decode(text), dtype=np.uint8).reshape(-1, 3)
    out = np.zeros((len(data), 4), dtype=np.uint8)
    out[:, :3] = data
    return out.view("<u4").reshape(-1).astype(np.uint32)


def units(notes: Iterable[tuple[str, list[Any]]], known: Callable[[str], dict[Key, Any]] | None = None
          ) -> list[Unit]:
    """The units of these notes' rows; each one's band keys from `known(path)` (by unit key) where
    it has them, else made from its shingles (all such units' signatures at once)."""
    np = mh._numpy()
    out: list[Unit] = []
    todo: list[int] = []
    for path, rows in notes:
        have = known(path) if known is not None else {}
        for row in rows:
            k = key(path, row)
            keys = have.get(k)
            if keys is None:
                todo.append(len(out))
            out.append(Unit(k, path, (row[1], row[2]), unpack(row[7]), keys))
    if todo:
        sig, owner = mh.signatures([out[i].seq for i in todo])
        made = mh.band_keys(sig)
        bounds = np.searchsorted(owner, np.arange(len(todo) + 1))
        for n, i in enumerate(todo):
            u = out[i]
            out[i] = Unit(u.key, u.group, u.span, u.seq, made[bounds[n]:bounds[n + 1]])
    return out
