"""Which files are notes: a walk of the vault that reads no file."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Iterable, Iterator

# Copies that sync tools leave beside a note; processing them would write into a
# file the user is about to reconcile (Syncthing, Dropbox, Nextcloud/ownCloud,
# Obsidian Sync / iCloud "conflict" names).
_CONFLICT = re.compile(
    r"\.sync-conflict-\d{8}-\d{6}-[A-Z0-9]+"
    r"|\(conflicted copy\b|\bconflicted copy\b"
    r"|_conflict-\d{8}-\d{6}"
    r"|\(conflict(?: \d+)?\)"
    r"|\bConflict \d{4}-\d{2}-\d{2}\b",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class NoteFile:
    """A note's path on disk and its posix path relative to the vault root."""

    path: Path
    rel: str
    skip: str = ""  # a reason not to process it (only for notes named with --file)


TEMP_SUFFIX = ".vaultkit-tmp"  # what the writer's temp files end with (`write.replace_note`)


def printable(name: str) -> str:
    """A file name that was not valid UTF-8 (kept by Python as surrogates), shown with \\x escapes."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def skip_reason(rel: str, exclude: Iterable[str]) -> str:
    """Why a scan would not take this note ('' if it would), for notes named with --file."""
    parts = rel.split("/")
    if any(p.startswith(".") for p in parts):
        return "in a dot-folder or a dot-file (vaultkit skips .obsidian, .trash, …)"
    if not rel.lower().endswith(".md"):
        return "not a Markdown note (*.md)"
    if is_conflict_copy(parts[-1]):
        return "a sync-conflict copy — resolve the conflict first"
    if is_excluded(rel, exclude):
        return "matches an exclude glob in the config"
    return ""


def is_conflict_copy(name: str) -> bool:
    """True for a sync tool's conflict copy, which vaultkit must not touch."""
    return bool(_CONFLICT.search(name))


def is_excluded(rel: str, patterns: Iterable[str]) -> bool:
    """Match an `exclude` glob against the path or any of its parent folders."""
    parts = rel.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    for pattern in patterns:
        pat = pattern.strip("/")
        for candidate in prefixes:
            if fnmatchcase(candidate, pat):
                return True
    return False


def scan(root: Path, exclude: Iterable[str] = (), debris: list[Path] | None = None) -> Iterator[NoteFile]:
    """Yield the vault's `*.md` notes in a stable order, skipping what is not a note.

    Dot-folders (.obsidian, .trash, .git, …) and dot-files are skipped, as are
    sync-conflict copies and `exclude` globs. Symlinks are followed only when
    they resolve inside the vault, and each real folder is walked once. `debris`
    collects vaultkit's own temp files met on the way (`.NOTE.xxxxxxxx.vaultkit-tmp`).
    """
    patterns = tuple(exclude)
    real_root = root.resolve()
    seen: set[tuple[int, int]] = set()

    def inside(path: str) -> bool:
        real = os.path.realpath(path)
        return real == str(real_root) or real.startswith(str(real_root) + os.sep)

    def walk(folder: str, rel: str) -> Iterator[NoteFile]:
        try:
            st = os.stat(folder)
            key = (st.st_dev, st.st_ino)
            if key in seen:
                return
            seen.add(key)
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            return
        for entry in entries:
            name = entry.name
            if name.startswith("."):
                if debris is not None and name.endswith(TEMP_SUFFIX) and entry.is_file(follow_symlinks=False):
                    debris.append(Path(entry.path))
                continue
            child_rel = f"{rel}/{printable(name)}" if rel else printable(name)
            if patterns and is_excluded(child_rel, patterns):
                continue
            try:
                is_link = entry.is_symlink()
                if is_link and not inside(entry.path):
                    continue
                if entry.is_dir():
                    yield from walk(entry.path, child_rel)
                elif name.lower().endswith(".md") and entry.is_file():
                    if not is_conflict_copy(name):
                        yield NoteFile(Path(entry.path), child_rel)
            except OSError:
                continue

    yield from walk(str(root), "")
