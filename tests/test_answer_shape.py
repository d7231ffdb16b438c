"""Issue 17: reading AI answers as they are written — references, editor's notes and URLs as units of
their own, bold labels, list fragments, meta-text, sentence-level citation cover, and summaries that
answer. Each example is shaped like the seed notes' text; none is from a labelled set."""

from __future__ import annotations

from typing import Any

import pytest

from vaultkit.config import VaultConfig
from vaultkit.note import parse_note
from vaultkit.passes import Context
from vaultkit_plugins.claims import ClaimsPass
from vaultkit_plugins.text.worthy import THRESHOLD, score
from vaultkit_plugins.summaries import SummariesPass
from vaultkit_plugins.text.sentences import NOTE, REFERENCE, SENTENCE, URL, sentences, split_label
from vaultkit_plugins.text.shape import is_fragment, is_meta, says_something


def _note(body: str, ai: bool = False) -> Any:
    text = ("---\nai: true\n---\n" + body) if ai else "> [!ai]+ AI\n" + "".join(
        f"> {line}\n" if line else ">\n" for line in body.split("\n"))
    return parse_note(text.encode(), "n.md", VaultConfig())


def _units(body: str) -> list[tuple[str, str]]:
    note = _note(body)
    return [(s.kind, s.text) for s in sentences(note, note.targets[0])]


def _claims(body: str, **options: Any) -> dict[str, Any]:
    note = _note(body)
    result = ClaimsPass().analyze(note, Context(vault=None, options=options))  # type: ignore[arg-type]
    return {str(f.data["text"]): f for f in result.findings if f.kind == "claim"}


REFERENCED = ("For instance, Hoffmann et al. (2022) showed that scaling curves flatten at 70 billion parameters. "
              "[Hoffmann, J., Borgeaud, S., ... & Sifre, L. (2022). Training compute-optimal large language models. "
              "*arXiv preprint arXiv:2203.15556*.] Furthermore, the Chinchilla model used 1.4 trillion tokens.\n"
              "**(Pause to verify facts and citations)**")


def test_an_inline_reference_and_an_editors_note_are_units_of_their_own() -> None:
    units = _units(REFERENCED)
    assert [kind for kind, _ in units] == [SENTENCE, REFERENCE, SENTENCE, NOTE]
    assert units[1][1].startswith("[Hoffmann, J.,") and units[1][1].endswith("2203.15556*.]")
    assert units[2][1] == "Furthermore, the Chinchilla model used 1.4 trillion tokens."
    assert units[3][1] == "**(Pause to verify facts and citations)**"


@pytest.mark.parametrize(("line", "kind"), [
    ("https://arxiv.org/abs/2203.15556", URL),
    ("<https://example.org/report.pdf>", URL),
    ("[The Chinchilla paper](https://arxiv.org/abs/2203.15556)", URL),
    ("(Prices as of March 2024.)", NOTE),
    ("*(Draft — check the figures before sending)*", NOTE),
])
def test_a_line_that_is_only_a_url_or_a_note_is_its_own_unit(line: str, kind: str) -> None:
    units = _units(f"The plant opened in 1998 and employs 400 people.\n{line}\nIt closed in 2021.")
    assert units == [(SENTENCE, "The plant opened in 1998 and employs 400 people."), (kind, line),
                     (SENTENCE, "It closed in 2021.")]


def test_no_claim_quotes_a_reference_or_an_editors_note() -> None:
    found = _claims(REFERENCED)
    assert set(found) == {"For instance, Hoffmann et al. (2022) showed that scaling curves flatten at 70 billion parameters.",
                          "Furthermore, the Chinchilla model used 1.4 trillion tokens."}


def test_a_sentence_is_covered_by_its_own_citation_not_its_neighbours() -> None:
    """The issue's example: only the first sentence has a source."""
    body = "The Danube is about 2,850 km long [2]. It flows through ten countries, more than any other river."
    found = _claims(body)
    danube, flows = found["The Danube is about 2,850 km long [2]."], found[
        "It flows through ten countries, more than any other river."]
    assert (danube.data["cover"], danube.data["cited"], danube.severity) == ("sentence", True, "info")
    assert (flows.data["cover"], flows.data["cited"], flows.severity) == ("paragraph", True, "warning")
    body_text = ClaimsPass().analyze(_note(body), Context(vault=None)).displays[0].body  # type: ignore[arg-type]
    assert "It flows through ten countries" in body_text and "its paragraph cites a source" in body_text
    lenient = _claims(body, cover="paragraph")
    assert lenient["It flows through ten countries, more than any other river."].severity == "info"


def test_a_bracketed_reference_covers_the_sentence_before_it() -> None:
    found = _claims(REFERENCED)
    assert found["For instance, Hoffmann et al. (2022) showed that scaling curves flatten at 70 billion parameters."
                 ].data["cover"] == "sentence"
    assert found["Furthermore, the Chinchilla model used 1.4 trillion tokens."].data["cover"] == "paragraph"


@pytest.mark.parametrize("sentence", [
    "The Danube is 2,850 km long.[^2]",
    "The Danube is 2,850 km long【7†source】.",
    "The Danube is 2,850 km long ([Britannica](https://www.britannica.com/place/Danube-River)).",
])
def test_footnotes_chatgpt_source_marks_and_links_are_a_sentences_own_citation(sentence: str) -> None:
    (found,) = _claims(sentence).values()
    assert found.data["cover"] == "sentence"


def test_no_citation_anywhere_is_cover_none() -> None:
    (found,) = _claims("The Danube is about 2,850 km long.").values()
    assert (found.data["cover"], found.data["cited"]) == ("none", False)


def test_an_unknown_cover_rule_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match=r"\[passes.claims\] cover must be one of 'sentence', 'paragraph'"):
        _claims("The Danube is about 2,850 km long.", cover="note")


def test_a_bold_label_is_kept_as_data_label_and_left_out_of_the_quote() -> None:
    found = _claims("- **Sparse MoE:** Routing each token to 2 of 8 experts cuts its compute by 75%.")
    (claim,) = found.values()
    assert claim.data["text"] == "Routing each token to 2 of 8 experts cuts its compute by 75%."
    assert claim.data["label"] == "Sparse MoE"
    assert split_label("**Sparse MoE**: Routing") == ("Sparse MoE", "Routing")
    assert split_label("**Note** that this is bold") == ("", "**Note** that this is bold")


def test_a_bold_label_line_starts_a_paragraph_of_its_own() -> None:
    """Gemini's answers: one labelled paragraph per line, no blank lines between them."""
    note = _note("**Model Compression:** Pruning removes 90% of weights.\n**Quantization:** int8 halves memory.")
    assert [s.paragraph for s in sentences(note, note.targets[0])] == [0, 1]


@pytest.mark.parametrize("text", [
    "**Distributed Training:** Training across multiple GPUs or TPUs.",
    "**Pruning:** Removing less important connections in the neural network.",
    "**Adaptive Computation:** Dynamically allocating compute resources based on input complexity.",
    "**Specialized AI chips:** Designed for efficient matrix multiplication.",
    "Routing inputs to only a subset of expert sub-networks, reducing computational cost per inference.",
])
def test_a_verbless_list_fragment_is_not_a_claim(text: str) -> None:
    assert is_fragment(text)
    assert score(text)[0] < THRESHOLD


@pytest.mark.parametrize("text", [
    "Training GPT-3 took 3,640 petaflop/s-days of compute.",
    "Using int8 weights reduces the memory footprint by half.",
    "Spiking Neural Networks mimic biological neurons.",
    "**Symbolic AI:** This approach represents knowledge as symbols and rules.",
    "Located on the Seltjarnarnes peninsula, the lighthouse is a popular aurora spot.",
    "Simply adding more parameters doesn’t guarantee factuality.",
])
def test_a_sentence_with_a_verb_or_a_figure_is_no_fragment(text: str) -> None:
    assert not is_fragment(text)


@pytest.mark.parametrize("text", [
    # the examples
    "The draft adheres well to academic standards in terms of structure and language use.",
    "Checking its publication details will ensure it aligns with claims about SNNs' advantages.",
    "Verification against the actual paper will confirm its relevance.",
    # meta-text about the answer or the conversation
    "Let me unpack that.",
    "Here is a revised version:",
    "Let’s review each one for potential errors.",
    "You're absolutely right to call out those inaccuracies.",
    "It's important to verify that this preprint is widely cited.",
])
def test_meta_text_and_reviews_are_not_claims(text: str) -> None:
    assert is_meta(text.replace("’", "'")) or is_meta(text)
    assert score(text)[0] < THRESHOLD


LIST_ANSWER = ("Innovations being explored to make large language models more efficient include:\n\n"
               "1. **Model Compression**: Pruning and quantization shrink a model to a quarter of its size.\n"
               "2. **Sparse Mixture of Experts**: Each token activates only 2 of the 8 experts in a layer.\n"
               "3. **Knowledge Distillation**: A small student model learns to imitate a large teacher model.\n"
               "4. **Efficient Attention**: Linear attention variants replace the quadratic cost of softmax "
               "attention, and FlashAttention reorders the computation to cut memory traffic.\n\n"
               "These techniques are often combined in production systems, and each one trades a little "
               "accuracy for a large saving in compute, memory or energy on the hardware that serves the model. "
               + "Labs report the savings in their model cards and papers, with benchmarks before and after. " * 4)


def _summary(body: str) -> str:
    note = _note(body)
    result = SummariesPass().analyze(note, Context(vault=None))  # type: ignore[arg-type]
    (found,) = [f for f in result.findings if f.kind == "summary" and f.line == note.targets[0].line]
    return str(found.data["text"])


def test_a_list_shaped_answer_is_summed_up_by_its_lead_and_its_labels() -> None:
    summary = _summary(LIST_ANSWER)
    assert summary == ("Innovations being explored to make large language models more efficient include: Model "
                       "Compression, Sparse Mixture of Experts, Knowledge Distillation and Efficient Attention.")
    words = set(LIST_ANSWER.replace("*", " ").replace(":", " ").replace(",", " ").replace(".", " ").split())
    assert set(summary.replace(":", " ").replace(",", " ").replace(".", " ").split()) <= words  # invents nothing


def test_a_summary_starts_with_the_lead_that_answers_and_skips_meta_text() -> None:
    body = ("Great question! Yes, Vesuvius is still an active volcano, and about 700,000 people live in its red zone. "
            "Here's a short overview:\n\n" + "Its last eruption was in March 1944, during the Second World War. "
            "The eruption of AD 79 buried Pompeii and Herculaneum under ash and pyroclastic flows. "
            "The Vesuvius Observatory, founded in 1841, is the oldest volcano observatory in the world. " * 5
            + "\n\nWould you like a one-day itinerary that combines Pompeii and the summit?")
    summary = _summary(body)
    assert summary.startswith("Yes, Vesuvius is still an active volcano")
    assert "Great question" not in summary and "overview:" not in summary and "?" not in summary


@pytest.mark.parametrize("text", ["Here's a breakdown of the options:", "Would you like a comparison?",
                                  "**Key points:**", "**Pruning:** Removing less important connections.",
                                  "Let me unpack that for you step by step."])
def test_what_a_summary_never_picks(text: str) -> None:
    assert not says_something(text)
