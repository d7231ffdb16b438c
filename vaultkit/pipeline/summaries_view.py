"""What a vault step (`combine`) is given: one pass's summaries of every note, by path.

A `Mapping`, so a pass may treat it as a dict. An editor hook on one note in a big vault must not
decode every other note's summary: there the values are read from the cache only when asked
for, and a pass that keeps its own index (see `Context.store`) can tell from `digests` which
notes changed since it saved it, and ask for those alone.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable, Iterator, Mapping


class Summaries(Mapping[str, Any]):
    """Summaries by note path; iterating (or `len`) reads every one that is not read yet.

    - `digests`: path -> hash of the human text the summary was made from (absent or '' where not
      known). Notes deleted since the cache recorded them may be among them: `get` gives None
      for those.
    - `changed`: the notes summarised in this run (their summaries may be new).
    - `wanted`: the notes whose results the run will use (None: every note's). A pass may return
      results for these alone.

    `load(paths)` reads summaries from the cache (`None`: every one); `exists(path)` tells whether
    the note is still there.
    """

    def __init__(self, values: Mapping[str, Any], digests: Mapping[str, str] | None = None, *,
                 pending: Iterable[str] = (), load: Callable[[list[str] | None], Mapping[str, Any]] | None = None,
                 exists: Callable[[str], bool] | None = None, changed: Iterable[str] = (),
                 wanted: Iterable[str] | None = None) -> None:
        self._pending = {p for p in pending if p not in values}
        # (a daemon's vault step runs on every save: an eager view takes its dicts as they are)
        self._values: dict[str, Any] = dict(values) if self._pending or not isinstance(values, dict) else values
        self.digests: dict[str, str] = dict(digests or {}) if self._pending or not isinstance(digests, dict) else digests
        self._load = load
        self._exists = exists
        self.changed = frozenset(changed)
        self.wanted = None if wanted is None else frozenset(wanted)

    def _read(self, paths: list[str]) -> None:
        """Read these pending summaries (a deleted note's is dropped); all of them in one query."""
        paths = [p for p in paths if p in self._pending]
        if not paths:
            return
        everything = len(paths) == len(self._pending) and len(paths) > 16
        self._pending.difference_update(paths)
        alive = [p for p in paths if self._exists is None or self._exists(p)]
        found = self._load(None if everything else alive) if self._load is not None and alive else {}
        for p in paths:
            if p in alive and p in found:
                self._values[p] = found[p]
            else:
                self.digests.pop(p, None)

    def read(self, paths: Iterable[str]) -> None:
        """Read the summaries of several notes at once (before looking them up one by one)."""
        self._read(list(paths))

    def __getitem__(self, path: str) -> Any:
        if path in self._pending:
            self._read([path])
        return self._values[path]

    def __iter__(self) -> Iterator[str]:
        self._read(list(self._pending))
        return iter(self._values)

    def __len__(self) -> int:
        self._read(list(self._pending))
        return len(self._values)

    def __contains__(self, path: object) -> bool:
        if isinstance(path, str) and path in self._pending:
            self._read([path])
        return path in self._values
