"""Extractive summaries (groundwork for issue 6): LexRank picks central sentences, in order, never new text."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vaultkit_plugins.summaries._lexrank import centrality, pick, size

SECTION = [
    "Scaling laws predict that loss falls as a power law in compute, data and parameters.",
    "My cat likes to sleep on the keyboard in the afternoon.",
    "Because of these laws, labs trained ever larger models on ever more data and compute.",
    "The returns on extra compute are now shrinking, so scaling laws no longer promise cheap gains.",
    "Lunch was a sandwich.",
    "Labs therefore look beyond scaling laws: better data, retrieval and sparse models use compute better.",
]


def test_the_central_sentences_win_and_the_off_topic_ones_lose() -> None:
    scores = centrality(SECTION)
    assert abs(sum(scores) - 1) < 1e-9
    on_topic = [scores[i] for i in (0, 2, 3, 5)]
    assert min(on_topic) > max(scores[1], scores[4])


def test_a_summary_is_sentences_of_the_section_in_their_order_within_the_budget() -> None:
    chosen = pick(SECTION, budget=40, most=3)
    assert chosen == sorted(chosen) and 1 <= len(chosen) <= 3
    assert not {1, 4} & set(chosen)
    assert sum(len(SECTION[i].split()) for i in chosen) <= 40


def test_short_and_unlinked_inputs() -> None:
    assert pick([]) == []
    assert pick(["Only one sentence here."]) == [0]
    assert centrality(["a b", "c d", "e f"]) == pytest.approx([1 / 3] * 3)  # nothing shared: all alike
    assert pick(["word " * 100], budget=10) == []  # no sentence fits: no summary
    assert pick(["word " * 100, "a short word here"], budget=10) == [1]


def test_size_counts_words_alike_in_every_script() -> None:
    assert size("Scaling laws, in 2024!") == 4
    assert size("这是第一句。") == 3  # five characters without spaces: two make a word
    assert size("see https://example.org/a-b-c now") == 2  # a URL is no words
    assert size("") == 0


def test_text_without_spaces_is_ranked_too() -> None:
    zh = ["大型语言模型的规模定律预测损失随计算量下降。", "我的猫喜欢睡觉。", "规模定律的收益正在减少，所以模型的计算量需要更好地利用。"]
    scores = centrality(zh)
    assert scores[1] < min(scores[0], scores[2])


@given(st.lists(st.text(min_size=1, max_size=80), min_size=0, max_size=12), st.integers(1, 80), st.integers(1, 4))
def test_pick_only_ever_returns_indices_of_the_input_in_order(sentences: list[str], budget: int, most: int) -> None:
    chosen = pick(sentences, budget, most)
    assert chosen == sorted(set(chosen)) and all(0 <= i < len(sentences) for i in chosen)
    assert len(chosen) <= most
    assert bool(chosen) == any(size(s) <= budget for s in sentences)


def test_the_unregistered_pass_summarises_an_answer_and_its_long_section_under_the_heading() -> None:
    """Through the renderer: a callout after the answer and one under its long section's heading."""
    from support import render
    from vaultkit.passes import Registered
    from vaultkit_plugins.summaries import SummariesPass
    from vaultkit_plugins.text.quoting import plain

    body = " ".join(SECTION * 4)  # a long section (over 150 words)
    raw = f"# Notes\n\n> [!ai]+ Answer\n> Intro line about scaling laws and compute.\n>\n> ## Where scaling stands\n> {body}\n".encode()
    from vaultkit.config import VaultConfig

    out, note, _ = render(raw, [Registered("summaries", SummariesPass(), "tests")], VaultConfig(layout="passes"))
    text = out.decode()
    assert "> ## Where scaling stands\n>\n> > [!vaultkit]- Summary" in text
    assert text.count("[!vaultkit]- Summary") == 2
    assert 'vaultkit_summaries_summary: "' in text
    out, note, _ = render(raw, [Registered("summaries", SummariesPass(), "tests")])  # layout "answer": one callout
    text = out.decode()
    assert text.count("[!vaultkit]") == 1 and "\n> - [[#Where scaling stands]]: " in text

    assert plain("**Bold** claim[1] with [[Note|a link]] and `code`.") == "Bold claim with a link and code."
    assert plain("as described in [12].") == "as described in."


_PIECES = list("ab Zé.\x00:/[]1İß_") + ["https://x.y/z", "中文字", "ÉCOLE", " ", "ไทย", "𝔘𝔫𝔦", "😀"]


def _reference_words(text: str) -> list[tuple[str, str]]:
    """What `encode` must find, the slow way: lower-cased runs of letters and digits (URLs left
    out), and overlapping pairs of characters of the scripts written without spaces."""
    import re

    from vaultkit_plugins.summaries._lexrank import _DENSE_RANGES

    dense = "[" + "".join(f"{chr(lo)}-{chr(hi)}" for lo, hi in _DENSE_RANGES) + "]"
    text = re.sub(r"https?://[^\s\x00]+", " ", text)
    lower = "".join(c.lower() if len(c.lower()) == 1 else c for c in text)
    out = [(m.start(), "w:" + m.group()) for m in re.finditer(r"[^\W_]+", re.sub(dense, " ", lower))]
    out += [(i, "p:" + lower[i:i + 2]) for i in range(len(lower) - 1)
            if re.match(dense, lower[i]) and re.match(dense, lower[i + 1]) and lower[i].isalnum() and lower[i + 1].isalnum()]
    return [w for _, w in sorted(out)]


@given(st.lists(st.lists(st.sampled_from(_PIECES), max_size=12).map("".join), max_size=8))
def test_encoding_all_sentences_at_once_gives_each_sentence_its_own_words(sentences: list[str]) -> None:
    """`encode` hashes and counts every word of every sentence at once, in one sort; each word must
    be counted in its own sentence, one id per word, and `size` must count what it finds."""
    from collections import Counter

    from vaultkit_plugins.summaries._lexrank import encode

    encoded = encode(sentences)
    assert len(encoded.sizes) == len(sentences)
    pairs = list(zip(encoded.word.tolist(), encoded.sentence.tolist()))
    assert pairs == sorted(set(pairs))  # each (word, sentence) once, ordered by word then sentence
    assert set(encoded.word.tolist()) == set(range(encoded.vocabulary))
    # One id per word and one word per id: each id occurs in the same sentences, as often, as a word.
    found: dict[int, list[tuple[int, int]]] = {}
    for (w, k), c in zip(pairs, encoded.count.tolist()):
        found.setdefault(w, []).append((k, c))
    expected: dict[str, Counter[int]] = {}
    for i, s in enumerate(sentences):
        for word in _reference_words(s.replace("\x00", " ")):
            expected.setdefault(word, Counter())[i] += 1
        assert encoded.sizes[i] == size(s.replace("\x00", " "))
    assert sorted(found.values()) == sorted(sorted(c.items()) for c in expected.values())


def test_character_tables_built_from_whole_strings_match_each_characters_own_answer() -> None:
    """The tables are built with a regex and block-wise `lower()` (fast enough for an editor hook);
    every BMP character must get what `str.isalnum()` and its own `lower()` say."""
    from vaultkit_plugins.summaries._lexrank import _DENSE_RANGES, _LETTER, _OTHER, _PACKED, _STOP, _character_tables

    kind, lower, _ = _character_tables()
    for code in range(0x10000):
        c = chr(code)
        dense = any(lo <= code <= hi for lo, hi in _DENSE_RANGES)
        expected = _STOP if code == 0 else (_PACKED if dense else _LETTER) if c.isalnum() else _OTHER
        assert kind[code] == expected, hex(code)
        assert lower[code] == (ord(c.lower()) if len(c.lower()) == 1 else code), hex(code)
