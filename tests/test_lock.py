"""The single-instance lock of `vaultkit watch`: a second holder is refused and told who holds it; a
dead holder never blocks the next one."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from vaultkit.lock import LockedError, VaultLock


def test_a_second_lock_on_the_same_vault_is_refused_and_names_the_holder(tmp_path: Path) -> None:
    path = tmp_path / "vault.lock"
    with VaultLock(path, tmp_path / "vault"):
        with pytest.raises(LockedError) as info:
            VaultLock(path, tmp_path / "vault").acquire()
        assert f"(pid {os.getpid()} on " in str(info.value) and "stop it first" in str(info.value)
    with VaultLock(path, tmp_path / "vault"):  # released: free again
        pass


def test_a_lock_held_by_another_process_is_refused_and_freed_when_it_dies(tmp_path: Path) -> None:
    path = tmp_path / "vault.lock"
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import sys, time
            from pathlib import Path
            from vaultkit.lock import VaultLock
            lock = VaultLock(Path({str(path)!r}), Path("vault"))
            lock.acquire()
            print("held", flush=True)
            time.sleep(60)
        """)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(LockedError) as info:
            VaultLock(path, tmp_path).acquire()
        assert f"(pid {holder.pid} on " in str(info.value)
    finally:
        holder.kill()  # no clean release: the OS drops the lock with the process
        holder.wait()
    with VaultLock(path, tmp_path):
        pass


def test_an_unreadable_holder_text_still_refuses(tmp_path: Path) -> None:
    path = tmp_path / "vault.lock"
    with VaultLock(path, tmp_path):
        path.write_bytes(b"\xff not json")
        with pytest.raises(LockedError) as info:
            VaultLock(path, tmp_path).acquire()
        assert "another vaultkit watch is running" in str(info.value)
