"""layout = "answer" (the default): one managed callout per AI answer, each pass a section of it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st


from support import BoomPass, by_path, clean, render, run_json, stats, write_note

from vaultkit.config import VaultConfig
from vaultkit.managed import strip
from vaultkit.note import Note, parse_note
from vaultkit.passes import Context, Display, Finding, PassResult, Registered, task
from vaultkit.text import split_lines, strip_eol

ANSWER = b"# Notes\n\nMy line.\n\n> [!ai]+ AI\n> The answer.\n>\n> ## Part\n> More of it.\n\nMine after.\n"


class Sectioned:
    """A pass with a section of the answer's callout, a warning a reader can tick off, a phrase for the title."""

    version = "1"

    def __init__(self, section: str, words: str) -> None:
        self.section, self.words = section, words

    def analyze(self, note: Note, ctx: Context) -> PassResult:
        findings, displays = [], []
        for t in note.targets:
            f = Finding("thing", "warning", t.line + 1, t.line + 1, f"{self.words} here", about=self.words)
            findings.append(f)
            body = f"{self.words} in a paragraph." if self.section == "summary" else task(f, f"{self.words} (a box)")
            displays.append(Display(t, body, self.words.title(), section=self.section))
            displays.append(Display(None, "about the person's heading", "Nope", 1))  # never shown in this layout
        return PassResult(tuple(findings), tuple(displays), {"n": len(findings)})

    def headline(self, findings: Any, dismissed: Any) -> str:
        return f"{len(findings)} {self.words}" if findings else ""


def _passes(*names: str) -> list[Registered]:
    sections = {"sum": "summary", "prob": "problems", "claim": "claims", "dup": "duplicates", "other": "",
                "out": "outline"}
    return [Registered(n, Sectioned(sections[n], n + "-words"), "tests") for n in names]


def _lines(out: bytes) -> list[str]:
    return [strip_eol(x) for x in split_lines(out.decode())]


def _blocks(out: bytes) -> list[str]:
    return [x for x in _lines(out) if "%% vaultkit:" in x]


def test_one_callout_after_each_answer_with_the_sections_in_their_fixed_order() -> None:
    passes = _passes("out", "other", "dup", "claim", "prob", "sum")  # (the order they run in does not matter)
    out, note, _ = render(ANSWER, passes)
    (header,) = _blocks(out)
    lines = _lines(out)
    at = lines.index(header)
    assert lines[at - 2:at] == ["> More of it.", ""]  # after the answer, a blank line between
    assert lines[at + 1:at + 1 + 0] == []
    marks = [x.split("%%vaultkit:")[1].split("%%")[0] for x in lines[at + 1:] if "%%vaultkit:" in x]
    assert marks == ["sum/summary", "prob/problems", "claim/claims", "dup/duplicates", "other", "out/outline"]
    # the title: each pass's phrase in that order; `h=` names the pass behind each
    assert header.startswith("> [!vaultkit]- vaultkit — 1 sum-words · 1 prob-words · 1 claim-words · 1 dup-words · "
                             "1 other-words · 1 out-words %% vaultkit:answer t=")
    assert " h=sum,prob,claim,dup,other,out " in header + " "
    # the summary section is its own label; the others have one
    assert lines[at + 1] == "> sum-words in a paragraph. %%vaultkit:sum/summary%%"
    assert lines[at + 3:at + 5] == ["> **Prob-Words** %%vaultkit:prob/problems%%", lines[at + 4]]
    assert lines[at + 4].startswith("> - [ ] prob-words (a box) %%vk:")
    # nothing inside the answer, nothing for the person's own heading
    assert "Nope" not in out.decode() and "> ## Part\n> More of it.\n" in out.decode()
    assert clean(out) == ANSWER
    assert render(out, passes)[0] == out


def test_an_answer_without_findings_still_gets_its_one_line() -> None:
    out, _, _ = render(b"> [!ai] AI\n> Short.\n", [stats()])
    assert _lines(out)[-1].startswith("> [!vaultkit]- vaultkit — nothing flagged %% vaultkit:answer t=")


def test_a_note_without_ai_text_gets_no_callout() -> None:
    out, _, _ = render(b"# Mine\n\nMy own note.\n", _passes("sum", "prob"))
    assert out == b"# Mine\n\nMy own note.\n"


@pytest.mark.parametrize("run", [["sum"], ["claim"], ["out"], ["prob", "dup"], []])
def test_passes_not_run_keep_their_sections_in_place(run: list[str]) -> None:
    every = _passes("sum", "prob", "claim", "dup", "out")
    full, _, _ = render(ANSWER, every)
    only, _, _ = render(full, [p for p in every if p.name in run], installed=[p.name for p in every])
    assert only == full  # byte for byte: order, title (phrases of passes not run kept), properties


def test_a_crashing_pass_keeps_its_section_and_its_keys_and_the_others_are_written(
        tmp_path: Path, vk: Any, registry: Any) -> None:
    every = _passes("sum", "prob", "claim")
    registry(*every)
    note = write_note(tmp_path, "a.md", ANSWER.decode())
    assert vk("run", tmp_path, "--offline")[0] == 0
    full = note.read_bytes()
    registry(every[0], Registered("prob", BoomPass(), "tests"), every[2])
    note.write_bytes(full.replace(b"> The answer.", b"> The answer, edited."))  # a change to write
    code, doc, _ = run_json(vk, "run", tmp_path, "--offline")
    assert [f["kind"] for f in by_path(doc)["a.md"]["findings"] if f["severity"] == "error"] == ["pass-error"]
    assert by_path(doc)["a.md"]["written"]
    after = note.read_bytes()
    assert after.count(b"[!vaultkit]") == 1 and b"vaultkit_prob_n: 1" in after
    old = [x for x in _lines(full) if "prob" in x and "[!vaultkit]" not in x]
    assert old and all(x in _lines(after) for x in old)  # its section and key, as they were
    assert "vaultkit — 1 sum-words · 1 prob-words · 1 claim-words %%" in _blocks(after)[0]  # and its phrase

    vk("clean", tmp_path)
    assert note.read_bytes() == ANSWER.replace(b"> The answer.", b"> The answer, edited.")


def test_a_changed_answer_takes_its_callout_along_and_edits_are_the_persons() -> None:
    every = _passes("sum", "prob")
    out, _, _ = render(ANSWER, every)
    edited = out.replace(b"**Prob-Words**", b"**Problems I checked**")
    again, note, rendered = render(edited, every)
    assert again == edited  # the person's block stays, and no second one is added after the answer
    (f,) = [f for f in rendered.findings if f.kind == "managed-block-edited"]
    assert "vaultkit's callout was edited by hand" in f.message
    assert clean(edited) != ANSWER and b"Problems I checked" in clean(edited)
    moved, _, _ = render(out.replace(b"> The answer.", b"> The answer, changed."), every)
    assert len(_blocks(moved)) == 1 and clean(moved) == ANSWER.replace(b"> The answer.", b"> The answer, changed.")


def test_a_ticked_box_is_a_dismissal_not_an_edit() -> None:
    every = _passes("prob", "claim")
    out, _, _ = render(ANSWER, every)
    ticked = out.replace(b"- [ ] prob-words", b"- [x] prob-words")
    note = parse_note(ticked, "n.md", VaultConfig(), frozenset(["prob", "claim"]))
    assert all(b.intact for b in note.blocks)
    (key,) = note.dismissed["prob"]
    assert note.dismissed.keys() == {"prob"}
    again, _, rendered = render(ticked, every)
    header = _blocks(again)[0]
    # the tick stays; the phrase goes from the title, which counts it as dismissed
    assert b"- [x] prob-words (a box) %%vk:" + key.encode() + b"%%" in again
    assert "vaultkit — 1 claim-words · 1 dismissed %%" in header
    assert render(again, every)[0] == again
    # what a tasks plugin appends after the key is not an edit either (vaultkit writes the line afresh)
    dated = again.replace(b"%%vk:" + key.encode() + b"%%", b"%%vk:" + key.encode() + b"%% \xe2\x9c\x85 2026-12-07")
    assert render(dated, every)[0] == again
    # unticked: no longer dismissed
    assert render(again.replace(b"- [x] prob-words", b"- [ ] prob-words"), every)[0] == out
    assert clean(again) == ANSWER


def test_any_other_change_of_a_task_line_is_an_edit() -> None:
    every = _passes("prob")
    out, _, _ = render(ANSWER, every)
    for changed in (out.replace(b"(a box)", b"(a box!)"), out.replace(b"%%vk:", b"%%vk: "),
                    out.replace(b"- [ ] prob", b"* [ ] prob")):
        note = parse_note(changed, "n.md", VaultConfig(), frozenset(["prob"]))
        assert [b.intact for b in note.blocks] == [False]


def test_the_layout_can_be_switched_both_ways_and_back() -> None:
    every = _passes("sum", "prob") + [stats()]
    passes_cfg = VaultConfig(layout="passes")
    answer, _, _ = render(ANSWER, every)
    per_pass, _, _ = render(answer, every, passes_cfg)
    assert per_pass == render(ANSWER, every, passes_cfg)[0]  # an old vault: rewritten once into the new layout
    assert render(per_pass, every)[0] == answer
    # a run of one pass keeps the other passes' sections, whichever layout wrote them
    kept, _, _ = render(answer, every[:1], passes_cfg, installed=[p.name for p in every])
    assert b"%% vaultkit:prob " in kept and b"prob-words (a box)" in kept
    assert clean(kept) == ANSWER


def test_strip_reads_the_sections_and_where_the_callout_was() -> None:
    out, _, _ = render(ANSWER, _passes("sum", "dup"))
    stripped = strip(split_lines(out.decode()), "vaultkit_", frozenset(), frozenset(["sum", "dup"]))
    (block,) = stripped.blocks
    assert [(p.pass_name, p.section, p.phrase) for p in block.parts] == [
        ("sum", "summary", "1 sum-words"), ("dup", "duplicates", "1 dup-words")]
    assert stripped.lines[block.after - 1] == "> More of it.\n"  # the answer's last line
    assert [k for k, _ in stripped.keys] == ["dup", "sum"]  # their properties, lifted out as written


_TICKABLE = _passes("prob", "claim")
_RENDERED = render(ANSWER, _TICKABLE)[0].decode()
_HEADER = next(i for i, x in enumerate(_RENDERED.split("\n")) if "[!vaultkit]" in x)
_BLOCK = [i for i, x in enumerate(_RENDERED.split("\n")) if x.startswith(">") and i >= _HEADER]



@settings(max_examples=300, deadline=None)
@given(st.sampled_from(_BLOCK), st.integers(0, 200), st.sampled_from(["x", " ", "-", ">", "%", "é", "\\", "X"]))
def test_only_a_box_can_change_without_making_the_callout_the_persons(

        row: int, at: int, char: str) -> None:
    lines = _RENDERED.split("\n")
    line = lines[row]
    at = at % (len(line) + 1)
    changed = line[:at] + char + line[at + 1:]
    if changed == line:
        return
    lines[row] = changed
    note = parse_note("\n".join(lines).encode(), "n.md", VaultConfig(), frozenset(["prob", "claim"]))
    task = re.match(r"> - \[.\] .*? %%vk:[0-9a-f]{8}%%", line)
    free = task is not None and at == 5 and char != "]"
    intact = [b for b in note.blocks if b.intact]
    assert bool(intact) == free, (line, changed)


class PerTarget:
    """A section per target that says which target it is about (to catch a section landing on another)."""

    version = "1"

    def analyze(self, note: Note, ctx: Context) -> PassResult:
        return PassResult((), tuple(Display(t, f"about the {t.kind} {t.title or 'untitled'}", "Which")
                                    for t in note.targets))


@pytest.mark.parametrize("raw", [
    b"---\nai: true\n---\nIntro paragraph.\n\n> [!ai] Quoted\n> quoted answer.\n",  # a note and its last callout
    b"> [!ai] Outer\n> outer text\n> > [!ai] Inner\n> > inner text\n",  # nested, ending on one line
], ids=["ai-note", "nested"])
def test_two_answers_ending_on_one_line_keep_their_own_sections(raw: bytes) -> None:
    every = [Registered("which", PerTarget(), "tests"), stats()]
    full, note, _ = render(raw, every)
    assert len(note.targets) == 2 and note.targets[0].end_line == note.targets[1].end_line
    for run in (every[1:], every[:1]):  # the section of the pass not run stays with its own answer
        assert render(full, run, installed=["which", "stats"])[0] == full
    assert clean(full) == raw


def test_text_typed_after_a_tasks_key_makes_the_callout_the_persons() -> None:
    every = _passes("prob")
    out, _, _ = render(ANSWER, every)
    typed = re.sub(rb"(%%vk:[0-9a-f]{8}%%)\n", rb"\1 my note: checked with Bob\n", out, count=1)
    assert b"checked with Bob" in typed

    again, note, _ = render(typed, every)
    assert again == typed and [b.intact for b in note.blocks] == [False]  # kept, as the person left it


class ListsBelow:
    """A problem found on a line after its answer (a reference list pasted under it), listed in its callout."""

    version = "1"

    def analyze(self, note: Note, ctx: Context) -> PassResult:
        t = note.targets[0]
        f = Finding("dead-link", "error", len(note.lines), len(note.lines), "https://x.example/gone — 404",
                    about="https://x.example/gone")
        return PassResult((f,), (Display(t, task(f, "dead link"), "Problems", section="problems"),))

    def headline(self, findings: Any, dismissed: Any) -> str:
        return f"{len(findings)} problem" if findings else ""


def test_a_finding_below_its_answer_counts_in_that_answers_title() -> None:
    raw = b"> [!ai]+ AI\n> It cites [1].\n\nCitations:\n[1] https://x.example/gone\n"
    out, _, _ = render(raw, [Registered("refs", ListsBelow(), "tests")])
    assert "vaultkit \u2014 1 problem %%".encode() in out


def test_a_vault_step_that_raises_keeps_its_passes_sections_and_ticks(tmp_path: Path, vk: Any) -> None:
    from vaultkit_plugins.duplicates import DuplicatesPass

    essay = ("The section repeats across the vault because it was pasted into both notes word for word, with "
             "its argument about data, parameters and compute budgets and the plateau that follows. ") * 2
    a = write_note(tmp_path, "a.md", f"> [!ai]+ Answer\n> ## Intro\n> {essay}\n")
    write_note(tmp_path, "b.md", f"> [!ai]+ Answer\n> ## Intro\n> {essay}\n")
    assert vk("run", tmp_path, "--offline", "--only", "duplicates")[0] == 0
    a.write_text(a.read_text(encoding="utf-8").replace("- [ ] Repeats", "- [x] Repeats"), encoding="utf-8")
    ticked = a.read_text(encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp:
        def boom(self: Any, summaries: Any, ctx: Any) -> Any:
            raise RuntimeError("the index is gone")

        mp.setattr(DuplicatesPass, "combine", boom)
        code, doc, _ = run_json(vk, "run", tmp_path, "--offline", "--only", "duplicates", "--no-cache")
    assert any(f["kind"] == "pass-error" for f in by_path(doc)["a.md"]["findings"])
    after = a.read_text(encoding="utf-8")
    assert "- [x] Repeats [[b]]" in after and after.count("[!vaultkit]") == 1
    assert [x for x in after.splitlines() if "Repeats" in x] == [x for x in ticked.splitlines() if "Repeats" in x]
