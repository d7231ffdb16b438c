"""vault.scan: which files are notes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from support import write_note
from vaultkit.vault import is_conflict_copy, is_excluded, scan


def _rels(root: Path, exclude: tuple[str, ...] = ()) -> list[str]:
    return [nf.rel for nf in scan(root, exclude)]


def test_scan_finds_markdown_notes_in_stable_order(tmp_path: Path) -> None:
    for rel in ["b.md", "a.md", "Sub/z.md", "Sub/Deeper/y.MD", "image.png", "notes.txt", "Sub/readme"]:
        write_note(tmp_path, rel, "x\n")
    assert _rels(tmp_path) == ["Sub/Deeper/y.MD", "Sub/z.md", "a.md", "b.md"]
    assert all(nf.path == tmp_path / nf.rel for nf in scan(tmp_path))


def test_scan_skips_dot_folders_and_dot_files(tmp_path: Path) -> None:
    for rel in [".obsidian/workspace.md", ".trash/Old answer.md", ".git/x.md", ".hidden/n.md", "Sub/.secret/n.md",
                ".dotnote.md", "keep.md"]:
        write_note(tmp_path, rel, "x\n")
    assert _rels(tmp_path) == ["keep.md"]


@pytest.mark.parametrize("name", [
    "Chat.sync-conflict-20261101-101010-ABCDEF.md",
    "Chat (conflicted copy 2026-11-01).md",
    "Chat (Jane's conflicted copy 2026-11-01).md",
    "Chat_conflict-20261101-101010.md",
    "Chat (conflict).md",
    "Chat (conflict 2).md",
])
def test_scan_skips_sync_conflict_copies(tmp_path: Path, name: str) -> None:
    write_note(tmp_path, "Chat.md", "x\n")
    write_note(tmp_path, name, "x\n")
    assert is_conflict_copy(name)
    assert _rels(tmp_path) == ["Chat.md"]


@pytest.mark.parametrize("name", ["Conflict resolution.md", "sync notes.md", "Chat.md"])
def test_ordinary_names_are_not_conflict_copies(name: str) -> None:
    assert not is_conflict_copy(name)


def test_exclude_globs(tmp_path: Path) -> None:
    for rel in ["Templates/t.md", "Templates/Sub/t2.md", "Private/p.md", "Notes/a.draft.md", "Notes/a.md", "Templates.md"]:
        write_note(tmp_path, rel, "x\n")
    assert sorted(_rels(tmp_path, ("Templates/", "Private", "*.draft.md"))) == ["Notes/a.md", "Templates.md"]
    assert sorted(_rels(tmp_path, ("Notes/*",))) == ["Private/p.md", "Templates.md", "Templates/Sub/t2.md", "Templates/t.md"]


@pytest.mark.parametrize(("rel", "patterns", "excluded"), [
    ("Templates/t.md", ["Templates"], True),
    ("Templates/t.md", ["/Templates/"], True),
    ("a/Templates/t.md", ["Templates"], False),
    ("a/Templates/t.md", ["*/Templates"], True),
    ("x.md", ["*.md"], True),
    ("x.md", [], False),
])
def test_is_excluded(rel: str, patterns: list[str], excluded: bool) -> None:
    assert is_excluded(rel, patterns) is excluded


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_symlinks_outside_the_vault_are_not_followed(tmp_path: Path) -> None:
    vault, outside = tmp_path / "vault", tmp_path / "outside"
    write_note(vault, "mine.md", "x\n")
    write_note(outside, "theirs.md", "x\n")
    os.symlink(outside, vault / "linked-folder")
    os.symlink(outside / "theirs.md", vault / "linked-note.md")
    assert _rels(vault) == ["mine.md"]


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_symlinks_inside_the_vault_are_walked_once(tmp_path: Path) -> None:
    vault = tmp_path / "vault"
    write_note(vault, "Real/n.md", "x\n")
    os.symlink(vault / "Real", vault / "Zlink")  # sorts after Real: Real is walked, the link is the same folder
    os.symlink(vault, vault / "Real" / "loop")  # a loop back to the root must not recurse forever
    assert _rels(vault) == ["Real/n.md"]


def test_a_missing_vault_yields_nothing(tmp_path: Path) -> None:
    assert _rels(tmp_path / "missing") == []
