"""The only module that writes notes: atomic replace after re-checking the bytes on disk."""

from __future__ import annotations

import os
import re
import stat
import tempfile
import time
import zlib
from pathlib import Path

from vaultkit.errors import WriteError
from vaultkit.vault import TEMP_SUFFIX

STALE_AFTER = 600.0  # seconds: a temp file lives milliseconds; one this old was left by a killed run
# This machine, as temp files name it: a PID means something only where it was written (a sync client
# may bring in another machine's temp file while that machine's vaultkit is still writing it).
# (os.uname, not socket.gethostname: the same name on POSIX, and importing socket costs a hook 4 ms)
_NAME = os.uname().nodename if hasattr(os, "uname") else os.environ.get("COMPUTERNAME", "")
HOST = f"{zlib.crc32(_NAME.encode('utf-8', 'replace')):08x}"


class NoteChanged(WriteError):
    """The note changed on disk after vaultkit read it; the newer text wins."""


def replace_note(path: Path, expected: bytes, new: bytes) -> bool:
    """Replace `path` with `new` if it still holds `expected`; return False when nothing changed.

    Writes a temp file in the same folder (so `os.replace` is atomic), fsyncs it,
    keeps the file's mode, and re-reads the note just before replacing: if a
    person saved in the meantime, the result is dropped and NoteChanged raised.
    The folder is not fsynced: after a crash the note is either old or new,
    never torn, and the next run redoes the work (a folder fsync per note
    doubled the cost of a vault-wide first run).
    """
    if new == expected:
        return False
    # A symlinked note stays a symlink: write the file it points to (the scan
    # only yields links that stay inside the vault).
    path = Path(os.path.realpath(path))
    try:
        st = os.stat(path)
    except OSError as exc:
        raise WriteError(f"cannot stat the note — {exc.strerror or exc}") from exc
    if st.st_nlink > 1:  # a rename would give this name a new file and leave the other links on the old one
        raise WriteError(f"it has {st.st_nlink} hard links, which replacing it would break; nothing was written")
    folder = path.parent
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}-{HOST}.", suffix=TEMP_SUFFIX, dir=folder)
    except OSError as exc:
        raise WriteError(f"cannot write in {folder} — {exc.strerror or exc}") from exc
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(new)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, stat.S_IMODE(st.st_mode))
        if hasattr(os, "chown") and (st.st_uid, st.st_gid) != (os.getuid(), os.getgid()):
            try:  # a run as root (or by a group member) must not take the note over
                os.chown(tmp, st.st_uid, st.st_gid)
            except OSError:
                pass
        try:
            current = path.read_bytes()
        except OSError as exc:
            raise WriteError(f"cannot re-read the note before replacing it — {exc.strerror or exc}") from exc
        if current != expected:
            raise NoteChanged("the note changed while vaultkit worked on it; nothing was written — run again")
        os.replace(tmp, path)
        tmp = ""
    except OSError as exc:
        raise WriteError(f"cannot replace the note — {exc.strerror or exc}") from exc
    finally:
        if tmp:
            try:
                os.unlink(tmp)
            except OSError:
                pass
    return True



# `.NOTE.PID-HOST.xxxxxxxx.vaultkit-tmp` (the writer's process id and machine; older versions wrote
# the PID alone, or neither)
_TEMP_NAME = re.compile(r"^\..+?\.(?:(\d+)(?:-([0-9a-f]{8}))?\.)?[a-z0-9_]{8}" + re.escape(TEMP_SUFFIX) + "$")


def _alive(pid: int) -> bool:
    """Is a process with this id running here? (ours counts; one we may not signal is alive; on Windows,
    where signal 0 is a Ctrl-C, not a probe, every writer counts as alive and age alone decides)"""
    if os.name == "nt":
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def remove_stale(paths: list[Path], now: float | None = None) -> list[Path]:
    """Delete the temp files a killed run left: this machine's whose writer's process is gone, and any
    older than STALE_AFTER (another machine's, synced here, whose PID means nothing here). The caller
    holds the vault's lock, so no daemon is writing. Returns what was removed."""
    now = time.time() if now is None else now
    removed = []
    for path in paths:
        try:
            m = _TEMP_NAME.match(path.name)
            st = os.lstat(path)
            if not m or not stat.S_ISREG(st.st_mode):
                continue
            here = m.group(2) in (None, HOST)  # (a name with no machine in it: from an older version, here)
            gone = m.group(1) is not None and here and not _alive(int(m.group(1)))
            if not gone and now - st.st_mtime < STALE_AFTER:
                continue
            os.unlink(path)
            removed.append(path)
        except OSError:
            continue
    return removed


def sweep(root: Path, debris: list[Path]) -> int:
    """Remove the temp files a killed run left, only while no `vaultkit watch` holds the vault (a
    concurrent run's own temp files are milliseconds old, and `remove_stale` keeps young ones)."""
    from vaultkit.cache import cache_path
    from vaultkit.lock import LockedError, VaultLock

    try:
        with VaultLock(cache_path(root).with_suffix(".lock"), root):
            return len(remove_stale(debris))
    except (LockedError, OSError):
        return 0
