"""What must never stop a run or leave the vault: bad pass output, odd names, a broken cache, --file misuse."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any, Callable

import pytest

import vaultkit.passes
from support import by_path, run_json, stats, write_note
from vaultkit.note import Note
from vaultkit.passes import Context, Display, Finding, PassResult, Registered

VK = Callable[..., tuple[int, str, str]]
AI = "# T\n\n> [!ai]+ AI\n> An answer.\n\nMine.\n"


class Returns:
    """A pass that returns whatever the test hands it."""

    version = "1"

    def __init__(self, make: Callable[[Note], Any]) -> None:
        self.make = make

    def analyze(self, note: Note, ctx: Context) -> Any:
        return self.make(note)


class Exits:
    version = "1"

    def analyze(self, note: Note, ctx: Context) -> PassResult:
        raise SystemExit(3)


BAD_OUTPUTS = {
    "not a result": lambda n: {"findings": []},
    "line is None": lambda n: PassResult((Finding("x", "info", None, 1, "m"),)),  # type: ignore[arg-type]
    "line is str": lambda n: PassResult((Finding("x", "info", "3", 3, "m"),)),  # type: ignore[arg-type]
    "bad severity": lambda n: PassResult((Finding("x", "fatal", 1, 1, "m"),)),  # type: ignore[arg-type]
    "data not JSON": lambda n: PassResult((Finding("x", "info", 1, 1, "m", {"s": object()}),)),
    "display target None": lambda n: PassResult((), (Display(None, "b"),)),  # type: ignore[arg-type]
    "display body not str": lambda n: PassResult((), (Display(n.targets[0], 42),)),  # type: ignore[arg-type]
    "property set": lambda n: PassResult(properties={"s": {1, 2}}),  # type: ignore[dict-item]
    "properties list": lambda n: PassResult(properties=[("a", 1)]),  # type: ignore[arg-type]
}


@pytest.mark.parametrize("case", sorted(BAD_OUTPUTS))
def test_bad_pass_output_is_a_pass_error_not_a_crash(case: str, tmp_path: Path, vk: VK,
                                                     registry: Callable[..., None]) -> None:
    root = tmp_path / "v"
    write_note(root, "a.md", AI)
    write_note(root, "b.md", AI)
    registry(Registered("bad", Returns(BAD_OUTPUTS[case]), "tests"), stats())
    before = (root / "a.md").read_bytes()
    code, doc, _ = run_json(vk, "run", root)
    assert code == 0
    for rel in ("a.md", "b.md"):
        n = by_path(doc)[rel]
        errors = [f for f in n["findings"] if f["kind"] == "pass-error"]
        assert errors and "bad" in errors[0]["message"]
        # the other pass's results are written; the failed one keeps what it wrote before (here: nothing)
        assert n["written"] is True
    assert "vaultkit_stats_words" in (root / "a.md").read_text() and "bad" not in (root / "a.md").read_text()
    vk("clean", root)
    assert (root / "a.md").read_bytes() == before



def test_a_pass_calling_sys_exit_is_isolated(tmp_path: Path, vk: VK, registry: Callable[..., None]) -> None:
    root = tmp_path / "v"
    write_note(root, "a.md", AI)
    registry(Registered("exits", Exits(), "tests"), stats())
    code, doc, _ = run_json(vk, "run", root)
    assert code == 0
    assert any(f["kind"] == "pass-error" for f in by_path(doc)["a.md"]["findings"])


@pytest.mark.skipif(os.uname().sysname == "Darwin", reason="macOS file systems refuse non-UTF-8 names")
def test_a_file_name_that_is_not_utf8_is_processed_and_cached(tmp_path: Path, vk: VK) -> None:
    root = tmp_path / "v"
    root.mkdir()
    (root / os.fsdecode(b"caf\xe9.md")).write_text(AI, encoding="utf-8")
    code, doc, err = run_json(vk, "run", root, "--offline")
    assert code == 0, err
    (n,) = doc["notes"]
    assert n["path"] == "caf\\xe9.md" and n["written"] is True
    code, doc, _ = run_json(vk, "run", root, "--offline")
    assert code == 0 and doc["notes"][0]["written"] is False


def test_an_unusable_cache_folder_only_costs_speed(tmp_path: Path, vk: VK, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("VAULTKIT_CACHE_DIR", str(blocker / "cache"))
    root = tmp_path / "v"
    write_note(root, "a.md", AI)
    code, doc, _ = run_json(vk, "run", root, "--offline")
    assert code == 0 and by_path(doc)["a.md"]["written"] is True


def test_file_outside_the_vault_is_refused(tmp_path: Path, vk: VK) -> None:
    root = tmp_path / "v"
    write_note(root, "a.md", AI)
    outside = write_note(tmp_path / "outside", "t.md", AI)
    (root / "link.md").symlink_to(outside)
    before = outside.read_bytes()
    for named in (outside, root / "link.md"):
        code, _, err = vk("run", root, "--file", named, "--offline")
        assert code == 2 and "not inside the vault" in err
    assert outside.read_bytes() == before


@pytest.mark.parametrize("rel", [".trash/old.md", "Templates/t.md", "n.sync-conflict-20260101-101010-ABCDEF.md"])
def test_file_honours_the_scan_rules(rel: str, tmp_path: Path, vk: VK) -> None:
    root = tmp_path / "v"
    path = write_note(root, rel, AI)
    (root / ".vaultkit.toml").write_text('[vaultkit]\nexclude = ["Templates/**"]\n')
    before = path.read_bytes()
    code, doc, _ = run_json(vk, "run", root, "--file", path, "--offline")
    assert code == 0
    (n,) = doc["notes"]
    assert n["status"] == "skipped" and n["error"] and n["path"] == rel
    assert path.read_bytes() == before


def test_diff_shows_and_writes_nothing(tmp_path: Path, vk: VK) -> None:
    root = tmp_path / "v"
    path = write_note(root, "a.md", AI)
    code, out, _ = vk("run", root, "--diff", "--offline")
    assert code == 0 and "+> [!vaultkit]" in out
    assert path.read_text() == AI
    code, doc, _ = run_json(vk, "run", root, "--diff", "--offline")
    assert "+> [!vaultkit]" in by_path(doc)["a.md"]["diff"]


def test_enabled_must_be_a_boolean(tmp_path: Path, vk: VK) -> None:
    root = tmp_path / "v"
    write_note(root, "a.md", AI)
    (root / ".vaultkit.toml").write_text('[passes.stats]\nenabled = "no"\n')
    code, _, err = vk("run", root)
    assert code == 2 and "enabled" in err


def test_changing_the_fold_of_a_managed_callout_is_a_human_edit(tmp_path: Path, vk: VK) -> None:
    root = tmp_path / "v"
    path = write_note(root, "a.md", AI)
    vk("run", root, "--offline", "--only", "stats")
    opened = path.read_text().replace("> [!vaultkit]- ", "> [!vaultkit]+ ")
    assert "[!vaultkit]+" in opened

    path.write_text(opened)
    code, doc, _ = run_json(vk, "run", root, "--offline", "--only", "stats", "--no-cache")
    assert path.read_text() == opened
    assert any(f["kind"] == "managed-block-edited" for f in by_path(doc)["a.md"]["findings"])


def test_an_internal_error_is_exit_3_not_1(tmp_path: Path, vk: VK, monkeypatch: pytest.MonkeyPatch) -> None:
    import vaultkit.pipeline

    def boom(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("kaboom")

    monkeypatch.setattr(vaultkit.pipeline, "iter_reports", boom)
    root = tmp_path / "v"
    write_note(root, "a.md", AI)
    code, _, err = vk("run", root)
    assert code == 3 and "internal error" in err and "kaboom" in err


def _dead_pid() -> int:
    """The id of a process that has ended (a child that exited and was reaped)."""
    import subprocess
    import sys

    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def _debris(root: Path, name: str, age: float) -> Path:
    path = root / name
    path.write_bytes(b"half a note")
    then = time.time() - age
    os.utime(path, (then, then))
    return path


def test_a_run_removes_the_temp_files_a_killed_run_left_and_nothing_else(tmp_path: Path, vk: VK) -> None:
    root = tmp_path / "v"
    write_note(root, "sub/a.md", "> [!ai]+ AI\n> An answer.\n")
    stale = _debris(root / "sub", ".a.md.k2x9q0ab.vaultkit-tmp", 3600)
    fresh = _debris(root / "sub", ".a.md.zz81ty7c.vaultkit-tmp", 1)  # another run's write, in flight
    dead = _debris(root / "sub", f".a.md.{_dead_pid()}.q1w2e3r4.vaultkit-tmp", 1)  # its writer was killed
    live = _debris(root / "sub", f".a.md.{os.getpid()}.q1w2e3r4.vaultkit-tmp", 1)  # its writer is at work
    other = _debris(root, ".notes.tmp", 3600)  # not vaultkit's
    lookalike = _debris(root, ".vaultkit-tmp", 3600)
    code, _, err = vk("run", root, "--offline")
    assert code == 0, err
    assert not stale.exists() and not dead.exists() and "removed 2 temp files" in err
    assert fresh.exists() and live.exists() and other.exists() and lookalike.exists()
    assert vk("run", root, "--offline", "--dry-run")[0] == 0  # (a dry run writes nothing, removes nothing)


def test_a_temp_file_synced_from_another_machine_waits_until_it_is_old(tmp_path: Path, vk: VK) -> None:
    """A PID means something only on the machine that wrote the file: a sync client may bring in
    another machine's temp file while that machine's vaultkit is still writing it."""
    from vaultkit.write import HOST

    root = tmp_path / "v"
    write_note(root, "a.md", "> [!ai]+ AI\n> An answer.\n")
    elsewhere = "0" * 8 if HOST != "0" * 8 else "1" * 8
    pid = _dead_pid()
    ours = _debris(root, f".a.md.{pid}-{HOST}.q1w2e3r4.vaultkit-tmp", 1)  # this machine's, its writer gone
    theirs = _debris(root, f".a.md.{pid}-{elsewhere}.q1w2e3r4.vaultkit-tmp", 1)  # maybe at work over there
    old = _debris(root, f".a.md.{pid}-{elsewhere}.z9x8c7v6.vaultkit-tmp", 3600)
    code, _, err = vk("run", root, "--offline")
    assert code == 0, err
    assert not ours.exists() and not old.exists() and theirs.exists() and "removed 2 temp files" in err


def test_no_temp_file_is_removed_while_a_daemon_holds_the_vault(tmp_path: Path, vk: VK) -> None:
    from vaultkit.cache import cache_path
    from vaultkit.lock import VaultLock

    root = tmp_path / "v"
    write_note(root, "a.md", "> [!ai]+ AI\n> An answer.\n")
    stale = _debris(root, ".a.md.k2x9q0ab.vaultkit-tmp", 3600)
    with VaultLock(cache_path(root).with_suffix(".lock"), root):
        code, _, err = vk("run", root, "--offline")
    assert code == 0 and stale.exists() and "removed" not in err
    vk("run", root, "--offline")
    assert not stale.exists()


def test_a_hard_linked_note_is_skipped_with_a_message_and_its_links_kept(tmp_path: Path, vk: VK) -> None:
    root = tmp_path / "v"
    write_note(root, "a.md", "> [!ai]+ AI\n> An answer.\n")
    write_note(root, "b.md", "> [!ai]+ AI\n> Another answer.\n")
    elsewhere = tmp_path / "elsewhere.md"
    os.link(root / "a.md", elsewhere)
    before = (root / "a.md").read_bytes()
    code, doc, err = run_json(vk, "run", root, "--offline")
    assert code == 0, err
    a = by_path(doc)["a.md"]
    assert a["status"] == "skipped" and "2 hard links" in a["error"] and "a.md: has 2 hard links" in err
    assert (root / "a.md").read_bytes() == before == elsewhere.read_bytes()
    assert os.stat(root / "a.md").st_ino == os.stat(elsewhere).st_ino  # still one file
    assert by_path(doc)["b.md"]["written"]
    assert vk("run", root, "--offline", "--check")[0] == 0  # a skip, like a note over max_bytes: not a failure


def test_the_writer_refuses_to_break_a_hard_link(tmp_path: Path) -> None:
    from vaultkit.errors import WriteError
    from vaultkit.write import replace_note

    note = tmp_path / "a.md"
    note.write_bytes(b"old")
    os.link(note, tmp_path / "b.md")
    with pytest.raises(WriteError, match="hard links"):
        replace_note(note, b"old", b"new")
    assert (tmp_path / "b.md").read_bytes() == b"old" == note.read_bytes()


def test_cache_info_and_clear(tmp_path: Path, vk: VK, monkeypatch: pytest.MonkeyPatch) -> None:
    from vaultkit.cache import cache_path
    from vaultkit.lock import VaultLock

    monkeypatch.setenv("VAULTKIT_CACHE_DIR", str(tmp_path / "cache"))
    root = tmp_path / "v"
    for i in range(5):
        write_note(root, f"n{i}.md", "> [!ai]+ AI\n> Groq's LPU delivers 750 tokens per second on Llama models.\n")
    code, out, err = vk("cache", "info", root)
    assert code == 0 and "no cache yet" in out
    assert vk("run", root, "--offline")[0] == 0
    code, out, err = vk("cache", "info", root)
    assert code == 0, err
    assert str(cache_path(root)) in out and "× the vault's notes" in out
    tables = {line.split()[0]: int(line.split()[1]) for line in out.splitlines()[2:]}
    assert tables["notes"] == 5 and tables["journal"] == 5 and tables["results"] > 0
    with VaultLock(cache_path(root).with_suffix(".lock"), root):  # a daemon at work: not under its feet
        code, _, err = vk("cache", "clear", root)
    assert code == 2 and "another vaultkit watch" in err and cache_path(root).exists()
    code, out, _ = vk("cache", "clear", root)
    assert code == 0 and "cleared" in out and not cache_path(root).exists()
    assert vk("undo", root)[0] == 0  # nothing left to undo, and no error for it


def test_the_cache_gives_back_the_space_clean_frees(tmp_path: Path, vk: VK, monkeypatch: pytest.MonkeyPatch) -> None:
    from vaultkit.cache import Cache, cache_path

    monkeypatch.setenv("VAULTKIT_CACHE_DIR", str(tmp_path / "cache"))
    root = tmp_path / "v"
    db = Cache(cache_path(root))
    assert db.db is not None
    db.put_results([(f"k{i}", {"pad": os.urandom(3000).hex()}) for i in range(3000)])  # about 18 MB, incompressible
    db.db.execute("DELETE FROM results")
    path = cache_path(root)
    before = path.stat().st_size + Path(f"{path}-wal").stat().st_size
    assert db.vacuum()
    db.close()
    assert path.stat().st_size < before / 4
