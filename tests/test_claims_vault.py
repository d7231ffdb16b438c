"""The claims pass end to end: line references in its callout, `conflicting-claim` across notes through
the pipeline's vault step (incremental, cached), and the hard negatives that must stay quiet."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Callable

import pytest

from support import by_path, mtimes, run_json, snapshot, write_note
from vaultkit_plugins.claims._facts import numeric_facts

Vk = Callable[..., tuple[int, str, str]]


def _answer(*paragraphs: str) -> str:
    return "# Notes\n\n> [!ai]+ Answer\n" + ">\n".join(f"> {s}\n" for s in paragraphs) + "\nMy own line.\n"


def _conflicts(doc: dict[str, Any], path: str) -> list[dict[str, Any]]:
    return [f for f in by_path(doc)[path]["findings"] if f["kind"] == "conflicting-claim"]


@pytest.mark.parametrize(("sentence", "key", "low", "high"), [
    ("Groq's LPU architecture delivers 750-1,345 tokens/second.", "lpu|tokens/second", 750, 1345),
    ("Microsoft deployed RWKV to 1.5 billion Windows machines.", "rwkv|windows machines", 1.5e9, 1.5e9),
    ("OpenAI's laws require compute scaling as the 20th power of desired accuracy.", "accuracy|power", 20, 20),
    ("Compute requirements grow as the 11th-20th power of accuracy make scaling hard.", "accuracy|power", 11, 20),
    ("GPT-4 scored 86% on MMLU.", "gpt-4|%|mmlu", 86, 86),
])
def test_numeric_facts_attach_a_figure_to_its_subject_and_unit(sentence: str, key: str, low: float, high: float) -> None:
    """The issue's examples: the same subject and unit get the same key, the figure its range."""
    assert [(k, lo, hi) for k, _, (lo, hi) in numeric_facts(sentence)] == [(key, low, high)]


@pytest.mark.parametrize("sentence", [
    "Groq serves Llama 3.1 8B models quickly.",  # a number inside a name is not a figure
    "In 2017 the company moved to a bigger office.",  # a year is compared as a citation year, not a figure
    "Researchers found 40 instances overall.",  # no named subject
])
def test_numbers_that_are_not_figures_of_a_subject_give_no_fact(sentence: str) -> None:
    """Names, years and subjectless counts would make noise, not conflicts."""
    assert numeric_facts(sentence) == []


def test_the_callout_points_at_each_claims_line_in_the_written_file(tmp_path: Path, vk: Vk) -> None:
    """Line references are resolved after layout: they name lines of the file vaultkit writes."""
    path = write_note(tmp_path, "a.md", _answer(
        "Microsoft deployed RWKV to 1.5 billion Windows machines in 2024.",
        "Groq's LPU delivers 750-1,345 tokens/second on Llama models [1].",
    ) + "\n[1] Groq. https://groq.com\n")
    code, doc, _ = run_json(vk, "run", tmp_path, "--offline", "--only", "claims", "--json", "--check",
                            "--fail-on", "warning")
    assert code == 1  # an uncited claim is a warning
    lines = path.read_text(encoding="utf-8").splitlines()
    refs = [m for line in lines if (m := re.match(r"> - (?:\[ \] |cited: )(.*) \(line (\d+)\)", line))]
    assert len(refs) == 2
    for m in refs:
        number, quoted = int(m.group(2)), m.group(1).replace("\\", "")[:30]
        assert quoted in lines[number - 1].replace("\\", ""), (m.group(0), lines[number - 1])

    claims = [f for f in by_path(doc)["a.md"]["findings"] if f["kind"] == "claim"]
    assert {f["line"] for f in claims} == {4, 6}  # --json lines are lines of the file as read
    second, _, _ = run_json(vk, "run", tmp_path, "--offline", "--only", "claims", "--json")
    assert path.read_text(encoding="utf-8").splitlines() == lines  # byte-stable on a re-run


def test_two_notes_giving_one_subject_different_figures_conflict_both_ways(tmp_path: Path, vk: Vk) -> None:
    """Each place gets a warning naming the other; the callout links the other note."""
    (tmp_path / ".vaultkit.toml").write_text('[vaultkit]\nproperties = "all"\n', encoding="utf-8")  # (the count too)
    write_note(tmp_path, "one.md", _answer("Groq's LPU architecture delivers 750-1,345 tokens/second on Llama models."))
    write_note(tmp_path, "two.md", _answer("Groq's LPU delivers 500 tokens/second on Llama models in benchmarks."))
    write_note(tmp_path, "three.md", _answer("Cerebras delivers 2,000 tokens/second on Llama models."))
    _, doc, _ = run_json(vk, "run", tmp_path, "--offline", "--only", "claims", "--json")
    one, two = _conflicts(doc, "one.md"), _conflicts(doc, "two.md")
    assert [(f["data"]["value"], f["data"]["other"]["path"], f["data"]["other"]["value"]) for f in one] == [
        ("750-1,345", "two.md", "500")]
    assert [(f["data"]["value"], f["data"]["other"]["path"]) for f in two] == [("500", "one.md")]
    assert one[0]["severity"] == "warning" and one[0]["line"] == 4
    assert _conflicts(doc, "three.md") == []  # another subject
    text = (tmp_path / "one.md").read_text(encoding="utf-8")
    assert "- [ ] conflict: " in text and "[[two]]" in text
    assert "vaultkit_claims_conflicts: 1" in text


def test_a_fixed_figure_clears_the_conflict_in_the_note_that_did_not_change(tmp_path: Path, vk: Vk) -> None:
    """The vault step is incremental: an unchanged note is redone only when its vault result changes."""
    write_note(tmp_path, "one.md", _answer("Groq's LPU architecture delivers 750 tokens/second on Llama models."))
    write_note(tmp_path, "two.md", _answer("Groq's LPU delivers 500 tokens/second on Llama models in benchmarks."))
    write_note(tmp_path, "other.md", _answer("Microsoft deployed RWKV to 1.5 billion Windows machines."))
    run_json(vk, "run", tmp_path, "--offline", "--only", "claims", "--json")
    assert "- [ ] conflict: " in (tmp_path / "one.md").read_text(encoding="utf-8")
    before = snapshot(tmp_path)
    _, doc, _ = run_json(vk, "run", tmp_path, "--offline", "--only", "claims", "--json")
    assert snapshot(tmp_path) == before and not any(n["written"] for n in doc["notes"])  # nothing to do
    write_note(tmp_path, "two.md", _answer("Groq's LPU delivers 750 tokens/second on Llama models in benchmarks."))
    _, doc, _ = run_json(vk, "run", tmp_path, "--offline", "--only", "claims", "--json")
    written = {n["path"] for n in doc["notes"] if n["written"]}
    assert written == {"one.md", "two.md"}  # one.md's callout loses the conflict; other.md is untouched
    assert "- [ ] conflict: " not in (tmp_path / "one.md").read_text(encoding="utf-8")
    assert _conflicts(doc, "one.md") == [] and _conflicts(doc, "two.md") == []


def test_a_hook_run_on_one_note_still_sees_the_cached_rest_of_the_vault(tmp_path: Path, vk: Vk) -> None:
    """`run --file` compares against the other notes' cached summaries without reading them."""
    write_note(tmp_path, "one.md", _answer("Groq's LPU architecture delivers 750 tokens/second on Llama models."))
    write_note(tmp_path, "two.md", _answer("Groq's LPU delivers 900 tokens/second on Llama models in benchmarks."))
    run_json(vk, "run", tmp_path, "--offline", "--only", "claims", "--json")
    write_note(tmp_path, "one.md", _answer("Groq's LPU architecture delivers 600 tokens/second on Llama models."))
    _, doc, _ = run_json(vk, "run", tmp_path, "--offline", "--only", "claims", "--json", "--file", tmp_path / "one.md")
    assert [n["path"] for n in doc["notes"]] == ["one.md"]
    assert [(f["data"]["value"], f["data"]["other"]["value"]) for f in _conflicts(doc, "one.md")] == [("600", "900")]


def test_an_authors_year_that_differs_by_one_is_a_conflict_in_one_note(tmp_path: Path, vk: Vk) -> None:
    """The seed's Maass et al. (2002) against its own reference's (2001)."""
    write_note(tmp_path, "a.md", _answer(
        "Maass et al. (2002) provided a comprehensive overview of spiking networks and their applications. "
        "[Maass, W., & Bishop, C. M. (Eds.). (2001). *Pulsed neural networks*. MIT press.]"))
    _, doc, _ = run_json(vk, "run", tmp_path, "--offline", "--only", "claims", "--json")
    found = {(f["data"]["value"], f["data"]["other"]["value"]) for f in _conflicts(doc, "a.md")}
    assert ("2002", "2001") in found


@pytest.mark.parametrize(("first", "second"), [
    # same subject and unit, different benchmarks
    ("GPT-4 scored 86% on MMLU in the original report.", "GPT-4 scored 67% on HumanEval in coding tests."),
    # model sizes are part of names
    ("Groq serves Llama 3.1 8B models at low latency.", "Groq serves Llama 2 13B models at low latency."),
    # an author's two papers years apart on different topics
    ("Kaplan et al. (2020) derived scaling laws for language models.",
     "Kaplan et al. (2012) studied protein folding kinetics in yeast."),
    # the same figure twice is agreement
    ("Groq's LPU delivers 750 tokens/second on Llama models.", "Groq's LPU delivers 750 tokens/second on Llama models."),
])
def test_hard_negatives_stay_quiet(tmp_path: Path, vk: Vk, first: str, second: str) -> None:
    """Different things that look alike are not conflicts."""
    write_note(tmp_path, "one.md", _answer(first))
    write_note(tmp_path, "two.md", _answer(second))
    _, doc, _ = run_json(vk, "run", tmp_path, "--offline", "--only", "claims", "--json")
    assert _conflicts(doc, "one.md") == [] and _conflicts(doc, "two.md") == []


def test_a_combine_step_that_raises_is_an_error_finding_not_a_crash(tmp_path: Path, vk: Vk,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """A broken vault step must not stop the run or lose the note pass's own results."""
    from vaultkit_plugins.claims import ClaimsPass

    def broken(self: ClaimsPass, summaries: Any, ctx: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(ClaimsPass, "combine", broken)
    write_note(tmp_path, "one.md", _answer("Microsoft deployed RWKV to 1.5 billion Windows machines."))
    code, doc, _ = run_json(vk, "run", tmp_path, "--offline", "--only", "claims", "--json", "--check")
    kinds = [f["kind"] for f in by_path(doc)["one.md"]["findings"]]
    assert "pass-error" in kinds and "claim" in kinds
    assert code == 1  # the error fails --check
    assert "Microsoft deployed" in (tmp_path / "one.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_big_run_writes_first_and_redoes_only_the_notes_whose_conflicts_changed(tmp_path: Path, vk: Vk,
                                                                                  jobs: str) -> None:
    """Over COLLECT_FIRST notes the run is one sweep plus a fix-up; the end state is the same."""
    from vaultkit.pipeline import COLLECT_FIRST

    for i in range(COLLECT_FIRST + 6):
        write_note(tmp_path, f"n{i:03}.md", _answer(f"Microsoft deployed RWKV{i} to {i + 1} billion Windows machines."))
    write_note(tmp_path, "one.md", _answer("Groq's LPU architecture delivers 750 tokens/second on Llama models."))
    write_note(tmp_path, "two.md", _answer("Groq's LPU delivers 500 tokens/second on Llama models in benchmarks."))
    _, doc, _ = run_json(vk, "run", tmp_path, "--offline", "--only", "claims", "--json", "--jobs", jobs)
    assert [f["data"]["other"]["path"] for f in _conflicts(doc, "one.md")] == ["two.md"]
    assert "- [ ] conflict: " in (tmp_path / "one.md").read_text(encoding="utf-8")
    before = snapshot(tmp_path)
    _, doc, _ = run_json(vk, "run", tmp_path, "--offline", "--only", "claims", "--json", "--jobs", jobs)
    assert snapshot(tmp_path) == before and not any(n["written"] for n in doc["notes"])
    assert [f["data"]["other"]["path"] for f in _conflicts(doc, "two.md")] == ["one.md"]  # from the cache
    # Without the cache nothing says what one.md's conflict callout held: it must not be taken out and put back.
    before_mtimes = mtimes(tmp_path)
    _, doc, _ = run_json(vk, "run", tmp_path, "--offline", "--only", "claims", "--json", "--jobs", jobs, "--no-cache")
    assert not any(n["written"] for n in doc["notes"]) and mtimes(tmp_path) == before_mtimes
    assert [f["data"]["other"]["path"] for f in _conflicts(doc, "one.md")] == ["two.md"]
    for i in range(COLLECT_FIRST + 1):  # a big edit: every n* note changes, the conflict goes away
        write_note(tmp_path, f"n{i:03}.md", _answer(f"Microsoft deployed RWKV{i} to {i + 2} billion Windows machines."))
    write_note(tmp_path, "two.md", _answer("Groq's LPU delivers 750 tokens/second on Llama models in benchmarks."))
    _, doc, _ = run_json(vk, "run", tmp_path, "--offline", "--only", "claims", "--json", "--jobs", jobs)
    assert "- [ ] conflict: " not in (tmp_path / "one.md").read_text(encoding="utf-8")
    assert _conflicts(doc, "one.md") == []
    clean_before = snapshot(tmp_path)
    _, doc, _ = run_json(vk, "run", tmp_path, "--offline", "--only", "claims", "--json", "--jobs", jobs)
    assert snapshot(tmp_path) == clean_before


def test_a_combine_step_that_raises_in_a_big_run_is_reported_on_every_note(tmp_path: Path, vk: Vk,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """Over COLLECT_FIRST notes the sweep runs before the vault step; its failure still reaches each note."""
    from vaultkit.pipeline import COLLECT_FIRST
    from vaultkit_plugins.claims import ClaimsPass

    def broken(self: ClaimsPass, summaries: Any, ctx: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(ClaimsPass, "combine", broken)
    for i in range(COLLECT_FIRST + 3):
        write_note(tmp_path, f"n{i:03}.md", _answer(f"Microsoft deployed RWKV{i} to {i + 1} billion Windows machines."))
    code, doc, _ = run_json(vk, "run", tmp_path, "--offline", "--only", "claims", "--json", "--check")
    assert code == 1
    for note in doc["notes"]:
        kinds = [f["kind"] for f in note["findings"]]
        assert kinds.count("pass-error") == 1 and "claim" in kinds, note["path"]


def test_an_unchanged_note_without_figures_is_not_analysed_again(tmp_path: Path, vk: Vk,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """A note the vault step has nothing of (no summary) is still current: a no-op run parses no note."""
    from vaultkit.pipeline import runner as pipeline

    write_note(tmp_path, "plain.md", _answer("I think this is a lovely idea for the garden."))
    write_note(tmp_path, "figures.md", _answer("Microsoft deployed RWKV to 1.5 billion Windows machines."))
    run_json(vk, "run", tmp_path, "--offline", "--only", "claims", "--json")
    calls: list[str] = []
    original = pipeline.parse_note
    monkeypatch.setattr(pipeline, "parse_note", lambda raw, path, *a, **k: calls.append(path) or original(raw, path, *a, **k))
    _, doc, _ = run_json(vk, "run", tmp_path, "--offline", "--only", "claims", "--json")
    assert calls == [] and not any(n["written"] for n in doc["notes"])
