"""Review findings for the foundation (issue 2): each xfail test reproduces one bug.

Every failing test is `xfail(strict=True)`: when the bug is fixed the test
starts passing, strict xfail turns that into a failure, and the marker should
then be removed.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any, Callable

import pytest

from support import clean, render, stats, write_note
from vaultkit.cache import Cache
from vaultkit.config import Config
from vaultkit.note import Note
from vaultkit.passes import Context, Display, Finding, PassResult, Registered
from vaultkit.pipeline import Runner, RunOptions, iter_reports
from vaultkit.vault import scan

VK = Callable[..., tuple[int, str, str]]
AI = b"> [!ai]\n> An answer.\n"


def _run(vk: VK, *args: object) -> tuple[int, str, str] | BaseException:
    try:
        return vk("run", *args, "--offline", "--only", "stats")
    except BaseException as exc:  # noqa: BLE001 - the point is that nothing escapes
        return exc


# --- 1. valid YAML that vaultkit cannot compare aborts the whole run ----------------------------

@pytest.mark.parametrize("frontmatter", ["2024-01-01: started\n", "2024: good year\ntitle: x\n"])
def test_valid_yaml_with_non_string_keys_does_not_abort_the_run(tmp_path: Path, vk: VK, frontmatter: str) -> None:
    root = tmp_path / "v"
    write_note(root, "a.md", f"---\n{frontmatter}---\n> [!ai]\n> x\n".encode())
    write_note(root, "b.md", AI)
    result = _run(vk, root)
    assert not isinstance(result, BaseException), repr(result)
    assert (root / "b.md").read_bytes() != AI  # the other note was processed


def test_deeply_nested_frontmatter_does_not_abort_the_run(tmp_path: Path, vk: VK) -> None:
    root = tmp_path / "v"
    write_note(root, "a.md", ("---\nk: " + "[" * 1000 + "]" * 1000 + "\n---\n> [!ai]\n> x\n").encode())
    write_note(root, "b.md", AI)
    result = _run(vk, root)
    assert not isinstance(result, BaseException), repr(result)


def test_yaml_alias_expansion_is_not_a_denial_of_service() -> None:
    lines = ["---", "a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 7):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    raw = "\n".join([*lines, "---", "> [!ai]", "> x", ""]).encode()
    started = time.perf_counter()
    render(raw, [stats()])
    assert time.perf_counter() - started < 0.5


# --- 2. a pass that returns malformed results aborts the whole run ------------------------------

class _Returns:
    version = "1"

    def __init__(self, make: Callable[[Note], Any]) -> None:
        self.make = make

    def analyze(self, note: Note, ctx: Context) -> Any:
        return self.make(note)


def test_a_managed_block_example_inside_a_code_fence_is_human_text() -> None:
    out, _, _ = render(b"> [!ai]\n> hi\n", [stats()])
    example = out.split(b"---\n", 2)[2]  # the callout and its managed block, without the frontmatter
    human = b"# How vaultkit output looks\n\n```markdown\n" + example + b"```\n"
    assert clean(human) == human


def test_a_line_typed_under_a_managed_callout_is_not_moved_into_the_target() -> None:
    raw = b"> [!ai]\n> hi\n\nafter\n"
    out, _, _ = render(raw, [stats()])
    edited = out.replace(b"citation markers\n", b"citation markers\nmy own remark\n")
    again, note, _ = render(edited, [stats()])
    (target,) = note.targets
    assert "my own remark" not in target.text


def test_clean_removes_the_created_marker_when_a_person_added_keys() -> None:
    out, _, _ = render(b"> [!ai]\n> hi\n", [stats()])
    edited = out.replace(b"---\n> [!ai]", b"tags:\n  - mine\n---\n> [!ai]")
    assert b"vaultkit_" not in clean(edited)


def test_a_heading_right_after_a_callout_is_not_part_of_the_target() -> None:
    out, note, _ = render(b"> [!ai]\n> x\n# Mine\nmy text\n", [stats()])
    (target,) = note.targets
    assert "Mine" not in target.text


# --- 6. idempotence across flag sets --------------------------------------------------------------

class _Other:
    """A second pass with a callout, so block order can be observed."""

    version = "1"

    def analyze(self, note: Note, ctx: Context) -> PassResult:
        return PassResult((), tuple(Display(t, "other") for t in note.targets), {})


def test_diff_does_not_write(tmp_path: Path, vk: VK) -> None:
    root = tmp_path / "v"
    write_note(root, "a.md", AI)
    vk("run", root, "--diff", "--offline", "--only", "stats")
    assert (root / "a.md").read_bytes() == AI


def test_a_target_in_a_list_item_does_not_split_the_list() -> None:
    raw = b"1. item\n   > [!ai]\n   > hi.\n\n2. two\n"
    out, _, _ = render(raw, [stats()])
    lines = out.decode().split("\n")
    header = next(x for x in lines if "%% vaultkit:" in x)

    assert header.startswith("   > [!vaultkit]")  # inside the list item, like the answer
    assert clean(out) == raw
    assert render(out, [stats()])[0] == out


def test_only_flag_does_not_rewrite_a_note_the_full_run_left_current() -> None:
    # (fixed by the answer layout: a pass not run keeps its section, in its place, as it was written)
    both = [stats(), Registered("other", _Other(), "tests")]
    full, _, _ = render(b"> [!ai] AI\n> An answer.\n", both)
    assert b"other" in full
    only, _, _ = render(full, both[:1], installed=["stats", "other"])
    assert only == full
    only, _, _ = render(full, both[1:], installed=["stats", "other"])
    assert only == full
