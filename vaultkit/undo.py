"""`vaultkit undo`: put back the notes as they were before vaultkit's last writing run.

The journal (in the cache, see `Cache.journal`) keeps each changed note's previous bytes and a
digest of what vaultkit wrote. A note is restored only while it still holds exactly what vaultkit
wrote: a person's later edit wins, and that note is named and left alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from vaultkit.cache import Cache
from vaultkit.errors import NoteError
from vaultkit.packing import patch
from vaultkit.text import digest
from vaultkit.write import replace_note


@dataclass(frozen=True)
class Restored:
    """What undo did with one note."""

    path: str
    restored: bool
    reason: str = ""  # why it was left alone
    system: bool = False  # it could not be written (disk full, permission, read-only): not a person's edit


def undo_last(vault: Path, cache: Cache) -> tuple[int | None, list[Restored]]:
    """Restore the notes of the newest run in the journal, then forget that run; (None, []) when
    there is nothing to undo."""
    runs = cache.runs()
    if not runs:
        return None, []
    run = runs[0][0]
    out = []
    for rel, before, written in cache.journal_of(run):
        path = vault / rel
        try:
            current = path.read_bytes()
        except FileNotFoundError:
            out.append(Restored(rel, False, "no longer exists — left as it is"))
            continue
        except OSError as exc:
            out.append(Restored(rel, False, f"cannot read it — {exc.strerror or exc}"))
            continue
        if digest(current) != written:
            out.append(Restored(rel, False, "changed since vaultkit wrote it — left as it is"))
            continue
        try:
            replace_note(path, current, patch(current, before))
        except NoteError as exc:
            out.append(Restored(rel, False, str(exc), system=True))
            continue
        out.append(Restored(rel, True))
    cache.forget_run(run)
    return run, out
