"""One `vaultkit watch` per vault: an exclusive lock on a file beside the vault's cache, which names
the process holding it.

The operating system drops the lock when its process dies, however it dies, so a crashed watcher
never blocks the next one; the file's text only says who holds it.
"""

from __future__ import annotations

import json
import os
import socket
import time
from pathlib import Path
from typing import Any, BinaryIO

from vaultkit.errors import VaultkitError


class LockedError(VaultkitError):
    """Another process holds the vault's lock."""


def _try_lock(fh: BinaryIO) -> bool:
    """Take an exclusive lock on the open file without waiting; False when another process has it."""
    try:
        import fcntl
    except ImportError:  # Windows
        import msvcrt

        try:
            msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined]
            return True
        except OSError:
            return False
    try:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError:
        return False


class VaultLock:
    """`with VaultLock(path, vault):` — held for the block, or LockedError naming the holder."""

    def __init__(self, path: Path, vault: Path) -> None:
        self.path = path
        self.vault = vault
        self.fh: BinaryIO | None = None

    def acquire(self) -> None:
        """Take the lock, or raise LockedError saying which process has it."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fh = open(self.path, "a+b")
        if not _try_lock(fh):
            fh.seek(0)
            holder = _holder(fh.read())
            fh.close()
            raise LockedError(f"another vaultkit watch is running on {self.vault}{holder} — stop it first "
                              f"(lock: {self.path})")
        fh.seek(0)
        fh.truncate()
        fh.write(json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "started": time.time(),
                             "vault": str(self.vault)}).encode("utf-8"))
        fh.flush()
        self.fh = fh

    def release(self) -> None:
        """Let the lock go (closing the file releases it)."""
        if self.fh is not None:
            self.fh.close()
            self.fh = None

    def __enter__(self) -> VaultLock:
        self.acquire()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.release()


def _holder(data: bytes) -> str:
    """`(pid 123 on host, since 14:02:11)` from the lock file's text, or '' when it says nothing."""
    try:
        info = json.loads(data.decode("utf-8"))
        since = time.strftime("%H:%M:%S", time.localtime(float(info["started"])))
        return f" (pid {int(info['pid'])} on {info['host']}, since {since})"
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        return ""
