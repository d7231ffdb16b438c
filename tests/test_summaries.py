"""The summaries pass end to end: units, callouts and properties, re-runs, languages of the real
corpus, and `mode = "llm"` against a loopback chat-completions server with its faithfulness guards."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from llmserver import LlmServer
from support import CORPUS, by_path, note_findings, note_of, run_json, snapshot, write_note
from vaultkit_plugins.summaries._faithful import new_names, new_numbers, rejection
from vaultkit_plugins.text.sentences import sentences
from vaultkit_plugins.summaries._lexrank import size
from vaultkit_plugins.text.quoting import plain

VK = Callable[..., tuple[int, str, str]]

SCALING = (
    "Scaling laws describe how the loss of a language model falls as compute, data and parameters grow. "
    "Kaplan and colleagues fitted power laws to the loss of models across seven orders of magnitude of compute. "
    "The fitted laws let labs predict the loss of a large model from a series of small training runs. "
    "Because the laws held so well, labs spent ever larger budgets on ever larger training runs. "
    "Chinchilla later showed that many large models had been trained on too little data for their size. "
    "The compute-optimal recipe scales data and parameters together rather than parameters alone. "
    "My neighbour painted his fence green last weekend. "
    "Today the scaling laws still guide how labs split a compute budget between data and parameters. "
)
LIMITS = (
    "The returns on extra compute are shrinking on the benchmarks people care about. "
    "Each doubling of compute now buys a smaller improvement in accuracy than it did five years ago. "
    "High-quality training text is running out, so data no longer grows as fast as compute can. "
    "Energy and memory bandwidth limit a data centre more than arithmetic does. "
    "Labs therefore look for gains in efficiency instead of raw scale. "
    "Sparse mixtures of experts activate only a few experts for each token, which saves compute. "
    "Retrieval keeps knowledge in an index outside the weights, so a smaller model can answer well. "
    "Distillation trains a small model to imitate a large one at a fraction of the serving cost. "
)
SHORT = "Nobody knows how far efficiency can go. It is an open question."


def _answer(scaling: str = SCALING, limits: str = LIMITS) -> str:
    body = "\n".join(f"> {line}" for line in [
        "Scaling in brief.", "", "## What the scaling laws say", scaling * 2, "", "## Where they stop", limits * 2,
        "", "## Outlook", SHORT])
    return f"# Scaling\n\nMy own words stay as they are.\n\n> [!ai]+ Answer\n{body}\n"


def _run(vk: VK, root: Path, *flags: object) -> dict[str, Any]:
    code, doc, err = run_json(vk, "run", root, "--offline", "--only", "summaries", *flags)
    assert code == 0, err
    return doc


def _findings(doc: dict[str, Any], path: str, kind: str = "summary") -> list[dict[str, Any]]:
    note = by_path(doc)[path]
    assert note["status"] == "ok", note
    return [f for f in note["findings"] if f["kind"] == kind]


def _pieces_of(summary: str, candidates: list[str]) -> bool:
    """Is the summary a run of whole sentences from `candidates`, in their order (nothing invented)?"""
    rest, start = summary, 0
    while rest:
        for i in range(start, len(candidates)):
            c = candidates[i]
            if c and rest.startswith(c):
                rest, start = rest[len(c):].lstrip(), i + 1
                break
        else:
            return False
    return True


# --- extractive, through the CLI ------------------------------------------------------------------


@pytest.mark.parametrize("layout", ["answer", "passes"])
def test_each_long_section_and_the_answer_get_a_summary_under_their_heading(vk: VK, tmp_path: Path, layout: str) -> None:
    write_note(tmp_path, "a.md", _answer())
    config = tmp_path.parent / "layout.toml"
    config.write_text(f'[vaultkit]\nlayout = "{layout}"\n', encoding="utf-8")
    doc = _run(vk, tmp_path, "--config", config)
    found = _findings(doc, "a.md")
    lines = (tmp_path / "a.md").read_text(encoding="utf-8").splitlines()
    by_heading = {f["data"]["heading"]: f for f in found}
    assert set(by_heading) == {"Answer", "What the scaling laws say", "Where they stop"}  # "Outlook" is short
    for f in found:
        assert f["data"]["mode"] == "extractive" and f["severity"] == "info"
        assert f["message"] == "summary: " + f["data"]["text"]
        assert 1 <= size(f["data"]["text"]) <= 60
    assert _answer().splitlines()[by_heading["Where they stop"]["line"] - 1] == "> ## Where they stop"  # lines as read
    text = "\n".join(lines)
    answer = by_heading["Answer"]["data"]["text"]
    if layout == "passes":
        # The callout sits directly under the heading, collapsed; the answer's own goes after the answer.
        under = re.escape("> ## Where they stop\n>\n> > [!vaultkit]- Summary ") + r"%%[^\n]*%%\n> > "
        assert re.search(under + re.escape(by_heading["Where they stop"]["data"]["text"]) + "\n", text)
    else:
        # One callout after the answer: its summary first, then an outline linking each long section
        # to its heading, with the section's one sentence.
        assert text.count("[!vaultkit]") == 1 and "> > [!vaultkit]" not in text
        assert f"\n> {answer} %%vaultkit:summaries/summary%%\n" in text
        for heading in ("What the scaling laws say", "Where they stop"):
            assert f"\n> - [[#{heading}]]: {by_heading[heading]['data']['text']}\n" in text + "\n"
            assert len(sentences(note_of(f"> [!ai]\n> {by_heading[heading]['data']['text']}\n"),
                                 note_of(f"> [!ai]\n> {by_heading[heading]['data']['text']}\n").targets[0])) == 1
        assert text.index("%%vaultkit:summaries/summary%%") < text.index("**Outline** %%vaultkit:summaries/outline%%")
    assert "neighbour" not in by_heading["What the scaling laws say"]["data"]["text"]  # the off-topic aside loses
    # the property: the summary's most central sentence, what the Properties panel has room for
    prop = re.search(r'vaultkit_summaries_summary: "(.*)"', text)
    assert prop and prop.group(1) in answer and len(prop.group(1)) <= 201 and prop.group(1).endswith(".")

    assert "My own words stay as they are." in text


def test_a_summary_is_only_sentences_of_its_section_in_their_order(vk: VK, tmp_path: Path) -> None:
    write_note(tmp_path, "a.md", _answer())
    found = _findings(_run(vk, tmp_path), "a.md")
    note = note_of(_answer().encode())
    own = [plain(s.text) for s in sentences(note, note.targets[0])]
    assert found and all(_pieces_of(f["data"]["text"], own) for f in found)


def test_markdown_and_citation_markers_are_stripped_from_the_summary(vk: VK, tmp_path: Path) -> None:
    marked = SCALING.replace("Scaling laws describe", "**Scaling laws** describe").replace(
        "from a series of small training runs.", "from a series of [[Small runs|small training runs]] [3].")
    write_note(tmp_path, "a.md", _answer(scaling=marked))
    texts = [f["data"]["text"] for f in _findings(_run(vk, tmp_path), "a.md")]
    assert not any(re.search(r"\*\*|\[\[|\[\d+\]", t) for t in texts)


def test_placement_target_puts_every_summary_after_the_answer(vk: VK, tmp_path: Path) -> None:
    write_note(tmp_path, "a.md", _answer())
    config = tmp_path.parent / "target.toml"
    config.write_text('[vaultkit]\nlayout = "passes"\n\n[passes.summaries]\nplacement = "target"\n', encoding="utf-8")
    _run(vk, tmp_path, "--config", config)
    text = (tmp_path / "a.md").read_text(encoding="utf-8")
    assert text.count("[!vaultkit]- Summary") == 1  # one callout after the answer holds all three
    assert text.index("[!vaultkit]- Summary") > text.index("It is an open question.")


def test_a_bad_option_value_is_a_clear_pass_error(vk: VK, tmp_path: Path) -> None:
    write_note(tmp_path, "a.md", _answer())
    config = tmp_path.parent / "bad.toml"
    config.write_text('[passes.summaries]\nmode = "abstractive"\n', encoding="utf-8")
    code, doc, _ = run_json(vk, "run", tmp_path, "--offline", "--only", "summaries", "--config", config)
    errors = [f for f in by_path(doc)["a.md"]["findings"] if f["kind"] == "pass-error"]
    assert errors and "mode must be one of 'extractive', 'llm', not 'abstractive'" in errors[0]["message"]


def test_a_short_answer_gets_no_summary(vk: VK, tmp_path: Path) -> None:
    write_note(tmp_path, "a.md", f"> [!ai]+ Answer\n> {SHORT}\n")
    assert _findings(_run(vk, tmp_path), "a.md") == []
    assert "Summary" not in (tmp_path / "a.md").read_text(encoding="utf-8")


def test_reruns_are_byte_stable_and_a_summary_changes_only_with_its_section(vk: VK, tmp_path: Path) -> None:
    write_note(tmp_path, "a.md", _answer())
    _run(vk, tmp_path)
    first = snapshot(tmp_path)
    assert _run(vk, tmp_path)["summary"]["written"] == 0
    assert _run(vk, tmp_path, "--no-cache")["summary"]["written"] == 0
    assert snapshot(tmp_path) == first
    before = {f["data"]["heading"]: f["data"]["text"] for f in _findings(_run(vk, tmp_path, "--no-cache"), "a.md")}
    # A person rewrites the second section; the first section's summary must not move.
    text = (tmp_path / "a.md").read_text(encoding="utf-8")
    changed = LIMITS.replace("The returns on extra compute are shrinking on the benchmarks people care about. ",
                             "Power grids near data centres are now the scarcest resource of all for the labs. ")
    (tmp_path / "a.md").write_text(text.replace(LIMITS, changed), encoding="utf-8")
    after = {f["data"]["heading"]: f["data"]["text"] for f in _findings(_run(vk, tmp_path), "a.md")}
    assert after["What the scaling laws say"] == before["What the scaling laws say"]
    assert after["Where they stop"] != before["Where they stop"]


def test_clean_removes_every_summary(vk: VK, tmp_path: Path) -> None:
    original = _answer().encode()
    write_note(tmp_path, "a.md", original)
    _run(vk, tmp_path)
    assert (tmp_path / "a.md").read_bytes() != original
    code, _, err = vk("clean", tmp_path)
    assert code == 0, err
    assert (tmp_path / "a.md").read_bytes() == original


# --- languages: real notes of the obsidian-help corpus ----------------------------------------------

LANGUAGE_NOTES = [
    "de/Erweiterungen/Canvas.md",
    "ja/ノートとファイルのリンク/内部リンク.md",
    "zh/快速入门/同步笔记.md",
    "ru/Интерфейс пользователя/Вкладки.md",
    "ar/استيراد الملاحظات/استيراد من Notion.md",
    "ko/시작하기/기기 간 노트 동기화.md",
]


@pytest.fixture
def notes_config(tmp_path: Path) -> Path:
    config = tmp_path / "notes.toml"
    config.write_text('[vaultkit]\nscope = "notes"\n', encoding="utf-8")
    return config


@pytest.mark.skipif(not CORPUS.is_dir(), reason="corpus not present")
@pytest.mark.parametrize("rel", LANGUAGE_NOTES)
def test_notes_in_other_languages_get_summaries_of_their_own_sentences(vk: VK, tmp_path: Path, notes_config: Path,
                                                                       rel: str) -> None:
    raw = (CORPUS / rel).read_bytes()
    root = tmp_path / "vault"
    write_note(root, "n.md", raw)
    found = _findings(_run(vk, root, "--config", notes_config), "n.md")
    assert found, f"{rel}: no summary"
    note = note_of(raw, scope="notes")
    own = [plain(s.text) for s in sentences(note, note.targets[0])]
    for f in found:
        assert _pieces_of(f["data"]["text"], own), (rel, f["data"]["text"])
        assert 0 < size(f["data"]["text"]) <= 60
    if rel.startswith(("ja", "zh")):  # sentences end at 。 even without spaces
        assert all(f["data"]["text"].count("。") <= 3 for f in found)


@pytest.mark.skipif(not CORPUS.is_dir(), reason="corpus not present")
def test_thai_which_marks_no_sentence_ends_gets_a_finding_not_a_summary(vk: VK, tmp_path: Path,
                                                                       notes_config: Path) -> None:
    raw = (CORPUS / "th/ไฟล์และโฟลเดอร์/วิธีที่ Obsidian จัดเก็บข้อมูล.md").read_bytes()
    root = tmp_path / "vault"
    write_note(root, "n.md", raw)
    doc = _run(vk, root, "--config", notes_config)
    skipped = _findings(doc, "n.md", "summary-unsegmented")
    assert skipped and _findings(doc, "n.md") == []
    assert skipped[0]["data"]["script"] == "Thai"
    assert "Thai text marks no sentence ends" in skipped[0]["message"]


def test_a_section_with_no_sentence_that_fits_the_budget_says_so(vk: VK, tmp_path: Path) -> None:
    wall = " ".join(["word"] * 200)  # no sentence end at all
    write_note(tmp_path, "a.md", f"> [!ai]+ Answer\n> ## Wall\n> {wall}\n")
    doc = _run(vk, tmp_path)
    skipped = _findings(doc, "a.md", "summary-unsegmented")
    assert _findings(doc, "a.md") == [] and len(skipped) == 2  # the answer and its section
    assert "none of its 1 sentences fits the budget of 60 words (the shortest is 200)" in skipped[0]["message"]
    assert "Summary" not in (tmp_path / "a.md").read_text(encoding="utf-8")


# --- the faithfulness guards ---------------------------------------------------------------------


def test_numbers_are_compared_by_their_digits() -> None:
    assert new_numbers("1,000 users in 2024 and 3.5 %", "We had 1000 users in 2024 and 3,5 % growth.") == []
    assert new_numbers("It grew 40 % in 2031.", "It grew 40 % in 2030.") == ["2031"]
    assert new_numbers("٢٠٢٤", "2024") == []  # Arabic-Indic digits are the same figure


def test_names_must_come_from_the_text_inflected_or_not() -> None:
    source = "Kaplan fitted power laws. The Transformers grew; OpenAI trained GPT-3."
    assert new_names("Transformer models grew, as Kaplan showed for GPT-3 at OpenAI.", source) == []
    assert new_names("Anthropic and Google disagree.", source) == ["Anthropic", "Google"]
    assert new_names("Kaplan says so.", "kaplan (lower case) says so.") == []


@pytest.mark.parametrize("reply, reason", [
    ("", "empty"),
    ("word " * 100, "over the budget of 60"),
    ("Die Skalierungsgesetze beschreiben, wie der Verlust mit mehr Rechenleistung sinkt.", "not in the text's language"),
    ("Scaling laws describe how loss falls as compute grows, measured across 12 orders of magnitude.", "numbers"),
    ("Scaling laws, which DeepMind described, predict how loss falls as compute grows.", "names"),
])
def test_a_reply_that_is_not_a_faithful_summary_is_rejected(reply: str, reason: str) -> None:
    why = rejection(reply, SCALING + LIMITS, 60)
    assert why is not None and reason in why


def test_a_faithful_reply_passes() -> None:
    reply = "Scaling laws predict the loss of a large model from small training runs; Chinchilla showed that data and parameters must grow together."
    assert rejection(reply, SCALING, 60) is None


# --- mode = "llm", against a loopback server -------------------------------------------------------


@pytest.fixture
def llm() -> Iterator[LlmServer]:
    with LlmServer(slow=1.0) as srv:
        yield srv


def _llm_vault(tmp_path: Path, base_url: str) -> tuple[Path, Path]:
    root = tmp_path / "vault"
    write_note(root, "a.md", _answer())
    config = tmp_path / "llm.toml"
    config.write_text(f'[llm]\nbase_url = "{base_url}"\nmodel = "m"\ntimeout = 2.0\n\n'
                      '[passes.summaries]\nmode = "llm"\n', encoding="utf-8")
    return root, config


def _online(vk: VK, root: Path, config: Path, *flags: str) -> list[dict[str, Any]]:
    return note_findings(vk, root, "--only", "summaries", "--config", config, *flags)


def _section(prompt: str) -> str:
    return prompt.split("\n\n", 1)[1]


def _first_sentence(body: dict[str, Any]) -> str:
    """A faithful model: the text's first sentence after the heading, word for word."""
    text = _section(body["messages"][0]["content"]).split("\n\n")[-1]
    return text.split(". ")[0] + "."


def test_llm_mode_keeps_a_faithful_summary_and_records_the_mode(llm: LlmServer, vk: VK, tmp_path: Path) -> None:
    llm.reply = _first_sentence
    root, config = _llm_vault(tmp_path, llm.base_url)
    found = [f for f in _online(vk, root, config) if f["kind"] == "summary"]
    assert len(found) == 3 and {f["data"]["mode"] for f in found} == {"llm"}
    by_heading = {f["data"]["heading"]: f["data"] for f in found}
    assert by_heading["Where they stop"]["text"] == "The returns on extra compute are shrinking on the benchmarks people care about."
    prompts = [r.prompt for r in llm.hits()]
    assert len(prompts) == 3
    assert all("in the language it is written in" in p and "add no facts, numbers or names" in p for p in prompts)
    assert any("Where they stop\n\nThe returns on extra compute" in p for p in prompts)


def test_a_reply_with_a_new_figure_falls_back_to_the_extractive_summary(llm: LlmServer, vk: VK, tmp_path: Path) -> None:
    llm.reply = lambda body: "Scaling laws held across 12 orders of magnitude, said Anthropic."
    root, config = _llm_vault(tmp_path, llm.base_url)
    found = [f for f in _online(vk, root, config) if f["kind"] == "summary"]
    assert found and all(f["data"]["mode"] == "extractive" for f in found)
    assert all("numbers the text does not: 12" in f["data"]["fallback"] for f in found)
    assert "12 orders" not in (root / "a.md").read_text(encoding="utf-8")


def test_the_models_markdown_is_escaped_in_the_note(llm: LlmServer, vk: VK, tmp_path: Path) -> None:
    llm.reply = lambda body: "Scaling laws *predict* the [[loss]] of a model from small training runs <b>."
    root, config = _llm_vault(tmp_path, llm.base_url)
    found = [f for f in _online(vk, root, config) if f["kind"] == "summary"]
    assert found and found[0]["data"]["mode"] == "llm"
    assert found[0]["data"]["text"] == "Scaling laws predict the loss of a model from small training runs."
    text = (root / "a.md").read_text(encoding="utf-8")
    assert "[[loss" not in text and "*predict*" not in text  # no link into the vault, no emphasis

    body = text.split("\n---\n", 1)[1]
    assert "<b>" not in body and "small training runs." in body  # the tag is no text: dropped
    import yaml
    props = yaml.safe_load(text.split("---\n")[1])
    assert props["vaultkit_summaries_summary"] == found[0]["data"]["text"]  # quoted YAML: a string, nothing more


@pytest.mark.parametrize("mode", ["malformed", "refusal", "error"])
def test_a_model_that_gives_no_answer_leaves_extractive_summaries_and_is_asked_again(
        llm: LlmServer, vk: VK, tmp_path: Path, mode: str) -> None:
    llm.mode = mode  # type: ignore[assignment]
    root, config = _llm_vault(tmp_path, llm.base_url)
    findings = _online(vk, root, config)
    fallback = [f for f in findings if f["kind"] == "llm-fallback"]
    assert len(fallback) == 1 and fallback[0]["severity"] == "warning"
    assert {f["data"]["mode"] for f in findings if f["kind"] == "summary"} == {"extractive"}
    asked = len(llm.hits())
    llm.mode = "ok"
    llm.reply = _first_sentence
    again = _online(vk, root, config)
    assert len(llm.hits()) > asked  # not cached: the next run asks again
    assert {f["data"]["mode"] for f in again if f["kind"] == "summary"} == {"llm"}


def test_an_offline_run_asks_no_model_and_says_so(llm: LlmServer, vk: VK, tmp_path: Path) -> None:
    root, config = _llm_vault(tmp_path, llm.base_url)
    findings = _online(vk, root, config, "--offline")
    assert llm.hits() == []
    assert [f["data"]["reason"] for f in findings if f["kind"] == "llm-fallback"] == ["unavailable"]


def test_an_answer_is_asked_once_then_read_from_the_cache(llm: LlmServer, vk: VK, tmp_path: Path) -> None:
    llm.reply = _first_sentence
    root, config = _llm_vault(tmp_path, llm.base_url)
    _online(vk, root, config)
    first = snapshot(root)
    _online(vk, root, config, "--no-cache")  # (asks again: --no-cache skips the lookup store too)
    assert snapshot(root) == first
    asked = len(llm.hits())
    with open(root / "a.md", "a", encoding="utf-8") as f:
        f.write("\nA line of my own.\n")
    _online(vk, root, config)
    assert len(llm.hits()) == asked  # the sections did not change: no new question
