"""The repository's sample_vault, end to end: targets where a reader sees them, bad notes untouched, clean exact."""

from __future__ import annotations

import contextlib
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from support import SAMPLE_VAULT, by_path, copy_tree, mtimes, snapshot
from vaultkit.cli import run_cli

SCALING = "Research/LLM scaling"
PERPLEXITY = f"{SCALING}/Diminishing returns — Perplexity chat.md"
ESSAY = f"{SCALING}/Scaling essay — revised draft and AGI chat.md"
SURVEY = f"{SCALING}/Survey of large language models (AutoSurvey).md"
BEYOND = "Reading/Beyond Bigger — the emerging paradigm of efficient AI.md"
BRUTE = "Reading/Beyond Brute Force — rethinking the scaling laws.md"

EXPECTED_HEADERS = {
    PERPLEXITY: [59, 109, 134, 160, 174, 188],
    ESSAY: [37, 59, 77],
    "Edge cases/Not callouts.md": [27],
    "Edge cases/Nested callout.md": [6],
    "Edge cases/Glued prompt.md": [6],
    "Edge cases/Lazy continuation.md": [3],
    "Edge cases/CRLF note.md": [10],
    "Edge cases/BOM and no final newline.md": [5],
}


@dataclass
class Runs:
    root: Path
    original: dict[str, bytes]
    first: dict[str, Any]
    after_first: dict[str, bytes]
    times: dict[str, int]
    second: dict[str, Any]
    after_second: dict[str, bytes]
    times_second: dict[str, int]
    fresh: dict[str, Any]
    after_fresh: dict[str, bytes]
    times_fresh: dict[str, int]
    clean: dict[str, Any]
    after_clean: dict[str, bytes]


class _Capture:
    """run_cli with stdout captured, for a module-scoped fixture (capsys is function-scoped)."""

    def json(self, *args: str) -> dict[str, Any]:
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = run_cli([*args, "--json"])
        assert code == 0, err.getvalue()
        self.stderr = err.getvalue()
        return json.loads(out.getvalue())


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Runs:
    root = copy_tree(SAMPLE_VAULT, tmp_path_factory.mktemp("sample") / "vault")
    original = snapshot(root)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("VAULTKIT_CACHE_DIR", str(tmp_path_factory.mktemp("sample-cache")))
        cap = _Capture()
        first = cap.json("run", str(root), "--offline")
        after_first, times = snapshot(root), mtimes(root)
        second = cap.json("run", str(root), "--offline")
        after_second, times_second = snapshot(root), mtimes(root)
        fresh = cap.json("run", str(root), "--offline", "--no-cache")  # every note parsed and rendered again
        after_fresh, times_fresh = snapshot(root), mtimes(root)
        clean = cap.json("clean", str(root))
        after_clean = snapshot(root)
    return Runs(root, original, first, after_first, times, second, after_second, times_second,
                fresh, after_fresh, times_fresh, clean, after_clean)


@pytest.mark.parametrize(("rel", "headers"), EXPECTED_HEADERS.items(), ids=list(EXPECTED_HEADERS))
def test_callout_targets_are_where_the_reader_sees_them(runs: Runs, rel: str, headers: list[int]) -> None:
    n = by_path(runs.first)[rel]
    assert n["status"] == "ok"
    assert [t["line"] for t in n["targets"]] == headers
    assert all(t["kind"] == "callout" and t["type"] == "ai" for t in n["targets"])
    lines = runs.original[rel].decode("utf-8-sig").splitlines()
    for t in n["targets"]:
        assert "[!ai]" in lines[t["line"] - 1].lower()


def test_glued_callouts_are_warned_about(runs: Runs) -> None:
    def glued(rel: str) -> list[int]:
        return [f["line"] for f in by_path(runs.first)[rel]["findings"] if f["kind"] == "glued-callout"]

    assert glued("Edge cases/Glued prompt.md") == [6]
    assert glued(PERPLEXITY) == [109]
    assert glued(ESSAY) == []


def test_doubled_header_is_inside_the_first_target(runs: Runs) -> None:
    (t,) = [t for t in by_path(runs.first)[ESSAY]["targets"] if t["line"] == 77]
    assert t["end_line"] >= 79
    assert "[!ai]" in runs.original[ESSAY].decode().splitlines()[78]


def test_lazy_continuation_target_spans_to_the_blank_line(runs: Runs) -> None:
    (t,) = by_path(runs.first)["Edge cases/Lazy continuation.md"]["targets"]
    assert (t["line"], t["end_line"]) == (3, 6)


def test_ai_marked_notes_are_note_targets(runs: Runs) -> None:
    for rel in (BEYOND, SURVEY, BRUTE):
        kinds = [(t["kind"], t["type"]) for t in by_path(runs.first)[rel]["targets"]]
        assert ("note", "ai") in kinds
    assert by_path(runs.first)["Daily/2026-11-20.md"]["targets"] == []


def test_seed_citation_problems_are_found(runs: Runs) -> None:
    found = {(n["path"], f["kind"], f["line"]) for n in runs.first["notes"] for f in n["findings"]
             if f["pass"] == "citations"}
    assert (BRUTE, "source-mismatch", 30) in found  # a robotics article cited by an essay on scaling laws
    assert (PERPLEXITY, "year-mismatch", 207) in found  # "Maass et al. (2002)" vs the (2001) reference


def test_bad_notes_are_errors_and_untouched(runs: Runs) -> None:
    for rel in ("Edge cases/Broken YAML.md", "Edge cases/Bad encoding.md"):
        n = by_path(runs.first)[rel]
        assert n["status"] == "error" and n["error"] and n["written"] is False
        assert runs.after_first[rel] == runs.original[rel]
    assert runs.first["summary"]["errors"] == 2


def test_trash_and_conflict_copies_are_not_notes(runs: Runs) -> None:
    paths = [n["path"] for n in runs.first["notes"]]
    assert not any(p.startswith(".") for p in paths)
    assert not any("sync-conflict" in p for p in paths)
    assert runs.after_first[".trash/Old answer.md"] == runs.original[".trash/Old answer.md"]
    conflict = next(p for p in runs.original if "sync-conflict" in p)
    assert runs.after_first[conflict] == runs.original[conflict]
    md = [p for p in runs.original if p.endswith(".md") and not p.startswith(".") and "sync-conflict" not in p]
    assert sorted(paths) == sorted(md)


def test_every_note_with_a_target_was_written_and_others_not(runs: Runs) -> None:
    for n in runs.first["notes"]:
        changed = runs.after_first[n["path"]] != runs.original[n["path"]]
        assert n["written"] is changed
        assert changed is (n["status"] == "ok" and bool(n["targets"]))


def test_written_notes_keep_bom_and_line_endings(runs: Runs) -> None:
    crlf = runs.after_first["Edge cases/CRLF note.md"]
    assert crlf.count(b"\n") == crlf.count(b"\r\n")
    bom = runs.after_first["Edge cases/BOM and no final newline.md"]
    assert bom.startswith(b"\xef\xbb\xbf") and not bom.endswith(b"\n")


def test_rich_frontmatter_is_kept_byte_identical(runs: Runs) -> None:
    rel = "Edge cases/Rich frontmatter.md"
    orig = runs.original[rel].decode().split("\n")
    close = orig.index("---", 1)
    new = runs.after_first[rel].decode().split("\n")
    assert new[:close] == orig[:close]
    assert all(x.startswith("vaultkit_") for x in new[close : new.index("---", 1)])


def test_second_run_writes_nothing(runs: Runs) -> None:
    assert runs.second["summary"]["written"] == 0
    assert runs.after_second == runs.after_first
    assert runs.times_second == runs.times
    assert [n["path"] for n in runs.second["notes"]] == [n["path"] for n in runs.first["notes"]]
    assert [n["status"] for n in runs.second["notes"]] == [n["status"] for n in runs.first["notes"]]


def test_second_run_without_cache_writes_nothing(runs: Runs) -> None:
    assert runs.fresh["summary"]["written"] == 0
    assert runs.after_fresh == runs.after_first
    assert runs.times_fresh == runs.times
    assert [len(n["targets"]) for n in runs.fresh["notes"]] == [len(n["targets"]) for n in runs.first["notes"]]


def test_clean_restores_every_byte(runs: Runs) -> None:
    assert runs.after_clean == runs.original
    assert runs.clean["summary"]["written"] == runs.first["summary"]["written"]
