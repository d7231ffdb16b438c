"""The citations pass against hand-labelled notes: precision and recall of the offline checks.

Every note in `tests/citations_corpus/` ends with an Obsidian comment that lists what a
careful reader expects the pass to report, one `expect: <kind> <file line>` per finding
(`expect: none` when the note is clean):

    %%
    expect: dangling-marker 7
    expect: unused-reference 12
    %%

The labels follow the issue's definitions, not the pass's output. The line is the line of
the file as read (1-based): the marker's line, the entry's first line, the mention's line,
the line of the bad URL or of the reference holding the bad identifier, the source line.
Labels are compared as multisets of (path, kind, line), so a finding reported twice is a
false positive. The bar (issue 3) is precision and recall of at least 0.95 over all
structural kinds together.
"""

from __future__ import annotations

import json
import re
import shutil
from collections import Counter
from pathlib import Path
from typing import Callable

import pytest

CORPUS = Path(__file__).resolve().parent / "citations_corpus"
KINDS = (
    "dangling-marker",
    "unused-reference",
    "duplicate-reference",
    "malformed-url",
    "malformed-identifier",
    "year-mismatch",
    "arxiv-id-mismatch",
    "source-mismatch",
)
BAR = 0.95
_BLOCK = re.compile(r"\r?\n%%\r?\n((?:expect: [^\r\n]*\r?\n)+)%%\r?\n?\Z")
_LABEL = re.compile(r"^expect: (?:none|([a-z-]+) (\d+))$")

Key = tuple[str, str, int]  # (path, kind, line)


def notes() -> list[Path]:
    return sorted(CORPUS.glob("*.md"))


def labels(path: Path) -> Counter[Key]:
    """The expected findings written at the end of one corpus note."""
    text = path.read_bytes().decode("utf-8")
    m = _BLOCK.search(text)
    assert m, f"{path.name}: no label block (%%\\nexpect: …\\n%%) at the end"
    out: Counter[Key] = Counter()
    rows = [r.strip() for r in m.group(1).splitlines() if r.strip()]
    for row in rows:
        lm = _LABEL.match(row)
        assert lm, f"{path.name}: bad label {row!r}"
        if lm.group(1):
            assert lm.group(1) in KINDS, f"{path.name}: unknown kind in {row!r}"
            out[(path.name, lm.group(1), int(lm.group(2)))] += 1
    assert bool(out) != (rows == ["expect: none"]), f"{path.name}: 'expect: none' mixed with findings"
    return out


def expected_all() -> Counter[Key]:
    total: Counter[Key] = Counter()
    for p in notes():
        total += labels(p)
    return total


def run_pass(tmp_path: Path, vk: Callable[..., tuple[int, str, str]]) -> tuple[Counter[Key], dict[str, str]]:
    """Run the real `citations` pass through the CLI over a copy of the corpus (offline, dry run)."""
    vault = tmp_path / "vault"
    shutil.copytree(CORPUS, vault)
    code, out, err = vk("run", vault, "--offline", "--only", "citations", "--json", "--dry-run")
    report = json.loads(out)
    statuses = {n["path"]: n["status"] for n in report["notes"]}
    got: Counter[Key] = Counter()
    for n in report["notes"]:
        for f in n.get("findings", []):
            if f.get("pass") == "citations" and f["kind"] in KINDS:
                got[(n["path"], f["kind"], f["line"])] += 1
    assert code in (0, 1), f"exit {code}: {err}"
    return got, statuses


def _messages(tmp_path: Path, vk: Callable[..., tuple[int, str, str]]) -> dict[Key, list[str]]:
    out = json.loads(vk("run", tmp_path / "vault", "--offline", "--only", "citations", "--json", "--dry-run")[1])
    messages: dict[Key, list[str]] = {}
    for n in out["notes"]:
        for f in n.get("findings", []):
            messages.setdefault((n["path"], f["kind"], f["line"]), []).append(f["message"])
    return messages


def score(expected: Counter[Key], got: Counter[Key], kind: str | None = None) -> tuple[int, int, int]:
    """(true positives, false positives, false negatives), for one kind or all."""
    exp = Counter({k: v for k, v in expected.items() if kind is None or k[1] == kind})
    found = Counter({k: v for k, v in got.items() if kind is None or k[1] == kind})
    tp = sum((exp & found).values())
    return tp, sum(found.values()) - tp, sum(exp.values()) - tp


def _ratio(num: int, den: int) -> float:
    return num / den if den else 1.0


def table(expected: Counter[Key], got: Counter[Key]) -> str:
    rows = [f"{'kind':<22}{'labels':>7}{'found':>7}{'tp':>5}{'fp':>5}{'fn':>5}{'prec':>7}{'recall':>8}"]
    for kind in (*KINDS, None):
        tp, fp, fn = score(expected, got, kind)
        rows.append(
            f"{kind or 'ALL':<22}{tp + fn:>7}{tp + fp:>7}{tp:>5}{fp:>5}{fn:>5}"
            f"{_ratio(tp, tp + fp):>7.2f}{_ratio(tp, tp + fn):>8.2f}"
        )
    return "\n".join(rows)


def mismatches(expected: Counter[Key], got: Counter[Key], messages: dict[Key, list[str]]) -> str:
    """Every false positive (with what the pass said) and false negative, by note and line."""
    rows = []
    for key, extra in (got - expected).items():
        said = messages.get(key, [])
        rows.append((key, f"  FP {key[0]}:{key[2]} {key[1]} x{extra} — {' | '.join(said)}"))
    for key, missing in (expected - got).items():
        rows.append((key, f"  FN {key[0]}:{key[2]} {key[1]}" + (f" x{missing}" if missing > 1 else "")))
    return "\n".join(row for _k, row in sorted(rows, key=lambda r: (r[0][0], r[0][2], r[0][1]))) or "  (none)"


def test_corpus_is_big_and_varied() -> None:
    paths = notes()
    assert len(paths) >= 30
    expected = expected_all()
    per_kind = Counter(k[1] for k in expected.elements())
    assert set(per_kind) == set(KINDS), f"kinds without a positive label: {set(KINDS) - set(per_kind)}"
    clean = [p.name for p in paths if not labels(p)]
    assert len(clean) >= 10, "hard negatives: notes with no expected finding"
    assert any(b"\r\n" in p.read_bytes() for p in paths), "one note has CRLF line endings"


def test_labels_point_at_real_lines() -> None:
    for p in notes():
        text = p.read_bytes().decode("utf-8")
        lines = text.splitlines()
        block_start = text[: _BLOCK.search(text).start()].count("\n") + 1  # type: ignore[union-attr]
        for _path, kind, line in labels(p):
            assert 1 <= line <= block_start, f"{p.name}: {kind} label on line {line}, outside the note"
            assert lines[line - 1].strip(), f"{p.name}: {kind} label on blank line {line}"


def test_offline_checks_reach_the_bar(tmp_path: Path, vk: Callable[..., tuple[int, str, str]]) -> None:
    expected = expected_all()
    got, statuses = run_pass(tmp_path, vk)
    assert all(s == "ok" for s in statuses.values()), statuses
    assert set(statuses) == {p.name for p in notes()}
    tp, fp, fn = score(expected, got)
    precision, recall = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
    report = (
        f"\n{len(notes())} notes, {sum(expected.values())} labels\n{table(expected, got)}\n"
        f"mismatches (FP: reported, not expected; FN: expected, not reported):\n"
        f"{mismatches(expected, got, _messages(tmp_path, vk))}"
    )
    print(report)
    assert precision >= BAR and recall >= BAR, (
        f"precision {precision:.3f}, recall {recall:.3f} (bar {BAR}){report}"
    )


@pytest.mark.parametrize("path", notes(), ids=lambda p: p.stem)
def test_each_note(path: Path, tmp_path: Path, vk: Callable[..., tuple[int, str, str]]) -> None:
    """Per-note view of the same comparison, so a regression names its note."""
    vault = tmp_path / "vault"
    vault.mkdir()
    shutil.copy(path, vault / path.name)
    code, out, err = vk("run", vault, "--offline", "--only", "citations", "--json", "--dry-run")
    report = json.loads(out)
    got: Counter[Key] = Counter()
    messages: dict[Key, list[str]] = {}
    for n in report["notes"]:
        for f in n.get("findings", []):
            if f.get("pass") == "citations" and f["kind"] in KINDS:
                key = (n["path"], f["kind"], f["line"])
                got[key] += 1
                messages.setdefault(key, []).append(f["message"])
    expected = labels(path)
    assert code in (0, 1), f"exit {code}: {err}"
    assert got == expected, f"{path.name}:\n{mismatches(expected, got, messages)}"
