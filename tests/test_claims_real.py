"""Issue 17's bars on real AI answers (`tests/claims_real/`, see its SOURCES.md): the claims pass,
end to end on the notes, at least 0.90 precision and 0.85 recall (not met: a strict xfail, and a floor
at today's figures); its sentence-level citation cover agreeing with the labels on at least 95 % of
claims; every summary free of references, editor's notes, list intros, meta-text and questions, and
holding the answer's lead where the lead is a claim.

The set is held out: nothing is trained on it (`test_the_real_set_is_no_training_data`). Its figures,
by group (dev, unseen, seeds), are in BENCHMARKS.md (`python bench/claims_real.py`).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import real_answers as ra
from test_claims_corpus import CORPUS, problems, split

PRECISION, RECALL, COVER = 0.90, 0.85, 0.95


def test_the_real_set_is_big_varied_and_sourced() -> None:
    paths = ra.notes()
    labels = [lab for p in paths for lab in split(p.read_text(encoding="utf-8"))[1]]
    assert len(paths) >= 25 and len(labels) >= 800
    for group in ra.GROUPS:
        assert ra.notes(group), f"no notes in group {group}"
    assert sum(lab.cited for lab in labels) >= 80, "sentences that carry their own citation"
    sources = (ra.REAL / "SOURCES.md").read_text(encoding="utf-8")
    missing = [p.name for p in paths if p.name not in sources]
    assert not missing, f"notes SOURCES.md does not account for: {missing}"
    assert len(re.findall(r"\| (?:MIT|Apache|AGPL|LICENSE)", sources)) + sources.count("Apache-2.0") >= 10


@pytest.mark.parametrize("path", ra.notes(), ids=lambda p: p.stem)
def test_real_note_labels_are_sound(path: Path) -> None:
    errors = problems(path.read_text(encoding="utf-8"))
    assert not errors, f"{path.name}:\n  " + "\n  ".join(errors)


def test_the_real_set_is_no_training_data() -> None:
    """No public note's sentence is in the corpus the model trains on. (The seed excerpts share one:
    the corpus's `04_article_efficient_ai.md` was written around a sentence of seed 003.)"""
    trained = {lab.text for p in CORPUS.glob("*.md") for lab in split(p.read_text(encoding="utf-8"))[1]}

    def shared(group: str) -> list[str]:
        return [lab.text for p in ra.notes(group) for lab in split(p.read_text(encoding="utf-8"))[1]
                if lab.text in trained and len(lab.text) > 30]

    assert not shared("public"), f"held-out sentences in the training corpus: {shared('public')[:5]}"
    assert shared("seeds") == ["The era of pure scaling is ending."]


def _report(tally: ra.Tally) -> str:
    return (f"precision {tally.precision:.3f} recall {tally.recall:.3f} (tp={tally.tp} fp={tally.fp} "
            f"fn={tally.fn}); cover {tally.cover:.3f}\n" + "\n".join(tally.wrong))


# What the offline scorer does on the whole set today (BENCHMARKS.md, 2026-12-07: P 0.741, R 0.629),
# less a little: a change that makes it worse on real answers fails here.
FLOOR_PRECISION, FLOOR_RECALL = 0.72, 0.61


def test_claims_on_real_answers_do_not_get_worse() -> None:
    tally = ra.claims(ra.notes())
    assert tally.precision >= FLOOR_PRECISION and tally.recall >= FLOOR_RECALL, _report(tally)


@pytest.mark.xfail(strict=True, reason="issue 17's bar (P 0.90, R 0.85) is not met by the offline scorer: "
                                       "P 0.74, R 0.63 on this set (BENCHMARKS.md); the issue is blocked on it")
def test_claims_on_real_answers_reach_the_issue_bar() -> None:
    tally = ra.claims(ra.notes())
    assert tally.precision >= PRECISION and tally.recall >= RECALL, _report(tally)


def test_cover_agrees_with_the_sentence_level_labels() -> None:
    tally = ra.claims(ra.notes())
    wrong = [w for w in tally.wrong if w.startswith("cover")]
    assert tally.cover >= COVER, f"cover {tally.cover:.3f} on {tally.cover_total} claims\n" + "\n".join(wrong)


def test_summaries_of_real_answers_are_free_of_the_defects_and_keep_the_lead() -> None:
    report = ra.summaries(ra.notes())
    assert report.answers >= 20
    assert report.clean == report.answers and report.lead_kept == report.leads, "\n".join(report.wrong)
    assert not report.wrong, "\n".join(report.wrong)


@pytest.mark.parametrize(("text", "defects"), [
    ("[Han, S., Pool, J. (2015). Learning both weights. arXiv.] Pruning removes weights.", ["reference or editor's note"]),
    ("The survey covers three areas:", ["ends with a colon"]),
    ("Here's a breakdown of the costs.", ["starts with meta-text"]),
    ("Would you like a comparison?", ["a question"]),
    ("Pruning removes 90% of the weights. **(Pause to verify facts and citations)**", ["reference or editor's note"]),
    ("Vesuvius last erupted in March 1944.", []),
])
def test_the_defect_check_itself_catches_each_defect(text: str, defects: list[str]) -> None:
    assert ra.summary_defects(text) == defects


SAMPLE = Path(__file__).resolve().parent.parent / "sample_vault"


def test_the_seed_notes_quote_no_reference_and_summaries_answer() -> None:
    """Issue 17's "done when" on the seed notes (`sample_vault`): no claim's text and no summary holds
    a bracketed reference, a reference-list entry or an editor's note; no summary ends with a colon
    or starts with meta-text."""
    from vaultkit.config import VaultConfig
    from vaultkit.errors import ParseError
    from vaultkit.note import parse_note
    from vaultkit.passes import Context
    from vaultkit_plugins.claims import ClaimsPass
    from vaultkit_plugins.summaries import SummariesPass

    claims = summaries = 0
    for path in sorted(SAMPLE.rglob("*.md")):
        try:
            note = parse_note(path.read_bytes(), path.name, VaultConfig())
        except ParseError:
            continue  # (the edge cases: bad encoding, broken YAML)
        for f in ClaimsPass().analyze(note, Context(vault=SAMPLE)).findings:
            if f.kind == "claim":
                claims += 1
                assert "reference or editor's note" not in ra.summary_defects(str(f.data["text"])), f.data["text"]
        for f in SummariesPass().analyze(note, Context(vault=SAMPLE)).findings:
            if f.kind == "summary":
                summaries += 1
                assert not ra.summary_defects(str(f.data["text"])), (path.name, f.data["text"])
    assert claims > 300 and summaries > 30
