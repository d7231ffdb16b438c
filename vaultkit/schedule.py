"""Which notes the watch daemon processes, and when: the pure core of `vaultkit watch` (issue 7).

File-system events come in as (kind, path, destination) in vault-relative posix paths; what they
mean for notes goes out as work. A note is due once it has been quiet (no event) for
`quiet_seconds`, so an editor's autosave or a sync client finishes before vaultkit writes; where the
OS reports close-after-write (inotify), a note being written also waits for its writer to close it
(or for `UNCLOSED_WAIT`), so a first "modified" never starts work on a half-written file. An event
whose file now holds exactly the bytes vaultkit last wrote there is vaultkit's own echo and changes
nothing, so one save by a person leads to at most one write. No threads, no clock, no I/O: the
daemon feeds it events and the time, which keeps every rule testable.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

from vaultkit.text import digest
from vaultkit.vault import skip_reason

# Events that can mean new content. Opening a file, or closing it without writing (vaultkit's own
# reads cause both), cannot.
CHANGED = frozenset({"created", "modified", "closed"})
WRITING = frozenset({"created", "modified"})  # a writer may still hold the file open
CLOSED = "closed"  # a writer closed the file (inotify's close-after-write; not every OS reports it)
GONE = frozenset({"deleted"})
MOVED = "moved"
UNCLOSED_WAIT = 10.0  # seconds a note written but never closed waits before it is processed anyway


@dataclass
class Schedule:
    """Per-note debounce with a quiet period, and vaultkit's own writes told apart from a person's."""

    quiet_seconds: float = 5.0
    exclude: tuple[str, ...] = ()
    pending: dict[str, float] = field(default_factory=dict)  # note -> time of its last event
    removed: set[str] = field(default_factory=set)  # notes gone since the last `take`
    written: dict[str, str] = field(default_factory=dict)  # note -> digest of what vaultkit wrote
    closes: bool = False  # the OS reports close-after-write (learned from the first such event)
    open: set[str] = field(default_factory=set)  # notes written to and not closed yet

    def is_note(self, rel: str) -> bool:
        """A file the scan would take: `*.md`, not in a dot-folder, no conflict copy, not excluded
        (editors' temp and backup files, vim's `4913` probe and vaultkit's own temp files are not)."""
        return not skip_reason(rel, self.exclude)

    def event(self, kind: str, rel: str, now: float, dest: str | None = None) -> None:
        """Take one event: a change (re)starts the note's quiet period; a delete or a move away
        drops it; a move onto a note (temp file + rename, vim's save) is a change of the target.
        Where the OS reports closes, a note written to waits for its writer to close it."""
        if kind == CLOSED:
            self.closes = True
        if kind == MOVED:
            if rel and self.is_note(rel):
                self._drop(rel)
            if dest is not None and self.is_note(dest):
                self.pending[dest] = now
                self.removed.discard(dest)
                self.open.discard(dest)
        elif kind in GONE:
            if self.is_note(rel):
                self._drop(rel)
        elif kind in CHANGED and self.is_note(rel):
            self.pending[rel] = now
            self.removed.discard(rel)
            if kind in WRITING and self.closes:
                self.open.add(rel)
            else:
                self.open.discard(rel)

    def folder_moved(self, old: str, notes: Iterable[str], now: float) -> None:
        """A folder was renamed or moved: its notes left `old`, and `notes` (the caller lists the new
        folder) arrived."""
        prefix = old.rstrip("/") + "/"
        for rel in [r for r in self.pending if r.startswith(prefix)]:
            self._drop(rel)
        for rel in notes:
            if self.is_note(rel):
                self.pending[rel] = now

    def due(self, now: float) -> list[str]:
        """Notes quiet for `quiet_seconds` (and closed by their writer, or quiet for `UNCLOSED_WAIT`),
        longest-waiting first; they leave the schedule."""
        ready = sorted((t, rel) for rel, t in self.pending.items() if now >= t + self._wait(rel))
        for _, rel in ready:
            del self.pending[rel]
            self.open.discard(rel)
        return [rel for _, rel in ready]

    def wake_at(self) -> float | None:
        """When the next note becomes due, or None when nothing waits."""
        return min(t + self._wait(rel) for rel, t in self.pending.items()) if self.pending else None

    def _wait(self, rel: str) -> float:
        return max(self.quiet_seconds, UNCLOSED_WAIT) if rel in self.open else self.quiet_seconds

    def take_removed(self) -> list[str]:
        """Notes deleted or moved away since the last call (the vault passes forget them)."""
        out, self.removed = sorted(self.removed), set()
        return out

    def wrote(self, rel: str, data: bytes) -> None:
        """vaultkit just wrote `data` to the note: the events that write causes are its echo."""
        self.written[rel] = digest(data)

    def is_echo(self, rel: str, data: bytes) -> bool:
        """Does the note hold exactly what vaultkit last wrote there (so there is nothing to do)?"""
        return self.written.get(rel) == digest(data)

    def _drop(self, rel: str) -> None:
        self.pending.pop(rel, None)
        self.open.discard(rel)
        self.written.pop(rel, None)
        self.removed.add(rel)
