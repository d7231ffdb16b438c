"""SQLite cache outside the vault: per-note reports by stat, pass results by content hash."""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
import zlib
from pathlib import Path
from typing import Any, Iterable

from vaultkit.cache_journal import JournalTables, busy
from vaultkit.packing import pack, pack_state, unpack, unpack_state
from vaultkit.text import digest

SCHEMA = 6  # 5: values packed (`packing`), results without the summaries the summaries table holds;
# 6: packed against a dictionary. The journal and lookups are kept across schemas, in tables of
# their own name (`_v2`): a vaultkit from before packing finds its own tables empty rather than
# read deltas as a note's bytes (its undo would have written them into the note).
# A file modified this recently may change again within the same mtime tick
# (the "racy git" problem), so its stat alone is not trusted next time.
RACY_SECONDS = 0.1
BUSY_SECONDS = 10.0  # how long to wait for another process to release the cache before going on without it


def cache_path(vault: Path) -> Path:
    """One database per vault, in the user cache dir (so sync tools never carry it)."""
    root = os.environ.get("VAULTKIT_CACHE_DIR")
    if root:
        base = Path(root)
    else:
        from platformdirs import user_cache_dir

        base = Path(user_cache_dir("vaultkit", appauthor=False))
    resolved = vault.resolve()
    return base / f"{resolved.name or 'vault'}-{digest(str(resolved), size=6)}.sqlite"


class Cache(JournalTables):
    """Key-value tables in one SQLite file; every method is safe to call when disabled."""

    def __init__(self, path: Path | None) -> None:
        self.db: sqlite3.Connection | None = None
        self.path = path
        self.fresh: tuple[str, ...] = ()  # lookup prefixes to ask again (`run --recheck`)
        self.trouble = ""  # why the cache was given up during the run ('' while it works)
        self.lock = threading.RLock()
        if path is None:
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # Passes look things up from worker threads; one lock serialises use of the connection.
            self.db = sqlite3.connect(path, timeout=BUSY_SECONDS, isolation_level=None, check_same_thread=False)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.executescript(
                """
                CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
                CREATE TABLE IF NOT EXISTS notes (path TEXT PRIMARY KEY, mtime_ns INTEGER, size INTEGER,
                    digest TEXT, fingerprint TEXT, report TEXT);
                CREATE TABLE IF NOT EXISTS results (key TEXT PRIMARY KEY, value TEXT);
                CREATE TABLE IF NOT EXISTS lookups_v2 (key TEXT PRIMARY KEY, value TEXT, expires REAL);
                CREATE TABLE IF NOT EXISTS runs (id INTEGER PRIMARY KEY, started REAL, command TEXT,
                    complete INTEGER DEFAULT 1);
                CREATE TABLE IF NOT EXISTS journal_v2 (run INTEGER, path TEXT, before BLOB, after TEXT,
                    PRIMARY KEY (run, path));
                CREATE TABLE IF NOT EXISTS summaries (pass TEXT, path TEXT, fingerprint TEXT, digest TEXT,
                    value TEXT, PRIMARY KEY (pass, path));
                -- what a hook reads of every note: a covering index, so the summaries stay unread
                CREATE INDEX IF NOT EXISTS summaries_made_from ON summaries (pass, fingerprint, path, digest);
                CREATE TABLE IF NOT EXISTS states (key TEXT PRIMARY KEY, value BLOB);
                -- when an online run should take an unchanged note up again, to re-check its lookups
                CREATE TABLE IF NOT EXISTS checks (path TEXT PRIMARY KEY, due REAL);
                """
            )
            row = self.db.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
            if row is None or row[0] != str(SCHEMA):
                self.db.executescript("DELETE FROM notes; DELETE FROM results; DELETE FROM summaries; "
                                      "DELETE FROM states;")
                self.db.execute("INSERT OR REPLACE INTO meta VALUES ('schema', ?)", (str(SCHEMA),))
            for old in ("journal", "lookups"):  # rows an older vaultkit kept: readable here, moved out of its reach
                if self.db.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (old,)).fetchone():
                    self.db.executescript(f"BEGIN IMMEDIATE; INSERT OR IGNORE INTO {old}_v2 SELECT * FROM {old}; "
                                          f"DROP TABLE {old}; COMMIT;")
        except (sqlite3.Error, OSError):
            self.db = None  # a broken or unwritable cache only costs speed

    @busy({})
    def note_entries(self, fingerprint: str, paths: Iterable[str] | None = None) -> dict[str, tuple[int, int, str, str]]:
        """Every note recorded under this fingerprint (or only these): path -> (mtime_ns, size, digest, report)."""
        if self.db is None:
            return {}
        rows = self._select("SELECT path, mtime_ns, size, digest, report FROM notes WHERE fingerprint=?",
                            (fingerprint,), paths)
        return {r[0]: (r[1], r[2], r[3], unpack(r[4])) for r in rows}

    def _select(self, query: str, args: tuple[Any, ...], paths: Iterable[str] | None) -> list[Any]:
        """The query's rows: in one go, or for these paths (one query each: for a few notes)."""
        assert self.db is not None
        with self.lock:
            if paths is None:
                return self.db.execute(query, args).fetchall()
            return [r for p in paths for r in self.db.execute(query + " AND path=?", (*args, p))]

    @busy(None)
    def put_summaries(self, fingerprint: str, rows: list[tuple[str, str, dict[str, Any]]]) -> None:
        """Replace these notes' vault-step summaries: (path, digest of the note, {pass: summary}) each."""
        if self.db is None or not rows:
            return
        with self.lock, self.db:
            self.db.execute("BEGIN")
            self.db.executemany("DELETE FROM summaries WHERE path=?", [(path,) for path, _, _ in rows])
            self.db.executemany("INSERT OR REPLACE INTO summaries VALUES (?,?,?,?,?)", [
                (name, path, fingerprint, note_digest, pack(json.dumps(value, separators=(",", ":"), default=str)))
                for path, note_digest, found in rows for name, value in found.items()])

    @busy({})
    def summary_digests(self, name: str, fingerprint: str) -> dict[str, str]:
        """The notes with a summary from this pass: path -> digest of the note it was made from."""
        if self.db is None:
            return {}
        with self.lock:
            return dict(self.db.execute("SELECT path, digest FROM summaries WHERE pass=? AND fingerprint=?",
                                        (name, fingerprint)).fetchall())

    @busy({})
    def summaries(self, name: str, fingerprint: str, paths: Iterable[str] | None = None) -> dict[str, Any]:
        """A pass's summaries by path: of every note, or of these (one query each, for a few)."""
        if self.db is None:
            return {}
        rows = self._select("SELECT path, value FROM summaries WHERE pass=? AND fingerprint=?", (name, fingerprint), paths)
        return {path: json.loads(unpack(value)) for path, value in rows}

    def get_state(self, key: str) -> bytes | None:
        """Bytes a pass saved for later runs (its index), or None."""
        if self.db is None:
            return None
        try:
            with self.lock:
                row = self.db.execute("SELECT rowid FROM states WHERE key=?", (key,)).fetchone()
                if row is None:
                    return None
                # Read as a blob, not a column value: one copy of megabytes instead of two (half the time).
                with self.db.blobopen("states", "value", row[0], readonly=True) as blob:
                    return unpack_state(blob.read())
        except (sqlite3.Error, zlib.error):  # (replaced by another process while read, or damaged: as good as none)
            return None

    def put_state(self, key: str, value: bytes, replaces: str = "") -> None:
        """Keep `value` under `key`, dropping older states whose keys start with `replaces`."""
        if self.db is None:
            return
        try:
            with self.lock, self.db:
                self.db.execute("BEGIN")
                if replaces:
                    self.db.execute("DELETE FROM states WHERE substr(key, 1, ?) = ?", (len(replaces), replaces))
                self.db.execute("INSERT OR REPLACE INTO states VALUES (?, ?)", (key, pack_state(value)))
        except sqlite3.Error:
            pass  # a state that cannot be kept only costs the next run the time to rebuild it

    @busy([])
    def put_notes(self, rows: list[tuple[str, int, int, str, str, str]]) -> list[tuple[str, int, int, str, str, str]]:
        """Record (path, mtime_ns, size, digest, fingerprint, report) for notes processed now; returns
        the rows as kept (a racy mtime stored as -1)."""
        if self.db is None or not rows:
            return []
        now = time.time_ns()
        racy = int(RACY_SECONDS * 1e9)
        fixed = [(p, m if now - m > racy else -1, s, d, f, r) for p, m, s, d, f, r in rows]
        with self.db:
            self.db.execute("BEGIN")
            self.db.executemany("INSERT OR REPLACE INTO notes VALUES (?,?,?,?,?,?)",
                                [(p, m, size, d, f, pack(r)) for p, m, size, d, f, r in fixed])
        return fixed

    @busy([])
    def due_notes(self, now: float, limit: int) -> list[str]:
        """The notes whose lookups are due for a re-check, the longest overdue first, at most `limit`."""
        if self.db is None or limit <= 0:
            return []
        with self.lock:
            return [r[0] for r in self.db.execute("SELECT path FROM checks WHERE due <= ? ORDER BY due LIMIT ?",
                                                  (now, limit))]

    @busy(None)
    def put_checks(self, rows: list[tuple[str, float]]) -> None:
        """When each of these notes is next due for a re-check (a time)."""
        if self.db is None or not rows:
            return
        with self.lock, self.db:
            self.db.execute("BEGIN")
            self.db.executemany("INSERT OR REPLACE INTO checks VALUES (?, ?)", rows)

    @busy(None)
    def drop_checks(self, paths: list[str]) -> None:
        """These notes are no longer due for a re-check (gone, unreadable, nothing online left)."""
        if self.db is None or not paths:
            return
        with self.lock, self.db:
            self.db.executemany("DELETE FROM checks WHERE path=?", [(p,) for p in paths])

    @busy(None)
    def get_meta(self, key: str) -> str | None:
        """A small value vaultkit keeps between runs (the state a vault step last saw)."""
        if self.db is None:
            return None
        row = self.db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return str(row[0]) if row else None

    @busy(None)
    def put_meta(self, key: str, value: str) -> None:
        """Keep `value` under `key` for the next run."""
        if self.db is None:
            return
        with self.db:
            self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    @busy(False)
    def has_results(self) -> bool:
        """Whether any pass result is stored: a cold cache needs no lookups at all."""
        if self.db is None:
            return False
        return self.db.execute("SELECT 1 FROM results LIMIT 1").fetchone() is not None

    @busy(None)
    def get_result(self, key: str) -> Any:
        """A cached pass result (JSON) or None."""
        if self.db is None:
            return None
        row = self.db.execute("SELECT value FROM results WHERE key=?", (key,)).fetchone()
        return json.loads(unpack(row[0])) if row else None

    @busy(None)
    def put_results(self, items: list[tuple[str, Any]]) -> None:
        """Store pass results (JSON-able) under their keys."""
        if self.db is None or not items:
            return
        with self.db:
            self.db.execute("BEGIN")
            self.db.executemany(
                "INSERT OR REPLACE INTO results VALUES (?,?)",
                [(k, pack(json.dumps(v, sort_keys=True, default=str))) for k, v in items],
            )

    @busy(None)
    def lookup(self, key: str) -> Any:
        """A network answer stored by `remember`, or None when absent, expired, or under one of the
        `fresh` prefixes (`run --recheck`: asked again, whatever the cache holds)."""
        if self.db is None or (self.fresh and key.startswith(self.fresh)):
            return None
        with self.lock:
            row = self.db.execute("SELECT value, expires FROM lookups_v2 WHERE key=?", (key,)).fetchone()
        if row is None or row[1] < time.time():
            return None
        return json.loads(unpack(row[0]))

    @busy(None)
    def remember(self, key: str, value: Any, ttl: float) -> None:
        """Keep a network answer for `ttl` seconds (found: 30 days, not found: 7 — the caller decides)."""
        if self.db is None or ttl <= 0:
            return
        with self.lock, self.db:
            self.db.execute("INSERT OR REPLACE INTO lookups_v2 VALUES (?,?,?)",
                            (key, pack(json.dumps(value, sort_keys=True, default=str)), time.time() + ttl))

    def vacuum(self, share: float = 0.3, least: int = 4 << 20) -> bool:
        """Give back the space of deleted rows once it is a good part of the file (a clean, a schema
        change, old runs forgotten); a VACUUM rewrites the file, so not for a few pages."""
        if self.db is None:
            return False
        try:
            with self.lock:
                free = self.db.execute("PRAGMA freelist_count").fetchone()[0]
                pages = self.db.execute("PRAGMA page_count").fetchone()[0]
                size = self.db.execute("PRAGMA page_size").fetchone()[0]
                if free * size < least or free < share * pages:
                    return False
                self.db.execute("VACUUM")
                return True
        except sqlite3.Error:
            return False

    @busy([])
    def info(self) -> list[tuple[str, int, int]]:
        """(table, rows, bytes on disk) for each table, largest first."""
        if self.db is None:
            return []
        with self.lock:
            tables = [r[0] for r in self.db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
            try:
                sizes = dict(self.db.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name").fetchall())
            except sqlite3.Error:  # (SQLite built without dbstat: what the rows hold)
                sizes = {}
            out = []
            for t in tables:
                rows = self.db.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0]
                out.append((t.removesuffix("_v2"), rows, int(sizes.get(t, 0))))  # (its format's version: not news)
        return sorted(out, key=lambda r: -r[2])

    def give_up(self, exc: BaseException) -> None:
        """Go on without the cache (a lock held too long, a file damaged under the run)."""
        with self.lock:
            self.trouble = self.trouble or str(exc)
            db, self.db = self.db, None
        if db is not None:
            try:
                db.close()
            except sqlite3.Error:
                pass

    def close(self) -> None:
        """Close the database."""
        if self.db is not None:
            self.db.close()
            self.db = None


class StateStore:
    """What `Context.store` is: one pass's bytes kept between runs, under the run's fingerprint (its
    passes, versions and options), so a state made under other options is never read back."""

    def __init__(self, cache: Cache, name: str, fingerprint: str) -> None:
        self.cache, self.prefix, self.fingerprint = cache, f"{name}|", fingerprint

    def load(self, key: str) -> bytes | None:
        """The bytes saved under `key` by a run with this fingerprint, or None."""
        return self.cache.get_state(f"{self.prefix}{key}|{self.fingerprint}")

    def save(self, key: str, value: bytes) -> None:
        """Keep `value` for later runs (it replaces what any fingerprint kept under `key`)."""
        self.cache.put_state(f"{self.prefix}{key}|{self.fingerprint}", value, replaces=f"{self.prefix}{key}|")
