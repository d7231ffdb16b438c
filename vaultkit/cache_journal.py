"""The undo journal's tables, as a part of `Cache`: each writing run's notes as they were before it.

A note's earlier bytes are kept as line edits of what vaultkit wrote (`packing.delta`), since undo
restores only a note that still holds exactly that.
"""

from __future__ import annotations

import functools
import sqlite3
import threading
import time
from typing import Any, Callable

from vaultkit.packing import delta, patch
from vaultkit.text import digest


def busy(default: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A cache another process keeps locked past BUSY_SECONDS, or one damaged under a run, costs speed,
    never the run: the method answers `default` and the cache is off for the rest of the run (with the
    reason in `Cache.trouble`, which the CLI prints once)."""

    def wrap(method: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(method)
        def guarded(self: Any, *args: Any, **kw: Any) -> Any:
            try:
                return method(self, *args, **kw)
            except sqlite3.Error as exc:
                self.give_up(exc)
                return default
            except AttributeError:
                if self.db is None:  # (another thread gave the cache up between this one's check and its use)
                    return default
                raise

        return guarded

    return wrap



class JournalTables:
    """`Cache`'s journal methods (the `runs` and `journal_v2` tables)."""

    db: sqlite3.Connection | None
    lock: threading.RLock

    def give_up(self, exc: BaseException) -> None:  # pragma: no cover — Cache's own
        raise NotImplementedError

    def vacuum(self, share: float = 0.3, least: int = 4 << 20) -> bool:  # pragma: no cover — Cache's own
        raise NotImplementedError

    # --- the undo journal: each writing run's previous bytes of the notes it changed --------------

    @busy(None)
    def begin_run(self, command: str) -> int | None:
        """A new journal entry for a run that may write; None without a cache (nothing can be undone)."""
        if self.db is None:
            return None
        with self.lock, self.db:
            cur = self.db.execute("INSERT INTO runs (started, command) VALUES (?, ?)", (time.time(), command))
        return cur.lastrowid

    def journal(self, run: int, rows: list[tuple[str, bytes, bytes]], complete: bool = True) -> bool:
        """Keep notes' bytes from before the run wrote them: (path, before, after) rows, in one
        transaction; `complete=False` marks the run as kept only in part. False if they could not be kept."""
        if self.db is None or (not rows and complete):
            return True
        try:
            with self.lock, self.db:
                # IMMEDIATE: the batch reads before it writes, and in WAL mode a transaction that read
                # cannot start writing once another process (a worker of the same run) has committed:
                # SQLite says "busy" at once, without waiting, and the batch was lost.
                self.db.execute("BEGIN IMMEDIATE")
                kept: dict[str, tuple[int, str, bytes, str]] = {}
                for path, before, after in rows:
                    # A note written twice in one run keeps its first `before`: the second write's `before`
                    # is the first write's `after`, which that delta was made from (this batch's or stored).
                    first = kept[path][2:] if path in kept else self.db.execute(
                        "SELECT before, after FROM journal_v2 WHERE run=? AND path=?", (run, path)).fetchone()
                    if first is not None:
                        if digest(before) != first[1]:
                            continue  # (changed in between by someone else: undo will leave it alone anyway)
                        before = patch(before, bytes(first[0]))
                    # `before` as edits of what vaultkit wrote: undo restores only a note that still holds it.
                    kept[path] = (run, path, delta(before, after), digest(after))
                self.db.executemany("INSERT OR REPLACE INTO journal_v2 VALUES (?,?,?,?)", list(kept.values()))
                if not complete:
                    self.db.execute("UPDATE runs SET complete=0 WHERE id=?", (run,))
        except sqlite3.Error:
            return False  # a journal that cannot be written costs the undo of these notes, never the run
        return True

    @busy(None)
    def end_run(self, run: int, keep: int, max_bytes: int) -> None:
        """Forget the run if it wrote nothing, then the oldest runs beyond `keep` runs or `max_bytes`."""
        if self.db is None:
            return
        with self.lock, self.db:
            if self.db.execute("SELECT 1 FROM journal_v2 WHERE run=? LIMIT 1", (run,)).fetchone() is None:
                self.db.execute("DELETE FROM runs WHERE id=?", (run,))
            sizes = self.db.execute(
                "SELECT r.id, COALESCE(SUM(LENGTH(j.before)), 0) FROM runs r LEFT JOIN journal_v2 j ON j.run = r.id "
                "GROUP BY r.id ORDER BY r.id DESC").fetchall()
            total = 0
            for i, (rid, size) in enumerate(sizes):
                total += size
                if i >= keep or (i > 0 and total > max_bytes):
                    self.forget_run(rid)
        self.vacuum()

    @busy([])
    def runs(self) -> list[tuple[int, float, str, bool, int, int]]:
        """Recorded runs, newest first: (id, started, command, complete, notes, bytes)."""
        if self.db is None:
            return []
        with self.lock:
            return [(r[0], r[1], r[2], bool(r[3]), r[4], r[5]) for r in self.db.execute(
                "SELECT r.id, r.started, r.command, r.complete, COUNT(j.path), COALESCE(SUM(LENGTH(j.before)), 0) "
                "FROM runs r LEFT JOIN journal_v2 j ON j.run = r.id GROUP BY r.id ORDER BY r.id DESC")]

    @busy([])
    def journal_of(self, run: int) -> list[tuple[str, bytes, str]]:
        """A run's (path, what was kept of the bytes before — `packing.patch` of the note as written
        gives them — and the digest of the bytes it wrote)."""
        if self.db is None:
            return []
        with self.lock:
            return [(r[0], bytes(r[1]), r[2]) for r in
                    self.db.execute("SELECT path, before, after FROM journal_v2 WHERE run=? ORDER BY path", (run,))]

    @busy(None)
    def forget_run(self, run: int) -> None:
        """Drop a run from the journal (undone, or too old to keep)."""
        if self.db is None:
            return
        with self.lock, self.db:
            self.db.execute("DELETE FROM journal_v2 WHERE run=?", (run,))
            self.db.execute("DELETE FROM runs WHERE id=?", (run,))

