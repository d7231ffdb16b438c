"""The Obsidian Help vault (~6,300 notes, 40 languages) as a round-trip corpus: run, run again, clean."""

from __future__ import annotations

import contextlib
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from support import CORPUS, copy_tree, mtimes
from vaultkit.cli import run_cli
from vaultkit.errors import ParseError
from vaultkit.note import load_yaml
from vaultkit.text import decode

if not CORPUS.is_dir():
    pytest.skip(f"corpus not present at {CORPUS}", allow_module_level=True)

# The callout types the Help vault itself uses, so thousands of real callouts become targets.
TYPES = ["note", "tip", "info", "warning", "todo", "example", "danger", "abstract", "question", "hint", "important",
         "faq", "success", "compatibility", "quote", "failure", "bug", "summary", "error", "done"]


@dataclass
class Corpus:
    root: Path
    first: dict[str, Any]
    second: dict[str, Any]
    second_changed_mtimes: list[str]
    cached: dict[str, Any]
    clean: dict[str, Any]


def _json(*args: str) -> dict[str, Any]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = run_cli([*args, "--json"])
    assert code == 0, err.getvalue()[-2000:]
    return json.loads(out.getvalue())


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    root = copy_tree(CORPUS, tmp_path_factory.mktemp("corpus") / "obsidian-help")
    (root / ".vaultkit.toml").write_text("[vaultkit]\ncallout_types = " + json.dumps(TYPES) + "\n", encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("VAULTKIT_CACHE_DIR", str(tmp_path_factory.mktemp("corpus-cache")))
        first = _json("run", str(root), "--offline", "--jobs", "2")
        before = mtimes(root)
        # without the cache every note is parsed and rendered again: a real idempotence check
        second = _json("run", str(root), "--offline", "--jobs", "2", "--no-cache")
        after = mtimes(root)
        cached = _json("run", str(root), "--offline", "--jobs", "2")
        clean = _json("clean", str(root))
    changed = sorted(p for p in before if before[p] != after.get(p))
    return Corpus(root, first, second, changed, cached, clean)


def _genuinely_bad(path: Path) -> bool:
    raw = path.read_bytes()
    try:
        text = decode(raw).text
    except ParseError:
        return True
    lines = text.splitlines()
    if lines and lines[0].rstrip() == "---" and "---" in (x.rstrip() for x in lines[1:]):
        end = next(i for i in range(1, len(lines)) if lines[i].rstrip() == "---")
        try:
            load_yaml("\n".join(lines[1:end]))
        except ParseError:
            return True
    return False


def test_no_note_errors_except_genuinely_bad_input(corpus: Corpus) -> None:
    errors = [n for n in corpus.first["notes"] if n["status"] != "ok"]
    for n in errors:
        assert _genuinely_bad(corpus.root / n["path"]), n
    assert len(errors) < 20


def test_many_notes_are_written(corpus: Corpus) -> None:
    s = corpus.first["summary"]
    assert s["notes"] > 5000
    assert s["written"] > 1000
    assert sum(len(n["targets"]) for n in corpus.first["notes"]) > 5000
    assert s["findings"]["error"] == 0


def test_second_run_writes_nothing(corpus: Corpus) -> None:
    assert corpus.second["summary"]["written"] == 0
    assert corpus.second_changed_mtimes == []
    assert corpus.cached["summary"]["written"] == 0
    assert [n["path"] for n in corpus.second["notes"]] == [n["path"] for n in corpus.first["notes"]]
    assert [len(n["targets"]) for n in corpus.second["notes"]] == [len(n["targets"]) for n in corpus.first["notes"]]


def test_clean_restores_every_file_byte_for_byte(corpus: Corpus) -> None:
    assert corpus.clean["summary"]["written"] == corpus.first["summary"]["written"]
    originals = sorted(p.relative_to(CORPUS).as_posix() for p in CORPUS.rglob("*") if p.is_file() and not p.is_symlink())
    copies = sorted(p.relative_to(corpus.root).as_posix() for p in corpus.root.rglob("*")
                    if p.is_file() and not p.is_symlink())
    assert copies == sorted([*originals, ".vaultkit.toml"])  # no temp files or other leftovers
    different = [rel for rel in originals if (CORPUS / rel).read_bytes() != (corpus.root / rel).read_bytes()]
    assert different == []
