"""The support pass's parts: figures and their hedges, passages and BM25, charsets and main text, the verdict."""

from __future__ import annotations

import pytest

from vaultkit_plugins.support._figures import agrees, claimed, figures
from vaultkit_plugins.support._passages import index, passages, terms
from vaultkit_plugins.support._read import charset, extract
from vaultkit_plugins.support._verdict import judge, quote_in


def one(text: str):
    found = claimed(figures(text))
    assert len(found) == 1, found
    return found[0]


@pytest.mark.parametrize(("claim", "source"), [
    ("1,230 homes", "1230 homes"),
    ("1.5 billion", "1.5bn"),
    ("1.5 billion", "1,500 million"),
    ("$1.5bn", "US$1,500 million"),
    ("30%", "30 percent"),
    ("30 per cent", "30%"),
    ("12.5%", "12,5 %"),  # a decimal comma
    ("3.4 billion euros", "3,4 Milliarden Euro"),
    ("3×", "3x"),
    ("three times", "threefold"),
    ("twice", "2x"),
    ("10–15 days", "10 to 15 days"),
    ("between 10 and 15 days", "10-15 days"),
    ("42%", "42.3%"),  # the source's extra precision rounds to the claim's figure
    ("about 30%", "29.6%"),
    ("roughly 1.3 million homes", "1.27 million homes"),
    ("more than 1,000 people", "1,230 people"),
    ("over 50%", "50.4%"),
    ("up to 15 days", "12 days"),
    ("nearly 30%", "28%"),
    ("4.2 GW", "4.2 gigawatts"),
    ("the 1998 report", "the 1998 survey"),
])
def test_figures_that_agree(claim: str, source: str) -> None:
    assert agrees(one(claim), one(source))


@pytest.mark.parametrize(("claim", "source"), [
    ("42 GW", "4.2 GW"),
    ("42%", "41%"),
    ("1.5 billion", "1.5 million"),
    ("18%", "81%"),
    ("more than 50%", "41%"),
    ("up to 15 days", "20 days"),
    ("nearly 30%", "31%"),
    ("about 30%", "36%"),
    ("3×", "4x"),
    ("three times", "twice"),
    ("30%", "30 people"),  # a share is not a count
    ("2019", "2021"),
    ("10–15 days", "10-20 days"),
])
def test_figures_that_do_not(claim: str, source: str) -> None:
    assert not agrees(one(claim), one(source))


def test_a_year_that_dates_a_claim_is_not_its_figure() -> None:
    found = figures("In 2023 the plant produced 4.2 GW [1].")
    assert [f.text for f in claimed(found)] == ["4.2"]
    assert claimed(figures("The plant was approved in March 2024 [1].")) == []
    assert [f.text for f in claimed(figures("The 2019 survey counted 12 plants."))] == ["2019", "12"]


def test_a_claim_dated_by_its_year_alone_is_checked_against_the_same_events_year() -> None:
    text = ("The Sihwa Lake Tidal Power Station in South Korea opened in 2011 and is the largest tidal plant.\n"
            "Regulators began their review in the spring of 2022, and the plant was approved on Tuesday.")
    assert judge("The Sihwa Lake tidal power station in South Korea opened in 2011 [1].", text).kind == "support-found"
    v = judge("The Sihwa Lake tidal power station in South Korea opened in 2001 [1].", text)
    assert (v.kind, v.said, v.claimed) == ("figure-mismatch", "2011", "2001")
    assert judge("The Sihwa Lake tidal station in South Korea was inaugurated in 2001 [1].", text).kind == "support-unclear"
    # the review's year is another event's date: not a mismatch for the approval's
    assert judge("Regulators approved the plant in March 2024 after their review [1].", text).kind != "figure-mismatch"


def test_markers_links_and_footnotes_are_not_figures() -> None:
    text = "It rose 18%[2][^3] (see [the report](https://example.org/2021/42)) 【4†source】."
    assert [f.text for f in figures(text)] == ["18%"]


def test_passages_quote_the_source_exactly() -> None:
    text = "First sentence here. Second one follows! Third? Fourth.\nA new paragraph alone."
    spans = [text[p.start:p.end] for p in passages(text)]
    assert spans == ["First sentence here. Second one follows!", "Second one follows! Third?", "Third? Fourth.",
                     "A new paragraph alone."]


def test_bm25_ranks_the_passage_that_shares_the_rare_words() -> None:
    text = ("The city council met on Tuesday. It discussed the budget.\n"
            "The turbine factory in Toledo will employ 1,800 workers. It opens next year.\n"
            "The council also discussed parking.")
    ix = index(text)
    best = ix.best(terms("The Toledo turbine factory will employ 1,800 people"), 3)
    assert "Toledo" in ix.quote(best[0][0])
    assert terms("1,800 Workers employed") == ["1800", "worker", "employ"]


def test_charset_follows_the_header_then_the_meta_tag() -> None:
    body = '<html><head><meta charset="windows-1252"></head><body>Bäume „so“</body></html>'.encode("cp1252")
    assert charset(body, "text/html") == "cp1252"
    assert charset(body, "text/html; charset=ISO-8859-1") == "cp1252"  # the header wins (Latin-1 read as windows-1252, as browsers do)
    assert charset(body, "text/html; charset=utf-16") == "utf-16"
    assert charset("Grüße".encode(), "text/html") == "utf-8"
    assert charset(b'<meta http-equiv="Content-Type" content="text/html; charset=shift_jis">', "") == "shift_jis"
    assert charset(b"x", "text/html; charset=no-such-codec") == "utf-8"


def test_main_text_leaves_out_navigation_scripts_and_sidebars() -> None:
    body = f"""<!DOCTYPE html><html><head><title>Plant</title><script>var views = 9999999;</script></head>
    <body><nav><a href="/">Home</a> <a href="/news">News</a></nav>
    <div id="cookie-banner">We use 37 cookies. Accept?</div>
    <article><h1>Plant approved</h1>{''.join(f'<p>Paragraph {i} of the story goes on about the review and its many findings in detail.</p>' for i in range(8))}
    <p>The plant will provide 4.2 GW of capacity once complete, officials said on Tuesday.</p></article>
    <aside><h3>Related stories</h3><ul><li><a href="/x">Wind farm to add 42 GW</a></li></ul></aside>
    <footer>Copyright 2024 News Co.</footer></body></html>""".encode()
    text = extract(body, "text/html; charset=utf-8", "https://news.example/plant")
    assert "4.2 GW" in text
    for boilerplate in ("9999999", "37 cookies", "42 GW", "Copyright", "Home"):
        assert boilerplate not in text


def test_verdicts_on_one_text() -> None:
    text = ("Officials met on Tuesday to approve the desert plant after a two-year review.\n"
            "Once complete, the plant will provide 4.2 GW of generating capacity, enough to power 1.3 million homes. "
            "The developer said the project would cost $3.1 billion.\n"
            "Critics say the land should have been protected for desert tortoises.")
    assert judge("The desert plant will supply 4.2 GW of generating capacity [1].", text).kind == "support-found"
    v = judge("The desert plant will supply 42 GW of generating capacity [1].", text)
    assert (v.kind, v.said, v.claimed) == ("figure-mismatch", "4.2", "42")
    assert v.evidence in text
    assert judge("The European Parliament voted on fishing quotas in Brussels [1].", text).kind == "not-in-source"
    assert judge("Critics say the land should have been protected for tortoises [1].", text).kind == "support-found"


def test_a_model_quote_counts_only_when_it_is_in_the_source() -> None:
    text = "The plant will provide 4.2 GW\nof capacity."
    assert quote_in("provide 4.2 GW of   capacity", text)
    assert not quote_in("provide 42 GW of capacity", text)
    assert not quote_in("   ", text)


def test_abstracts_are_read_from_each_services_record() -> None:
    import json as _json

    from vaultkit_plugins.text.scholar_apis import inverted, parse_crossref_work, parse_s2_paper

    assert inverted({"Scaling": [0], "laws": [1, 4], "for": [2], "models.": [5], "neural": [3]}) == \
        "Scaling laws for neural laws models."
    assert inverted(None) == "" and inverted({"x": "not a list"}) == ""
    s2 = {"paperId": "x", "title": "Scaling Laws", "year": 2020, "authors": [{"name": "Jared Kaplan"}],
          "externalIds": {"ArXiv": "2001.08361"}, "abstract": "We study empirical  scaling laws."}
    assert parse_s2_paper(_json.dumps(s2).encode())[0]["abstract"] == "We study empirical scaling laws."
    work = {"message": {"title": ["Curriculum learning"], "DOI": "10.1145/1553374.1553380", "author": [],
                        "abstract": "<jats:title>Abstract</jats:title><jats:p>Humans and animals learn much "
                                    "better when the examples are &amp; organized.</jats:p>"}}
    assert parse_crossref_work(_json.dumps(work).encode())[0]["abstract"] == \
        "Humans and animals learn much better when the examples are & organized."
