"""The watch daemon's scheduling core: editors' save patterns, the quiet period, vaultkit's own echo."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from vaultkit.schedule import UNCLOSED_WAIT, Schedule


def test_a_note_is_due_only_after_its_quiet_period() -> None:
    s = Schedule(quiet_seconds=5)
    s.event("modified", "a.md", now=0.0)
    s.event("modified", "a.md", now=3.0)  # autosave again: the quiet period starts over
    assert s.due(7.9) == [] and s.wake_at() == 8.0
    assert s.due(8.0) == ["a.md"]
    assert s.due(100.0) == [] and s.wake_at() is None  # due once


def test_obsidian_and_editors_temp_file_then_rename_is_one_change_of_the_note() -> None:
    s = Schedule(quiet_seconds=0)
    s.event("created", "a.md.tmp", now=0.0)
    s.event("modified", "a.md.tmp", now=0.0)
    s.event("moved", "a.md.tmp", now=0.1, dest="a.md")
    assert s.due(1.0) == ["a.md"]


def test_vims_backup_dance_with_its_4913_probe_is_one_change_of_the_note() -> None:
    s = Schedule(quiet_seconds=0)
    for kind, path, dest in [("created", "4913", None), ("deleted", "4913", None),
                             ("moved", "a.md", "a.md~"), ("created", "a.md", None),
                             ("modified", "a.md", None), ("closed", "a.md", None), ("deleted", "a.md~", None)]:
        s.event(kind, path, now=0.0, dest=dest)
    assert s.due(1.0) == ["a.md"]


def test_reads_and_files_that_are_not_notes_are_ignored() -> None:
    s = Schedule(quiet_seconds=0, exclude=("Templates/**",))
    s.event("opened", "a.md", now=0.0)
    s.event("closed_no_write", "a.md", now=0.0)
    for rel in [".obsidian/workspace.json", ".trash/old.md", ".git/index", "Templates/t.md", "a.md.swp",
                ".a.md.swp", "a.md~", "b.sync-conflict-20261101-101010-ABCDEF.md", ".a.md.x1.vaultkit-tmp",
                "image.png"]:
        s.event("modified", rel, now=0.0)
    assert s.due(1.0) == []


def test_a_delete_or_a_move_out_drops_the_note_and_is_reported_once() -> None:
    s = Schedule(quiet_seconds=5)
    s.event("modified", "a.md", now=0.0)
    s.event("deleted", "a.md", now=1.0)  # deleted while waiting: never processed
    s.event("modified", "b.md", now=0.0)
    s.event("moved", "b.md", now=1.0)  # moved out of the vault: no destination inside it
    assert s.due(10.0) == []
    assert s.take_removed() == ["a.md", "b.md"] and s.take_removed() == []


def test_a_moved_note_is_due_under_its_new_name() -> None:
    s = Schedule(quiet_seconds=0)
    s.event("moved", "old/a.md", now=0.0, dest="new/a.md")
    assert s.due(1.0) == ["new/a.md"] and s.take_removed() == ["old/a.md"]


def test_a_renamed_folder_moves_its_waiting_notes() -> None:
    s = Schedule(quiet_seconds=5)
    s.event("modified", "Drafts/a.md", now=0.0)
    s.folder_moved("Drafts", ["Essays/a.md", "Essays/b.md", "Essays/.hidden.md"], now=1.0)
    assert s.due(6.0) == ["Essays/a.md", "Essays/b.md"]
    assert s.take_removed() == ["Drafts/a.md"]


def test_vaultkits_own_write_is_an_echo_and_a_persons_next_save_is_not() -> None:
    s = Schedule(quiet_seconds=0)
    s.wrote("a.md", b"note with vaultkit's callouts")
    assert s.is_echo("a.md", b"note with vaultkit's callouts")
    assert not s.is_echo("a.md", b"note with vaultkit's callouts and a person's line")
    s.event("deleted", "a.md", now=0.0)
    assert not s.is_echo("a.md", b"note with vaultkit's callouts")  # a new note under the old name


@given(st.lists(st.tuples(st.sampled_from(["created", "modified", "closed", "deleted", "opened"]),
                          st.sampled_from(["a.md", "b.md", "c.txt"]),
                          st.floats(0, 0.5)), max_size=30), st.floats(0, 3), st.floats(0, 4))
def test_every_changed_note_is_due_exactly_once_after_its_quiet_period(events: list[tuple[str, str, float]],
                                                                       quiet: float, later: float) -> None:
    """Whatever the burst, a note whose last event was a change comes out once, and only once it
    has been quiet for `quiet` seconds."""
    s = Schedule(quiet_seconds=quiet)
    now = 0.0
    last: dict[str, tuple[str, float, bool]] = {}
    closes = False
    for kind, rel, step in events:
        now += step
        s.event(kind, rel, now=now)
        closes = closes or kind == "closed"
        if rel.endswith(".md") and kind != "opened":
            last[rel] = (kind, now, closes and kind in ("created", "modified"))  # (held: not closed yet)
    changed = {rel: t + (max(quiet, UNCLOSED_WAIT) if held else quiet)
               for rel, (kind, t, held) in last.items() if kind != "deleted"}
    check = now + later
    first = s.due(check)
    assert sorted(first) == sorted(rel for rel, due in changed.items() if check >= due)
    assert sorted(first + s.due(now + max(quiet, UNCLOSED_WAIT) + 1)) == sorted(changed)
    assert s.due(now + 100) == []


def test_where_the_os_reports_closes_a_note_being_written_waits_for_its_writer_to_close_it() -> None:
    """inotify says "modified" at the first write; the save is whole only at "closed"."""
    s = Schedule(quiet_seconds=1)
    s.event("modified", "a.md", now=0)
    assert s.due(1) == ["a.md"]  # no close seen yet: this OS may not report them
    s.event("closed", "a.md", now=2)  # now it is known that it does
    assert s.due(3) == ["a.md"]
    s.event("modified", "a.md", now=10)
    assert s.due(12) == [] and s.wake_at() == 10 + UNCLOSED_WAIT  # still open: wait
    s.event("closed", "a.md", now=13)
    assert s.wake_at() == 14 and s.due(14) == ["a.md"]
    s.event("modified", "b.md", now=20)  # a writer that never closes: processed after the long wait
    assert s.due(29) == [] and s.due(20 + UNCLOSED_WAIT) == ["b.md"]
    s.event("modified", "c.md", now=40)
    s.event("moved", ".c.md.tmp", now=40.5, dest="c.md")  # a rename onto the note completes it
    assert s.due(41.5) == ["c.md"]
