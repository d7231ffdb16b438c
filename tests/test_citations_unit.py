"""Unit tests of the citation helpers: identifier syntax, the citation parser, escaping."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vaultkit.config import VaultConfig
from vaultkit.note import parse_note
from vaultkit_plugins.citations._identifiers import arxiv_date, arxiv_problem, doi_problem, url_problem
from vaultkit.markdown import reading_parser
from vaultkit_plugins.text.quoting import CONTEXTS, escape, renders_as
from vaultkit_plugins.text.references import (
    arxiv_ids,
    dois,
    find_urls,
    mask,
    parse,
    scheme_typos,
    source_line,
)
from vaultkit_plugins.text.reference_types import Citations, Reference


def cites(text: str, index: int = 0) -> Citations:
    """Parse a note and return what the citation parser finds in its `index`-th target."""
    note = parse_note(text.encode("utf-8"), "note.md", VaultConfig())
    assert note.targets, "the test note has no AI target"
    return parse(note, note.targets[index])


def callout(*rows: str) -> str:
    return "> [!ai]+ AI\n" + "".join(f"> {r}\n" if r else ">\n" for r in rows)


def numbers(c: Citations) -> list[int]:
    return [m.number for m in c.markers]


def inline_ref(text: str) -> Reference:
    refs = [r for r in cites(callout(text)).references if r.style == "inline"]
    assert len(refs) == 1, refs
    return refs[0]


# --- identifiers ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "ident",
    ["0704.0001", "0712.9999", "1412.6980", "1501.00001", "2001.08361", "2412.19437", "1706.03762",
     "hep-th/9901001", "hep-th/9711200", "math.GT/0309136", "math/0211159", "cs/0112017", "astro-ph/0701001"],
)
def test_arxiv_valid(ident: str) -> None:
    assert arxiv_problem(ident) is None


@pytest.mark.parametrize(
    ("ident", "why"),
    [
        ("2013.01234", "month 13"),  # month 13
        ("2000.01234", "month 00"),
        ("1501.1234", "5 digits"),  # 2015 on: five digits
        ("2001.0836", "5 digits"),
        ("1412.12345", "4 digits"),  # before 2015: four digits
        ("0703.1234", "April 2007"),  # new-style IDs start in 0704
        ("hep-th/9913001", "month 13"),
        ("hep-th/0801001", "1991 to 2007"),  # old style ended in March 2007
        ("2001.08361.pdf", "form"),
        ("scaling-laws", "form"),
        ("", "form"),
    ],
)
def test_arxiv_malformed(ident: str, why: str) -> None:
    problem = arxiv_problem(ident)
    assert problem is not None
    assert why.split()[-1] in problem or why in problem


@pytest.mark.parametrize(
    ("ident", "date"),
    [("2001.08361", (2020, 1)), ("0704.0001", (2007, 4)), ("1412.6980", (2014, 12)),
     ("hep-th/9901001", (1999, 1)), ("math.GT/0309136", (2003, 9)), ("2305.14283", (2023, 5)), ("nonsense", None)],
)
def test_arxiv_date(ident: str, date: tuple[int, int] | None) -> None:
    assert arxiv_date(ident) == date


@pytest.mark.parametrize(
    "doi",
    ["10.1038/nature14539", "10.1145/3290605.3300233", "10.1016/S0140-6736(20)30183-5",
     "10.1109/TPAMI.2010.57", "10.1000.10/abc", "10.1038/s41586-021-03819-2", "10.123456789/x"],
)
def test_doi_valid(doi: str) -> None:
    assert doi_problem(doi) is None


@pytest.mark.parametrize(
    ("doi", "why"),
    [("10.12/abc", "registrant"), ("10.123/repl.2021.7", "registrant"), ("11.1234/abc", "10."),
     ("10.1234", "suffix"), ("10.1234/", "suffix"), ("10.1234567890/x", "registrant")],
)
def test_doi_malformed(doi: str, why: str) -> None:
    problem = doi_problem(doi)
    assert problem is not None and why in problem


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com",
        "https://en.wikipedia.org/wiki/Transformer_(deep_learning_architecture)",
        "https://news.ycombinator.com/item?id=42097774",
        "https://bücher.de/katalog",
        "https://例え.jp/解釈可能性",
        "https://xn--bcher-kva.de/",
        "https://example.рф/",
        "http://localhost:8080/api",
        "https://192.168.1.1/",
        "http://[::1]:8000/",
        "https://sub-domain.example.co.uk/a_b/c",
        "https://example.com.",  # a fully qualified name
    ],
)
def test_url_valid(url: str) -> None:
    assert url_problem(url) is None


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("https://exa_mple..com", "not a valid name"),
        ("https://exa_mple.com", "not a valid name"),
        ("https://example..com", "not a valid name"),
        ("https://-example.com", "not a valid name"),
        ("https://example.c0m", "top-level domain"),
        ("https://example.c", "top-level domain"),
        ("https://intranet/", "no domain"),
        ("https:///path", "no host"),
        ("ftp://example.org/file", "http(s)"),
        ("https://example.org:99999/", "invalid URL"),
        ("https://example.org:0/", "port 0"),
    ],
)
def test_url_malformed(url: str, why: str) -> None:
    problem = url_problem(url)
    assert problem is not None and why in problem


# --- markers -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("Scaling is plateauing[1][3].", [1, 3]),
        ("Costs keep rising [1, 2].", [1, 2]),
        ("Costs keep rising [1,2].", [1, 2]),
        ("Efficiency work [4-6] continues.", [4, 5, 6]),
        ("Efficiency work [4–6] continues.", [4, 5, 6]),
        ("Three claims[2] and[10] and [7].", [2, 10, 7]),
        ("**Model Compression**: pruning[4].", [4]),
        ("After a link [the report](https://openai.com/research/gpt-4)[2].", [2]),
        ("| GPT-4 | 1.8T | [3] |", [3]),
    ],
)
def test_markers(text: str, want: list[int]) -> None:
    assert numbers(cites(callout(text))) == want


def test_marker_lines_are_note_lines() -> None:
    c = cites("# Title\n\n" + callout("First[1].", "", "Second[2][3]."))
    assert [(m.number, m.line) for m in c.markers] == [(1, 4), (2, 6), (3, 6)]


def test_semicolon_separated_markers() -> None:
    """Survey style, from the seed survey: `[71; 91]`, `[26; 27]`."""
    assert numbers(cites(callout("Tools serve as critical resources [71; 91]. Memory helps [29; 30]."))) == [71, 91, 29, 30]


def test_marker_before_a_colon() -> None:
    """`avoids overflow[2]:` is a marker; only a line-start `[2]: url` is a link definition."""
    assert numbers(cites(callout("Subtracting the maximum first avoids overflow[2]:", "", "    z = z - z.max()"))) == [2]


@pytest.mark.parametrize(
    "text",
    [
        "See [[Note]] and [[Papers/RAG survey|the survey]] and ![[diagram.png]].",
        "Read the [docs](https://example.com/docs) and [3](https://docs.llamaindex.ai/en/stable/).",
        "A footnote[^1] and another[^note].",
        "The 2024 release notes [2024] mention it.",
        "Use `arr[2]` or ``x[1]`` in code.",
        "Values lie in $[0, 1]$ for all $i \\in [1, K]$.",
        "Hidden %% see [4] %% comment.",
        "Links by reference: [the announcement][gh] and [GitHub][] and [text](<https://x.org/a b>).",
        "Bracketed words [sic] and [citation needed] and [...] and [x] and [ ].",
    ],
)
def test_not_markers(text: str) -> None:
    assert numbers(cites(callout(text))) == []


def test_task_boxes_are_not_markers() -> None:
    assert numbers(cites(callout("- [ ] todo", "- [x] done", "- [/] half", "* [X] DONE", "1. [ ] numbered"))) == []


def test_code_math_and_comment_blocks_are_not_prose() -> None:
    text = callout(
        "Text[1].",
        "```python",
        "x = a[3]  # [4] htps://bad.example.org",
        "```",
        "$$",
        "\\sigma(z)_i \\quad i \\in [1, 5]",
        "$$",
        "%%",
        "private [6]",
        "%%",
    )
    c = cites(text)
    assert numbers(c) == [1]
    assert c.urls == ()


def test_array_indexing_in_prose() -> None:
    """`a[0]` and `x[4, 5]` index arrays; they are not citation markers (the brief's hard negative)."""
    c = cites(callout("Python lists are zero-indexed, so a[0] is the first element and x[4, 5] a cell."))
    assert numbers(c) == []


# --- reference entries ---------------------------------------------------------------------


def test_entry_wraps_onto_a_second_line() -> None:
    c = cites(callout(
        "Plateauing[1][2].",
        "",
        "Citations:",
        "[1] OpenAI Reportedly Hitting Law of Diminishing Returns as It Pours Computing ",
        "Resources Into AI https://futurism.com/the-byte/openai-diminishing-returns",
        "[2] Is an AI winter coming? https://www.thestack.technology/ai-winter-genai-openai-chatgpt/",
    ))
    first, second = c.references
    assert (first.number, first.line, first.end_line) == (1, 5, 6)
    assert first.urls == ("https://futurism.com/the-byte/openai-diminishing-returns",)
    assert "Computing Resources Into AI" in first.title
    assert "https" not in first.title
    assert (second.number, second.line, second.end_line) == (2, 7, 7)


def test_survey_entries_without_urls_and_blank_lines_between() -> None:
    text = (
        "---\nai: true\n---\nText [1] and [3].\n\n## References\n\n[1] Large Language Models\n\n"
        "[2] Bias and Fairness in Large Language Models  A Survey\n\n[3] Exploring the Limits of Language Modeling\n"
    )
    c = cites(text)
    assert [(r.number, r.line, r.title) for r in c.references] == [
        (1, 8, "Large Language Models"),
        (2, 10, "Bias and Fairness in Large Language Models A Survey"),  # spacing is normalised
        (3, 12, "Exploring the Limits of Language Modeling"),
    ]


def test_list_item_entries() -> None:
    c = cites("---\nai: true\n---\nA [1].\n\n## Sources\n\n- [1] Faiss — https://engineering.fb.com/faiss/\n")
    (ref,) = c.references
    assert ref.number == 1 and ref.line == 8 and ref.urls == ("https://engineering.fb.com/faiss/",)


def test_reference_list_after_the_callout() -> None:
    text = (
        "Question?\n\n"
        + callout("Answer[1][2].", "More[3].")
        + "\nCitations:\n[1] One https://example.com/1\n[2] Two https://example.com/2\n"
        "[3] Three is long and wraps onto\nthe next line https://example.com/3\n\nMy own notes [9] follow.\n"
    )
    c = cites(text)
    assert numbers(c) == [1, 2, 3]  # not [9]: the human text after the list is not part of the target
    assert [(r.number, r.line, r.end_line) for r in c.references] == [(1, 8, 8), (2, 9, 9), (3, 10, 11)]
    assert c.references[2].urls == ("https://example.com/3",)


def test_reference_list_directly_after_the_callout_without_a_blank_line() -> None:
    text = callout("Answer[1].") + "Citations:\n[1] One https://example.com/1\n"
    c = cites(text)
    assert [r.number for r in c.references] == [1]


def test_list_after_callout_stops_at_the_next_callout() -> None:
    text = (
        callout("First[1].")
        + "\nCitations:\n[1] One https://example.com/1\n\n"
        + callout("Second[1].", "", "Citations:", "[1] Uno https://example.es/1")
    )
    first, second = cites(text, 0), cites(text, 1)
    assert [r.urls for r in first.references] == [("https://example.com/1",)]
    assert [r.urls for r in second.references] == [("https://example.es/1",)]


def test_crlf_note() -> None:
    text = callout("Answer[1].", "", "Citations:", "[1] One https://example.com/1").replace("\n", "\r\n")
    c = cites(text)
    assert numbers(c) == [1]
    assert c.references[0].urls == ("https://example.com/1",)


# --- APA-like references and mentions (the seed references) -------------------------------

SEED_REFS = [
    (
        "[Kaplan, J., McCandlish, S., Henighan, T., Brown, T. B., Chess, B., Child, R., ... & Amodei, D. (2020). "
        "Scaling laws for neural language models. *arXiv preprint arXiv:2001.08361*.]",
        ("Kaplan", "McCandlish", "Henighan", "Brown", "Chess", "Child", "Amodei"), 2020,
        "Scaling laws for neural language models", "2001.08361",
    ),
    (
        "[Hoffmann, J., Borgeaud, S., Mensch, A., Buchatskaya, E., Cai, T., Rutherford, E., ... & Sifre, L. (2022). "
        "Training language models to follow instructions with human feedback. *Advances in Neural Information "
        "Processing Systems*, *35*, 27730-27744.]",
        ("Hoffmann", "Borgeaud", "Mensch", "Buchatskaya", "Cai", "Rutherford", "Sifre"), 2022,
        "Training language models to follow instructions with human feedback", None,
    ),
    (
        "[Han, S., Pool, J., Tran, J., & Dally, W. J. (2015). Learning both representations and classifiers for "
        "long-tail visual recognition. *arXiv preprint arXiv:1511.04363*.]",
        ("Han", "Pool", "Tran", "Dally"), 2015,
        "Learning both representations and classifiers for long-tail visual recognition", "1511.04363",
    ),
    (
        "[Han, S., Mao, H., & Dally, W. J. (2015). Deep compression: Compressing deep neural networks with pruning, "
        "trained quantization and huffman coding. *arXiv preprint arXiv:1510.00149*.]",
        ("Han", "Mao", "Dally"), 2015,
        "Deep compression: Compressing deep neural networks with pruning, trained quantization and huffman coding",
        "1510.00149",
    ),
    (
        "[Shazeer, N., Mirhoseini, A., Maziarz, K., Davis, A., Le, Q., Hinton, G., & Dean, J. (2017). Outrageously "
        "large neural networks: The sparsely-gated mixture-of-experts layer. *arXiv preprint arXiv:1701.06538*.]",
        ("Shazeer", "Mirhoseini", "Maziarz", "Davis", "Le", "Hinton", "Dean"), 2017,
        "Outrageously large neural networks: The sparsely-gated mixture-of-experts layer", "1701.06538",
    ),
    (
        "[Bengio, Y., Louradour, J., Collobert, R., & Weston, J. (2009). Curriculum learning. _Proceedings of the "
        "26th annual international conference on machine learning_, 41-48.]",
        ("Bengio", "Louradour", "Collobert", "Weston"), 2009, "Curriculum learning", None,
    ),
    (
        "[Garnelo, M., Arulkumaran, K., & Shanahan, M. (2019). Towards deep symbolic reinforcement learning. "
        "_arXiv:1909.05518_.]",
        ("Garnelo", "Arulkumaran", "Shanahan"), 2019, "Towards deep symbolic reinforcement learning", "1909.05518",
    ),
    (
        "[Mao, J., Gan, C., Kohli, P., Tenenbaum, J. B., & Wu, J. (2019). The neuro-symbolic concept learner: "
        "Interpreting scenes, composing functions, and explaining computations from elementary visual primitives. "
        "*arXiv preprint arXiv:1904.12584*.]",
        ("Mao", "Gan", "Kohli", "Tenenbaum", "Wu"), 2019,
        "The neuro-symbolic concept learner: Interpreting scenes, composing functions, and explaining computations "
        "from elementary visual primitives",
        "1904.12584",
    ),
    (
        "[Maass, W., & Bishop, C. M. (Eds.). (2001). *Pulsed neural networks*. MIT press.]",
        ("Maass", "Bishop"), 2001, "Pulsed neural networks", None,
    ),
    (
        "[Maass, W., & Bishop, C. M. (Eds.). (2002). _Pulsed neural networks_. MIT press.]",
        ("Maass", "Bishop"), 2002, "Pulsed neural networks", None,
    ),
]


@pytest.mark.parametrize(("text", "authors", "year", "title", "arxiv"), SEED_REFS, ids=lambda v: str(v)[:24])
def test_seed_references(text: str, authors: tuple[str, ...], year: int, title: str, arxiv: str | None) -> None:
    ref = inline_ref(f"Some claim by someone. {text} More text.")
    assert ref.authors == authors
    assert ref.year == year
    assert ref.title == title
    assert ref.arxiv == arxiv
    assert ref.number is None and ref.line == 2


def test_inline_reference_keeps_its_doi_and_url() -> None:
    """A DOI link inside an inline reference belongs to it (needed for malformed-identifier and lookups)."""
    ref = inline_ref(
        "LeCun et al. (2015). [LeCun, Y., Bengio, Y., & Hinton, G. (2015). Deep learning. *Nature*, 521(7553), "
        "436–444. https://doi.org/10.1038/nature14539]"
    )
    assert ref.doi == "10.1038/nature14539"
    assert ref.urls == ("https://doi.org/10.1038/nature14539",)


def test_numbered_apa_entry() -> None:
    c = cites(callout(
        "As shown [1].", "", "References:",
        "[1] Brown, T. B., Mann, B., Ryder, N., et al. (2019). Language models are few-shot learners. arXiv:2005.14165",
    ))
    (ref,) = c.references
    assert (ref.number, ref.authors[:2], ref.year, ref.title, ref.arxiv) == (
        1, ("Brown", "Mann"), 2019, "Language models are few-shot learners", "2005.14165")


@pytest.mark.parametrize(
    ("text", "surname", "year"),
    [
        ("Kaplan et al. (2020) fit power laws.", "Kaplan", 2020),
        ("Kaplan et al (2020) fit power laws.", "Kaplan", 2020),
        ("the volume by Maass & Bishop (2002) collects work.", "Maass", 2002),
        ("Ouyang and Wu (2022) trained with feedback.", "Ouyang", 2022),
        ("as shown before (Kaplan et al., 2020).", "Kaplan", 2020),
        ("LeCun et al. (2015) reviewed the field.", "LeCun", 2015),
        ("García et al. (2018) aplicaron la idea.", "García", 2018),
        ("Maldacena (1999) is a classic.", "Maldacena", 1999),
        ("Kaplan et al. (2020a) is the first.", "Kaplan", 2020),
    ],
)
def test_mentions(text: str, surname: str, year: int) -> None:
    c = cites(callout(text))
    assert [(m.surname, m.year, m.line) for m in c.mentions] == [(surname, year, 2)]


def test_mention_text_and_reference_in_one_line() -> None:
    c = cites(callout(
        "Maass et al. (2002) provided an overview. "
        "[Maass, W., & Bishop, C. M. (Eds.). (2001). *Pulsed neural networks*. MIT press.]"
    ))
    assert [(m.surname, m.year, m.text) for m in c.mentions] == [("Maass", 2002, "Maass et al. (2002)")]
    assert [(r.authors[0], r.year) for r in c.references] == [("Maass", 2001)]


@pytest.mark.parametrize("text", ["In (2020) things changed.", "The (2019) report.", "Released in 2020, GPT-3 grew."])
def test_not_mentions(text: str) -> None:
    assert cites(callout(text)).mentions == ()


# --- identifiers and URLs in text ----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("arXiv:2001.08361", ["2001.08361"]),
        ("*arXiv preprint arXiv:1412.6980*.", ["1412.6980"]),
        ("https://arxiv.org/abs/1706.03762v5", ["1706.03762"]),
        ("https://arxiv.org/pdf/1706.03762.pdf", ["1706.03762"]),
        ("https://arxiv.org/pdf/1412.6980v9", ["1412.6980"]),
        ("arXiv:hep-th/9901001", ["hep-th/9901001"]),
        ("https://arxiv.org/abs/hep-th/9901001v2", ["hep-th/9901001"]),
        ("arXiv: 0704.0001.", ["0704.0001"]),
        ("Python 3.11 and 1412.6980 alone", []),
    ],
)
def test_arxiv_ids(text: str, want: list[str]) -> None:
    assert arxiv_ids(text) == want


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("doi:10.1145/3290605.3300233", "10.1145/3290605.3300233"),
        ("https://doi.org/10.1038/nature14539.", "10.1038/nature14539"),
        ("https://dx.doi.org/10.1109/TPAMI.2010.57", "10.1109/TPAMI.2010.57"),
        ("DOI: 10.12/abc", "10.12/abc"),
        ("see 10.1038/s41586-021-03819-2, which", "10.1038/s41586-021-03819-2"),
    ],
)
def test_dois(text: str, want: str) -> None:
    assert dois(text)[0] == want


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("see https://en.wikipedia.org/wiki/Transformer_(deep_learning_architecture).",
         ["https://en.wikipedia.org/wiki/Transformer_(deep_learning_architecture)"]),
        ("(see https://example.com/a).", ["https://example.com/a"]),
        ("at https://example.com/page, and https://example.org/x?y=1&z=2;", ["https://example.com/page",
                                                                          "https://example.org/x?y=1&z=2"]),
        ("<https://distill.pub/2020/circuits/zoom-in/>", ["https://distill.pub/2020/circuits/zoom-in/"]),
        ("**https://example.com/bold**", ["https://example.com/bold"]),
        ("https://例え.jp/解釈可能性。", ["https://例え.jp/解釈可能性。"]),
        ("https://bücher.de/katalog.", ["https://bücher.de/katalog"]),
    ],
)
def test_find_urls(text: str, want: list[str]) -> None:
    assert find_urls(text) == want


def test_markdown_link_url_is_kept_and_its_text_masked() -> None:
    line = "See [docs 1](https://example.com/a_(b)) and [3](https://x.org/) now[2]."
    masked = mask(line)
    assert "docs" not in masked and "[3]" not in masked and "[2]" in masked
    assert find_urls(masked) == ["https://example.com/a_(b)", "https://x.org/"]
    assert len(masked) == len(line)


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("[2] What is a vector database? https//www.pinecone.io/learn/vector-database/",
         ["https//www.pinecone.io/learn/vector-database/"]),
        ("Hybrid search http:/weaviate.io/blog/hybrid-search", ["http:/weaviate.io/blog/hybrid-search"]),
        ("Vector search htps://github.com/pgvector/pgvector", ["htps://github.com/pgvector/pgvector"]),
        ("see htp://example.org/a", ["htp://example.org/a"]),
        ("see https:///example.org/a", ["https:///example.org/a"]),
    ],
)
def test_scheme_typos(text: str, want: list[str]) -> None:
    assert scheme_typos(text) == want


@pytest.mark.parametrize(
    "text",
    ["https://example.org/a and http://example.org/b", "use https:// rather than http://", "sftp://host.example.org",
     "the https-only setting", "ftp://files.example.org/x"],
)
def test_no_scheme_typos(text: str) -> None:
    assert scheme_typos(text) == []


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("This post is based on the original article at https://www.therobotreport.com/u-k-based-startup/.",
         "https://www.therobotreport.com/u-k-based-startup/"),
        ("This summary is based on the original article at <https://example.com/a-b-c>",
         "https://example.com/a-b-c"),
        ("Adapted from the original post at https://example.com/x-y-z", "https://example.com/x-y-z"),
        ("It is based on facts. See https://example.com/a.", None),
    ],
)
def test_source_line(text: str, want: str | None) -> None:
    assert source_line(text) == want


# --- escaping ------------------------------------------------------------------------------
# (what escaping must achieve is tested through the reading parser in test_quoting.py)

LIVE = {"link_open", "image", "embed", "wikilink", "html_inline", "html_block", "comment", "math_inline",
        "math_block", "math_inline_double", "highlight", "blockquote_open", "heading_open", "code_inline",
        "strong_open", "em_open", "s_open", "tag", "footnote_ref", "bullet_list_open"}


def live(line: str) -> set[str]:
    """What Obsidian would show as more than text, in each context a quoted line is written in."""
    md = reading_parser()
    return {t.type for ctx in CONTEXTS for tok in md.parse(ctx.format(line)) for t in [tok, *(tok.children or [])]
            if not (ctx.startswith("- ") and t.type == "bullet_list_open")} & LIVE


@pytest.mark.parametrize(
    "text",
    [
        "[[Secret note]]",
        "![[embed.png]]",
        "<script>alert(1)</script>",
        "&lt;script&gt;alert(1)&lt;/script&gt;",
        "&#91;&#91;Note&#93;&#93;",
        "%% hidden %%",
        "#tag and # heading",
        "[text](https://evil.example/x)",
        "$$x$$ and `code` and **bold** and ~~strike~~ and ==mark==",
        "> [!danger] quote",
        "a | b | c",
        "back\\slash [[x]]",
    ],
)
def test_escape_is_inert(text: str) -> None:
    out = escape(text)
    assert live(out) == set()
    assert renders_as(out, text)
    assert "\n" not in out and "\r" not in out


@pytest.mark.parametrize("sep", ["\n", "\r\n", "\r", "\u2028", "\u2029", "\x85", "\x0b", "\x0c", "\t"])
def test_escape_joins_lines(sep: str) -> None:
    assert escape(f"first{sep}> [!ai] second{sep}{sep}third") == "first > [!ai] second third"
    assert escape(f"> [!ai] second{sep}third") == "\\> [!ai] second third"


def test_escape_keeps_plain_text() -> None:
    assert escape("Scaling laws for neural language models, Kaplan 2020") == (
        "Scaling laws for neural language models, Kaplan 2020"
    )


@settings(deadline=None)
@given(st.text())
def test_escape_property(text: str) -> None:
    out = escape(text)
    assert "\n" not in out and "\r" not in out
    # (NUL and vaultkit's own line-reference marks U+E000-U+E003 are never let through: they show as U+FFFD)
    shown = re.sub("[\x00\ue000-\ue003]", "\ufffd", " ".join(text.split()))
    assert renders_as(out, shown) or not text.split()


def test_a_target_is_parsed_once_per_note_and_never_answers_for_another_note() -> None:
    """Claims and citations share the parse of a target; a note with other text at the same lines
    (an edit: a new note object) must get its own."""
    first = parse_note(("# Q\n\n" + callout("Scaling works [1].", "", "[1] Kaplan 2020")).encode(), "n.md", VaultConfig())
    edited = parse_note(("# Q\n\n" + callout("Scaling works [2].", "", "[2] Hoffmann 2022")).encode(), "n.md", VaultConfig())
    assert first.targets[0].line == edited.targets[0].line
    assert parse(first, first.targets[0]) is parse(first, first.targets[0])
    assert numbers(parse(first, first.targets[0])) == [1] and numbers(parse(edited, edited.targets[0])) == [2]


_CUE_TEXT = st.lists(st.sampled_from(list("[]()`$%:/.^! -tTpPhHsSdDoOiI10xXrRvVaA2023,&e")
                                     + ["https://", "doi:", "arXiv:", "10.1", "et al. (2020)"]),
                     max_size=40).map("".join)


@settings(max_examples=500)
@given(_CUE_TEXT)
def test_the_cheap_checks_before_each_pattern_never_skip_a_match(text: str) -> None:
    """The reference parser skips a pattern when a line lacks what every match of it contains (most
    lines of prose lack all of it): the skip must never hide a match."""
    from vaultkit_plugins.text import references as r

    lower = text.lower()
    if "://" not in text:
        assert r._URL.search(text) is None and r._SOURCE_LINE.search(text.strip()) is None
    if "tp" not in lower:
        assert r._SCHEME_TYPO.search(text) is None
    if "rxiv" not in lower:
        assert r._ARXIV.search(text) is None
    if "10." not in text and "doi" not in lower:
        assert r._DOI.search(text) is None and r._DOI_CUE.search(text) is None
    if not any(c in text for c in "[`%$"):
        for pattern in (r._INLINE_CODE, r._INLINE_COMMENT, r._INLINE_MATH, r._WIKILINK, r._FOOTNOTE, r._TASK,
                        r._LINK_DEF, r._MD_LINK_TEXT):
            assert pattern.search(text) is None
    if "[" not in text:
        assert r._INLINE_REF.search(text) is None and r._MARKER.search(text) is None
    if ")" not in text:
        assert r._MENTION.search(text) is None
