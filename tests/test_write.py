"""write.replace_note: atomic, mode-preserving, and never over a note that changed on disk."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from vaultkit.errors import NoteError, WriteError
from vaultkit.write import NoteChanged, replace_note


def _note(tmp_path: Path, data: bytes = b"old text\n", mode: int = 0o644) -> Path:
    path = tmp_path / "note.md"
    path.write_bytes(data)
    os.chmod(path, mode)
    return path


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name != "note.md")


def test_replaces_the_bytes_and_reports_it(tmp_path: Path) -> None:
    path = _note(tmp_path)
    assert replace_note(path, b"old text\n", b"new text\n") is True
    assert path.read_bytes() == b"new text\n"
    assert _leftovers(tmp_path) == []


def test_replace_is_a_rename_readers_of_the_old_file_see_old_bytes(tmp_path: Path) -> None:
    path = _note(tmp_path)
    with open(path, "rb") as reader:
        replace_note(path, b"old text\n", b"new text, longer than before\n")
        assert reader.read() == b"old text\n"
    assert path.read_bytes() == b"new text, longer than before\n"


@pytest.mark.parametrize("mode", [0o640, 0o600, 0o664, 0o444])
def test_keeps_the_file_mode(tmp_path: Path, mode: int) -> None:
    path = _note(tmp_path, mode=mode)
    replace_note(path, b"old text\n", b"new\n")
    assert stat.S_IMODE(path.stat().st_mode) == mode


def test_nothing_to_do_when_new_equals_old(tmp_path: Path) -> None:
    path = _note(tmp_path)
    os.utime(path, ns=(1_000_000_000, 1_000_000_000))
    before = path.stat()
    assert replace_note(path, b"old text\n", b"old text\n") is False
    after = path.stat()
    assert (after.st_mtime_ns, after.st_ino) == (before.st_mtime_ns, before.st_ino)
    assert _leftovers(tmp_path) == []


def test_a_note_changed_since_reading_wins(tmp_path: Path) -> None:
    path = _note(tmp_path)
    path.write_bytes(b"the person saved this meanwhile\n")
    with pytest.raises(NoteChanged) as info:
        replace_note(path, b"old text\n", b"vaultkit output\n")
    assert isinstance(info.value, NoteError)  # the pipeline turns it into a note error
    assert "changed" in str(info.value)
    assert path.read_bytes() == b"the person saved this meanwhile\n"
    assert _leftovers(tmp_path) == []


def test_a_deleted_note_is_a_write_error(tmp_path: Path) -> None:
    path = tmp_path / "note.md"
    with pytest.raises(WriteError):
        replace_note(path, b"old\n", b"new\n")
    assert not path.exists()
    assert list(tmp_path.iterdir()) == []


def test_a_failed_rename_leaves_the_note_and_no_temp_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _note(tmp_path)

    def failing_replace(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(WriteError, match="No space left"):
        replace_note(path, b"old text\n", b"new\n")
    assert path.read_bytes() == b"old text\n"
    assert _leftovers(tmp_path) == []


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root can write into a read-only folder")
def test_a_read_only_folder_is_a_write_error(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    path = folder / "note.md"
    path.write_bytes(b"old text\n")
    folder.chmod(0o555)
    try:
        with pytest.raises(WriteError):
            replace_note(path, b"old text\n", b"new\n")
        assert path.read_bytes() == b"old text\n"
        assert [p.name for p in folder.iterdir()] == ["note.md"]
    finally:
        folder.chmod(0o755)


def test_binary_content_is_written_exactly(tmp_path: Path) -> None:
    path = _note(tmp_path)
    new = b"\xef\xbb\xbfline\r\nother\rlast"
    replace_note(path, b"old text\n", new)
    assert path.read_bytes() == new
