"""`vaultkit undo`: the journal of previous bytes, restoring the last writing run, refusing notes a
person changed since, `--list`, and the journal's bounds."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import pytest

from support import REPO, copy_tree, snapshot, write_note

VK = Callable[..., tuple[int, str, str]]

ANSWER = "# Notes\n\nMy own line.\n\n> [!ai]+ Answer\n> Groq's LPU delivers 750 tokens per second on Llama models.\n"


def _run(vk: VK, root: Path, *flags: object) -> None:
    code, _, err = vk("run", root, "--offline", "--only", "claims", *flags)
    assert code == 0, err


def test_undo_restores_every_note_of_the_last_run_byte_for_byte(vk: VK, tmp_path: Path) -> None:
    root = copy_tree(REPO / "sample_vault", tmp_path / "vault")
    before = snapshot(root)
    code, _, err = vk("run", root, "--offline", "--jobs", "2")  # written (and journaled) by worker processes
    assert code == 0, err
    after = snapshot(root)
    changed = sorted(p for p in before if before[p] != after[p])
    assert changed
    code, out, err = vk("undo", root, "--list")
    assert code == 0 and f"{len(changed)} notes" in out and "vaultkit run" in out
    code, _, err = vk("undo", root)
    assert code == 0, err
    assert f"{len(changed)} notes restored, 0 left as they are" in err
    assert snapshot(root) == before
    code, _, err = vk("undo", root)  # the run is gone from the journal
    assert code == 0 and "nothing to undo" in err


def test_a_note_changed_since_is_named_and_left_alone(vk: VK, tmp_path: Path) -> None:
    a = write_note(tmp_path, "a.md", ANSWER)
    b = write_note(tmp_path, "b.md", ANSWER.replace("Groq's", "Cerebras's"))
    original_b = b.read_bytes()
    _run(vk, tmp_path)
    edited = a.read_text(encoding="utf-8") + "\nA line I typed after vaultkit wrote.\n"
    a.write_text(edited, encoding="utf-8")
    code, _, err = vk("undo", tmp_path)
    assert code == 1
    assert "a.md: not restored: changed since vaultkit wrote it — left as it is" in err
    assert a.read_text(encoding="utf-8") == edited  # the person's text wins
    assert b.read_bytes() == original_b


def test_each_undo_walks_one_writing_run_back(vk: VK, tmp_path: Path) -> None:
    a = write_note(tmp_path, "a.md", ANSWER)
    _run(vk, tmp_path)
    b = write_note(tmp_path, "b.md", ANSWER)
    _run(vk, tmp_path)  # writes b only
    _run(vk, tmp_path)  # writes nothing: no journal entry
    assert vk("undo", tmp_path)[0] == 0
    assert b.read_text(encoding="utf-8") == ANSWER and a.read_text(encoding="utf-8") != ANSWER
    assert vk("undo", tmp_path)[0] == 0
    assert a.read_text(encoding="utf-8") == ANSWER


def test_undo_never_takes_back_a_persons_edit_made_between_runs(vk: VK, tmp_path: Path) -> None:
    note = write_note(tmp_path, "a.md", ANSWER)
    _run(vk, tmp_path)
    edited = note.read_bytes().replace(b"750 tokens", b"800 tokens", 1)  # a person edits the answer
    note.write_bytes(edited)
    _run(vk, tmp_path)  # vaultkit updates its callout
    assert vk("undo", tmp_path)[0] == 0
    assert note.read_bytes() == edited  # back to the person's edit
    code, _, err = vk("undo", tmp_path)  # the first run wrote under the older text: refused
    assert code == 1 and "changed since vaultkit wrote it" in err
    assert note.read_bytes() == edited


def test_clean_is_undone_too(vk: VK, tmp_path: Path) -> None:
    note = write_note(tmp_path, "a.md", ANSWER)
    _run(vk, tmp_path)
    with_callouts = note.read_bytes()
    code, _, err = vk("clean", tmp_path)
    assert code == 0, err
    assert note.read_text(encoding="utf-8") == ANSWER
    code, out, _ = vk("undo", tmp_path, "--list")
    assert out.splitlines()[0].endswith("vaultkit clean")
    assert vk("undo", tmp_path)[0] == 0
    assert note.read_bytes() == with_callouts


def test_runs_that_write_nothing_keep_nothing(vk: VK, tmp_path: Path) -> None:
    write_note(tmp_path, "a.md", ANSWER)
    _run(vk, tmp_path, "--dry-run")
    _run(vk, tmp_path, "--no-cache")  # writes, but keeps no cache and so no journal
    code, out, err = vk("undo", tmp_path, "--list")
    assert code == 0 and out == "" and "journal is empty" in err


def test_the_journal_keeps_only_the_newest_runs(vk: VK, tmp_path: Path) -> None:
    (tmp_path / "vault").mkdir()
    root = tmp_path / "vault"
    config = tmp_path / "undo.toml"
    config.write_text("[undo]\nkeep_runs = 2\n", encoding="utf-8")
    for i in range(3):
        write_note(root, f"n{i}.md", ANSWER)
        _run(vk, root, "--config", config)
    code, out, _ = vk("undo", root, "--list")
    assert len(out.splitlines()) == 2


def test_a_run_past_the_size_bound_is_kept_in_part_and_older_runs_make_room(vk: VK, tmp_path: Path) -> None:
    root = tmp_path / "vault"
    config = tmp_path / "undo.toml"
    note = ANSWER + "\n" + "My long own paragraph. " * 40 + "\n"  # about 1 KB
    config.write_text("[undo]\nmax_mb = 0.0025\n", encoding="utf-8")  # two such notes
    write_note(root, "old.md", note)
    _run(vk, root, "--config", config, "--jobs", "1")
    for i in range(3):
        write_note(root, f"n{i}.md", note)
    _run(vk, root, "--config", config, "--jobs", "1")
    code, out, _ = vk("undo", root, "--list")
    rows = out.splitlines()
    assert "2 notes" in rows[0] and "kept only in part" in rows[0]
    # (what the journal keeps is each note's difference from what vaultkit wrote, compressed: both runs
    # fit in far less than the bound, so the old one stays)
    assert len(rows) == 2 and all(float(r.split()[5]) < 0.0025 for r in rows)
    code, _, err = vk("undo", root)
    assert code == 0 and "2 notes restored" in err
    assert sum((root / f"n{i}.md").read_text(encoding="utf-8") == note for i in range(3)) == 2


def test_a_run_in_worker_processes_is_journaled_too(vk: VK, tmp_path: Path) -> None:
    for i in range(60):  # past the size where a run goes parallel
        write_note(tmp_path, f"n{i:02}.md", ANSWER)
    before = snapshot(tmp_path)
    _run(vk, tmp_path, "--jobs", "2")
    assert snapshot(tmp_path) != before
    code, _, err = vk("undo", tmp_path)
    assert code == 0 and "60 notes restored" in err
    assert snapshot(tmp_path) == before


def test_a_note_written_twice_in_one_run_goes_back_to_before_the_first_write(tmp_path: Path) -> None:
    """A big run's fix-up writes some notes a second time: undo must reach the bytes before the first."""
    from vaultkit.cache import Cache
    from vaultkit.packing import patch
    from vaultkit.text import digest

    cache = Cache(tmp_path / "cache.sqlite")
    run = cache.begin_run("vaultkit run")
    assert run is not None
    cache.journal(run, [("a.md", b"person", b"first write")])
    cache.journal(run, [("a.md", b"first write", b"second write")])
    [(path, kept, written)] = cache.journal_of(run)
    assert (path, written) == ("a.md", digest(b"second write"))
    assert patch(b"second write", kept) == b"person"  # kept as the difference from what vaultkit wrote last
    cache.close()


def test_a_note_written_twice_in_one_batch_goes_back_to_before_the_first_write(tmp_path: Path) -> None:
    from vaultkit.cache import Cache
    from vaultkit.packing import patch

    cache = Cache(tmp_path / "cache.sqlite")
    run = cache.begin_run("vaultkit run")
    assert run is not None
    cache.journal(run, [("a.md", b"orig", b"v1"), ("a.md", b"v1", b"v2")])  # one batch
    [(_, kept, _)] = cache.journal_of(run)
    assert patch(b"v2", kept) == b"orig"
    cache.close()


def test_a_journal_batch_survives_another_process_committing_while_it_is_made(tmp_path: Path,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """A batch reads (a note's earlier entry) before it writes; a worker of the same run that commits
    in between once made SQLite refuse the write at once, and the batch, its notes' undo, was lost."""
    import sqlite3

    from vaultkit import cache_journal
    from vaultkit.cache import Cache

    cache = Cache(tmp_path / "c.sqlite")
    run = cache.begin_run("vaultkit run")
    assert run is not None
    other = sqlite3.connect(tmp_path / "c.sqlite", timeout=0.05, isolation_level=None)
    real = cache_journal.delta
    refused: list[str] = []

    def a_worker_commits_meanwhile(before: bytes, after: bytes) -> bytes:
        try:
            other.execute("INSERT OR REPLACE INTO meta VALUES ('worker', 'committed')")
        except sqlite3.OperationalError as exc:  # the batch holds the write lock from its start: the worker waits
            refused.append(str(exc))
        return real(before, after)

    monkeypatch.setattr(cache_journal, "delta", a_worker_commits_meanwhile)
    rows = [(f"n{i}.md", b"mine %d\n" % i, b"mine %d\n> [!vaultkit]- v\n" % i) for i in range(3)]
    assert cache.journal(run, rows) is True
    assert [p for p, _, _ in cache.journal_of(run)] == ["n0.md", "n1.md", "n2.md"]
    assert refused and "locked" in refused[0]
    other.close()
    cache.close()


def test_an_older_vaultkit_finds_no_journal_it_would_misread(vk: VK, tmp_path: Path) -> None:
    """The journal keeps deltas and the lookups dictionary-packed values, which a vaultkit from
    before them would take for a note's bytes (its undo would write a delta into the note): they
    live in tables of their own name, and rows an older version kept are moved there and read."""
    import sqlite3

    from vaultkit.cache import Cache, cache_path

    root = tmp_path / "v"
    write_note(root, "a.md", ANSWER)
    _run(vk, root)
    path = cache_path(root)
    db = sqlite3.connect(path)
    names = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"journal_v2", "lookups_v2"} <= names and not {"journal", "lookups"} & names
    # An older vaultkit opens the cache (its tables made anew) and runs: raw bytes in its journal.
    db.executescript("CREATE TABLE journal (run INTEGER, path TEXT, before BLOB, after TEXT, PRIMARY KEY (run, path));"
                     "CREATE TABLE lookups (key TEXT PRIMARY KEY, value TEXT, expires REAL);")
    written = (root / "a.md").read_bytes()
    from vaultkit.text import digest

    db.execute("INSERT INTO runs (id, started, command) VALUES (99, 1.0, 'vaultkit run')")
    db.execute("INSERT INTO journal VALUES (99, 'a.md', ?, ?)", (b"what the older run found\n", digest(written)))
    db.execute("INSERT INTO lookups VALUES ('link:https://example.org/', '{\"status\": 200}', 1e12)")
    db.commit()
    db.close()
    cache = Cache(path)
    assert cache.lookup("link:https://example.org/") == {"status": 200}
    assert [(p, b) for p, b, _ in cache.journal_of(99)] == [("a.md", b"what the older run found\n")]
    cache.close()
    code, _, err = vk("undo", root)
    assert code == 0, err
    assert (root / "a.md").read_bytes() == b"what the older run found\n"
