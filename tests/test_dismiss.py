"""Dismissing a finding from inside Obsidian: tick its box in vaultkit's callout, and it stays dismissed."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Callable

from support import by_path, run_json, write_note

VK = Callable[..., tuple[int, str, str]]
NOTE = """# Two answers

My notes.

> [!ai]+ First
> Groq's LPU delivers 750 tokens per second on Llama models.
> Cerebras built a wafer-scale chip with 4 trillion transistors in 2024.

Between the answers.

> [!ai]+ Second
> Microsoft deployed RWKV to 1.5 billion Windows machines in 2024.
"""
GROQ = "Groq's LPU delivers 750 tokens per second on Llama models."


def _tick(path: Path, text: str) -> None:
    """What Obsidian does when the reader clicks the box in front of `text`."""
    before = path.read_text(encoding="utf-8")
    after = re.sub(r"^(> - )\[ \]( " + re.escape(text) + ")", r"\1[x]\2", before, count=1, flags=re.M)
    assert after != before, text
    path.write_text(after, encoding="utf-8")


def _claims(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["data"]["text"]: f for f in by_path(doc)["a.md"]["findings"] if f["kind"] == "claim"}


def test_tick_rerun_json_check_and_an_unrelated_edit(tmp_path: Path, vk: VK) -> None:
    note = write_note(tmp_path, "a.md", NOTE)
    code, doc, _ = run_json(vk, "run", tmp_path, "--offline", "--only", "claims", "--check", "--fail-on", "warning")
    assert code == 1 and not any(f["dismissed"] for f in _claims(doc).values())
    ident = _claims(doc)[GROQ]["id"]
    assert ident.startswith("claims:")
    _tick(note, GROQ)
    code, doc, _ = run_json(vk, "run", tmp_path, "--offline", "--only", "claims")
    groq = _claims(doc)[GROQ]
    assert groq["dismissed"] is True and groq["id"] == ident  # still in --json, marked
    assert doc["summary"]["dismissed"] == 1
    text = note.read_text(encoding="utf-8")
    assert f"> - [x] {GROQ}" in text  # shown as dismissed: ticked
    assert "vaultkit — 1 of 2 claims uncited · 1 dismissed %%" in text
    assert "vaultkit_claims_uncited: 2" in text  # 3 uncited claims, one dismissed
    # an unrelated edit of the same answer: the claim keeps its id, the tick stays
    note.write_text(text.replace("4 trillion transistors", "four trillion transistors", 1), encoding="utf-8")
    code, doc, _ = run_json(vk, "run", tmp_path, "--offline", "--only", "claims")
    assert _claims(doc)[GROQ]["dismissed"] is True and f"> - [x] {GROQ}" in note.read_text(encoding="utf-8")
    # --check counts what is not dismissed: tick the rest and it passes
    for claim in [c for c, f in _claims(doc).items() if not f["dismissed"]]:
        _tick(note, claim)
    code, doc, err = run_json(vk, "run", tmp_path, "--offline", "--only", "claims", "--check", "--fail-on", "warning")
    assert code == 0, err
    assert all(f["dismissed"] for f in _claims(doc).values())
    assert "vaultkit_claims_uncited: 0" in note.read_text(encoding="utf-8")
    code, out, _ = vk("run", tmp_path, "--offline", "--only", "claims", "--show-dismissed")
    assert code == 0 and len(out.splitlines()) == 3
    assert all(": dismissed [claims] uncited claim: " in row for row in out.splitlines())
    code, out, _ = vk("run", tmp_path, "--offline", "--only", "claims", "--format", "text")
    assert out == ""  # an editor's problem list leaves them out


def test_unticking_brings_a_finding_back(tmp_path: Path, vk: VK) -> None:
    note = write_note(tmp_path, "a.md", NOTE)
    run_json(vk, "run", tmp_path, "--offline", "--only", "claims")
    fresh = note.read_text(encoding="utf-8")
    _tick(note, GROQ)
    run_json(vk, "run", tmp_path, "--offline", "--only", "claims")
    note.write_text(note.read_text(encoding="utf-8").replace(f"> - [x] {GROQ}", f"> - [ ] {GROQ}"), encoding="utf-8")
    code, doc, _ = run_json(vk, "run", tmp_path, "--offline", "--only", "claims")
    assert _claims(doc)[GROQ]["dismissed"] is False
    assert note.read_text(encoding="utf-8") == fresh


def test_a_hook_on_the_other_answer_and_a_full_run_keep_it(tmp_path: Path, vk: VK) -> None:
    note = write_note(tmp_path, "a.md", NOTE)
    run_json(vk, "run", tmp_path, "--offline")
    _tick(note, GROQ)
    lines = note.read_text(encoding="utf-8").splitlines()
    second = next(i for i, row in enumerate(lines, 1) if row.startswith("> [!ai]+ Second"))
    code, out, err = vk("run", "--file", note, "--offline", "--format", "text", "--line", second + 1)
    assert code == 0, err
    assert "Groq" not in out  # the hook reports the answer at the cursor only
    code, doc, _ = run_json(vk, "run", tmp_path, "--offline")
    assert _claims(doc)[GROQ]["dismissed"] is True and f"> - [x] {GROQ}" in note.read_text(encoding="utf-8")
    first = next(i for i, row in enumerate(note.read_text(encoding="utf-8").splitlines(), 1) if "[!ai]+ First" in row)
    code, out, _ = vk("run", "--file", note, "--offline", "--format", "text", "--line", first + 1)
    assert "Groq" not in out and "Cerebras" in out  # a hook on the answer itself: dismissed, so not a problem


def test_clean_is_byte_exact_says_what_it_removed_and_undo_brings_it_back(tmp_path: Path, vk: VK) -> None:
    note = write_note(tmp_path, "a.md", NOTE)
    run_json(vk, "run", tmp_path, "--offline")
    _tick(note, GROQ)
    run_json(vk, "run", tmp_path, "--offline")
    ticked = note.read_bytes()
    code, _, err = vk("clean", tmp_path)
    assert code == 0 and note.read_text(encoding="utf-8") == NOTE
    assert "held 1 dismissed finding" in err and "vaultkit undo" in err
    assert vk("undo", tmp_path)[0] == 0 and note.read_bytes() == ticked


def test_dismissing_a_citation_problem_and_a_duplicate(tmp_path: Path, vk: VK) -> None:
    answer = ("> [!ai]+ AI\n> Scaling laws promised that bigger models trained on more data would keep getting "
              "better, and for years they did: each doubling of compute bought a predictable drop in loss across "
              "language modelling benchmarks[1][4]. Labs planned their budgets around that curve, and investors "
              "followed the same charts when they funded ever larger training runs.\n>\n"
              "> Citations:\n> [1] Scaling laws https://example.org/scaling\n")

    a = write_note(tmp_path, "a.md", "# A\n\n" + answer)
    write_note(tmp_path, "b.md", "# B\n\n" + answer)
    code, doc, _ = run_json(vk, "run", tmp_path, "--offline", "--only", "citations", "--only", "duplicates")
    kinds = {f["kind"]: f for f in by_path(doc)["a.md"]["findings"]}
    assert {"dangling-marker", "duplicate-section"} <= kinds.keys()
    text = a.read_text(encoding="utf-8")
    assert "vaultkit_citations_problems: 1" in text and 'vaultkit_duplicates_of: ["[[b]]"]' in text
    assert "vaultkit — 1 problem · duplicate of 1 note %%" in text
    _tick(a, "dangling marker: [4] has no entry in the reference list")
    _tick(a, "Repeats [[b]]: the whole answer")
    code, doc, _ = run_json(vk, "run", tmp_path, "--offline", "--only", "citations", "--only", "duplicates")
    found = {f["kind"]: f for f in by_path(doc)["a.md"]["findings"]}
    assert found["dangling-marker"]["dismissed"] and found["duplicate-section"]["dismissed"]
    text = a.read_text(encoding="utf-8")
    assert "vaultkit_citations_problems" not in text and "vaultkit_duplicates_of" not in text
    assert "vaultkit — nothing flagged · 2 dismissed %%" in text
    assert by_path(doc)["b.md"]["findings"] and not any(f["dismissed"] for f in by_path(doc)["b.md"]["findings"])
    assert "vaultkit_duplicates_of" in (tmp_path / "b.md").read_text(encoding="utf-8")  # b's copy is b's business
    code, _, _ = vk("run", "--file", a, "--offline", "--only", "citations", "--only", "duplicates",
                    "--check", "--fail-on", "warning")
    assert code == 0  # a's own problems are all dismissed (b's are b's)



def test_the_json_id_and_dismissed_keys_are_on_every_finding(tmp_path: Path, vk: VK) -> None:
    write_note(tmp_path, "a.md", NOTE)
    code, out, _ = vk("run", tmp_path, "--offline", "--json")
    for n in json.loads(out)["notes"]:
        for f in n["findings"]:
            assert re.fullmatch(r"[\w-]+:[0-9a-f]{8}", f["id"]) and f["dismissed"] is False
