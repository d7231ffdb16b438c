"""Faults as tests: runs killed at random moments, a note turned into a folder, a corrupt or locked
cache, a person's save between vaultkit's read and its write in an editor hook. After each: the
person's text is intact, no temp file is left, and `clean` gives the bytes back exactly."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Callable

import pytest

from support import SAMPLE_VAULT, clean, copy_tree, run_json, snapshot, write_note
from vaultkit import Context, Display, Note, PassResult
from vaultkit.errors import VaultkitError
from vaultkit.passes import Registered

VK = Callable[..., tuple[int, str, str]]
AI = "# Q\n\nMy own words.\n\n> [!ai]+ AI\n> Groq's LPU delivers 750 tokens per second on Llama models [1].\n"


def _temp_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.name.endswith(".vaultkit-tmp")]


def _person_text(data: bytes) -> bytes:
    """The note less vaultkit's blocks (a note vaultkit cannot parse, bad YAML, is never written at all)."""
    try:
        return clean(data)
    except VaultkitError:
        return data


def _vault(tmp_path: Path) -> Path:
    """The sample vault and a hundred more answers: enough notes that a kill lands mid-run."""
    root = copy_tree(SAMPLE_VAULT, tmp_path / "vault")
    for i in range(120):
        write_note(root, f"bulk/n{i:03d}.md", AI.replace("750", str(700 + i)) + f"\nMore of my text, {i}.\n")
    return root


def test_runs_killed_at_random_moments_leave_no_debris_and_clean_is_byte_exact(tmp_path: Path) -> None:
    root = _vault(tmp_path)
    original = snapshot(root)
    env = {**os.environ, "VAULTKIT_CACHE_DIR": str(tmp_path / "cache")}
    rng = random.Random(19)
    for _ in range(5):
        proc = subprocess.Popen([sys.executable, "-m", "vaultkit", "run", str(root), "--offline", "--jobs", "1"],
                                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.3, 1.5))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        for rel, data in snapshot(root).items():  # every note whole: what `clean` gives back is the person's
            if not rel.endswith(".vaultkit-tmp"):
                assert _person_text(data) == original[rel], rel
    for args in (["run", str(root), "--offline"], ["run", str(root), "--offline"], ["clean", str(root)]):
        done = subprocess.run([sys.executable, "-m", "vaultkit", *args], env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        assert _temp_files(root) == []
    assert snapshot(root) == original


def test_a_note_turned_into_a_folder_mid_run_is_reported_and_the_run_goes_on(
        tmp_path: Path, vk: VK, registry: Callable[..., None]) -> None:
    root = tmp_path / "v"
    write_note(root, "a.md", AI)
    write_note(root, "b.md", AI)

    class Folder:
        """Replaces a.md by a folder of the same name while vaultkit works on it (a sync client's doing)."""

        version = "1"

        def analyze(self, note: Note, ctx: Context) -> PassResult:
            if note.path == "a.md":
                (root / "a.md").unlink()
                (root / "a.md").mkdir()
            return PassResult((), tuple(Display(t, "x") for t in note.targets))

    registry(Registered("folder", Folder(), "tests"))
    code, doc, err = run_json(vk, "run", root, "--offline")
    assert code == 4 and "a.md" in err
    assert (root / "a.md").is_dir() and list((root / "a.md").iterdir()) == []
    assert "x" in (root / "b.md").read_text(encoding="utf-8") and _temp_files(root) == []


def test_a_corrupt_cache_only_costs_speed(tmp_path: Path, vk: VK, monkeypatch: pytest.MonkeyPatch) -> None:
    from vaultkit.cache import cache_path

    monkeypatch.setenv("VAULTKIT_CACHE_DIR", str(tmp_path / "cache"))
    root = tmp_path / "v"
    write_note(root, "a.md", AI)
    path = cache_path(root)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"SQLite format 3\x00" + os.urandom(4096))  # a header, then garbage
    code, _, err = vk("run", root, "--offline")
    assert code == 0, err
    assert "%%" in (root / "a.md").read_text(encoding="utf-8")
    assert vk("clean", root)[0] == 0 and (root / "a.md").read_text(encoding="utf-8") == AI


def test_a_cache_locked_by_another_process_waits_then_goes_on(tmp_path: Path, vk: VK,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from vaultkit.cache import Cache, cache_path

    monkeypatch.setenv("VAULTKIT_CACHE_DIR", str(tmp_path / "cache"))
    root = tmp_path / "v"
    write_note(root, "a.md", AI)
    assert vk("run", root, "--offline")[0] == 0
    Cache(cache_path(root)).close()
    holder = sqlite3.connect(cache_path(root), isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN EXCLUSIVE")  # another vaultkit in the middle of a long write
    threading.Timer(1.0, lambda: holder.execute("COMMIT")).start()
    with (root / "a.md").open("a", encoding="utf-8") as fh:
        fh.write("\nA new line of mine.\n")
    code, _, err = vk("run", root, "--offline")
    holder.close()
    assert code == 0, err
    text = (root / "a.md").read_text(encoding="utf-8")
    assert "A new line of mine." in text and "%%" in text


def test_a_save_between_read_and_write_in_an_editor_hook_wins(tmp_path: Path, vk: VK,
                                                              registry: Callable[..., None]) -> None:
    root = tmp_path / "v"
    write_note(root, "a.md", AI + "\n> [!ai]+ Second\n> Another answer of 12 words, about 4 things.\n")

    class Typist:
        """The person types in the note while the hook runs."""

        version = "1"

        def analyze(self, note: Note, ctx: Context) -> PassResult:
            with (root / "a.md").open("a", encoding="utf-8") as fh:
                fh.write("typed while the hook ran\n")
            return PassResult((), tuple(Display(t, "x") for t in note.targets))

    registry(Registered("typist", Typist(), "tests"))
    code, _, err = vk("run", "--file", root / "a.md", "--line", "6", "--offline")
    assert code == 0 and "changed" in err
    text = (root / "a.md").read_text(encoding="utf-8")
    assert text.endswith("typed while the hook ran\n") and "%%" not in text


def test_a_cache_held_locked_past_the_wait_is_left_and_the_run_goes_on(tmp_path: Path, vk: VK,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    import vaultkit.cache as cache_module

    monkeypatch.setenv("VAULTKIT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(cache_module, "BUSY_SECONDS", 0.3)
    root = tmp_path / "v"
    write_note(root, "a.md", AI)
    assert vk("run", root, "--offline")[0] == 0
    holder = sqlite3.connect(cache_module.cache_path(root), isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # held for the whole run
    try:
        write_note(root, "b.md", AI)
        code, _, err = vk("run", root, "--offline")
    finally:
        holder.close()
    assert code == 0, err
    assert "the cache could not be used (database is locked)" in err
    assert "%%" in (root / "b.md").read_text(encoding="utf-8")


def test_a_disk_that_fills_mid_run(tmp_path: Path, vk: VK, monkeypatch: pytest.MonkeyPatch) -> None:
    """The first notes are written, then every write fails as on a full disk (the temp file's data
    cannot be written): exit 4, the rest byte-identical, no temp file, and undo takes back what was written."""
    root = tmp_path / "v"
    for i in range(8):
        write_note(root, f"n{i}.md", AI.replace("750", str(800 + i)))
    original = snapshot(root)
    real = os.fsync
    room = [3]

    def fsync(fd: int) -> None:
        if room[0] <= 0:
            raise OSError(28, "No space left on device")
        room[0] -= 1
        real(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    code, _, err = vk("run", root, "--offline", "--jobs", "1")
    monkeypatch.setattr(os, "fsync", real)  # (room again; not monkeypatch.undo(): the cache folder is patched too)
    assert code == 4 and "No space left on device" in err and "5 notes could not be written" in err
    after = snapshot(root)
    written = [rel for rel in original if after[rel] != original[rel]]
    assert len(written) == 3 and _temp_files(root) == []
    code, _, err = vk("undo", root)
    assert code == 0, err
    assert snapshot(root) == original, err


def test_a_cache_given_up_by_another_thread_mid_call_answers_as_if_absent(tmp_path: Path) -> None:
    """Passes use the cache from worker threads; one of them giving it up (a lock held too long)
    between another's check and its use left that one an AttributeError on None, which failed its pass."""
    from vaultkit.cache import Cache

    cache = Cache(tmp_path / "c.sqlite")
    cache.put_results([("k", {"x": 1})])
    real = cache.db
    assert real is not None

    class GivenUpMeanwhile:
        def __getattr__(self, name: str) -> object:
            return getattr(real, name)

        def execute(self, *args: object) -> object:
            cache.give_up(sqlite3.OperationalError("database is locked"))  # another thread, just now
            return cache.db.execute(*args)  # type: ignore[union-attr]  # what the method goes on to do

    cache.db = GivenUpMeanwhile()  # type: ignore[assignment]
    assert cache.get_result("k") is None and cache.db is None and cache.trouble == "database is locked"
    assert cache.get_result("k") is None and cache.put_results([("j", {})]) is None  # and off for the rest of the run
