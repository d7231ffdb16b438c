"""The support pass end to end: real loopback servers serving real page shapes, the cache, offline runs,
the address guard, papers' abstracts, and the model judge (including one that invents its quote)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from apiserver import ApiServer
from llmserver import LlmServer
from sourceserver import SourceServer
from support import by_path, run_json, snapshot, write_note

VK = Callable[..., tuple[int, str, str]]
PAGES = Path(__file__).parent / "fixtures" / "sources" / "pages"
ARTICLE = (PAGES / "mojave-ridge.html").read_bytes()


@pytest.fixture
def srv() -> Iterator[SourceServer]:
    with SourceServer() as s:
        s.page("/news/mojave-ridge", ARTICLE)
        s.page("/de/solarpark", (PAGES / "solarpark.cp1252.html").read_bytes(), "text/html")  # charset: the meta tag
        s.page("/recipes/sourdough", (PAGES / "unrelated.html").read_bytes())
        s.route("/short/mr", 301, {"Location": "/news/mojave-ridge"})
        s.page("/report.pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<</Type/Catalog>>endobj\n", "application/pdf")
        s.page("/slow", ARTICLE, slow=3.0)
        s.route("/busy", 429, {"Retry-After": "0", "Content-Type": "text/html"}, b"<h1>Too Many Requests</h1>")
        s.page("/bomb", b"<html><body><p>" + b"A" * 3_000_000 + b"</p></body></html>", gzip=True)
        yield s


def _vault(tmp: Path, body: str, refs: list[str], config: str = "") -> Path:
    root = tmp / "v"
    lines = "\n".join(f"> [{i}] {u}" for i, u in enumerate(refs, 1))
    write_note(root, "a.md", f"# Question\n\n> [!ai]+ Answer\n> {body}\n>\n> Sources:\n{lines}\n")
    (root / ".vaultkit.toml").write_text(
        f"[net]\nallow_private = true\ntimeout = 1.0\n\n[passes.support]\n{config}", encoding="utf-8")
    return root


def _support(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [f for f in by_path(doc)["a.md"]["findings"] if f["pass"] == "support"]


def _by_claim(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["data"]["claim"]: f for f in _support(doc) if "claim" in f["data"]}


FOUND = "Once built, the Mojave Ridge plant will supply 4.2 GW of generating capacity, enough for about 1.3 million homes [1]."
CHANGED = "The Mojave Ridge project will cost $31 billion and employ 1,800 construction workers at its peak [1]."
SIDEBAR = "Battery prices for the Mojave Ridge plant fell 18% last year, according to the commission [1]."
OTHER = "The European Parliament approved new fishing quotas for the Baltic Sea in a vote in Strasbourg [1]."
PLAIN = ("Two environmental groups, Basin and Range Watch and the Desert Tortoise Council, plan to ask a federal "
         "court to halt the Mojave Ridge project [1].")


def test_a_news_article_supports_mismatches_and_misses(tmp_path: Path, vk: VK, srv: SourceServer) -> None:
    root = _vault(tmp_path, " ".join([FOUND, CHANGED, SIDEBAR, OTHER, PLAIN]), [srv.url("/news/mojave-ridge")])
    code, doc, err = run_json(vk, "run", root, "--only", "claims", "--only", "support")
    assert code == 0, err
    got = _by_claim(doc)
    text = (PAGES / "mojave-ridge.html").read_text()
    assert got[FOUND]["kind"] == "support-found" and got[FOUND]["severity"] == "info"
    assert "4.2 GW" in got[FOUND]["data"]["evidence"]
    mismatch = got[CHANGED]
    assert (mismatch["kind"], mismatch["severity"]) == ("figure-mismatch", "warning")
    assert (mismatch["data"]["said"], mismatch["data"]["claimed"]) == ("$3.1 billion", "$31 billion")
    assert "the source says $3.1 billion; the answer says $31 billion" in mismatch["message"]
    # 18% is only in the "Related stories" sidebar: never evidence
    assert got[SIDEBAR]["kind"] in ("not-in-source", "support-unclear", "figure-mismatch")
    assert "18%" not in got[SIDEBAR]["data"].get("evidence", "")
    assert got[OTHER]["kind"] == "not-in-source"
    assert got[PLAIN]["kind"] == "support-found"
    for f in _support(doc):
        data = f["data"]
        assert {"claim", "source", "marker", "score"} <= set(data)
        assert data["marker"] == "[1]" and data["source"] == srv.url("/news/mojave-ridge")
        if "evidence" in data:  # quoted exactly from the page's main text, never its boilerplate
            assert " ".join(data["evidence"].split()) in " ".join(text.replace("&#x27;", "'").split()) or \
                data["evidence"].split(".")[0] in text
            for boilerplate in ("Related stories", "cookies", "Subscribe", "42 GW", "18,000", "Desert Ledger"):
                assert boilerplate not in data["evidence"]
    note = (root / "a.md").read_text()
    assert "> **Sources**" in note
    assert "- [ ] figure mismatch (line " in note and "the source says $3.1 billion, the answer $31 billion" in note
    assert "- [ ] not in its source (line " in note
    assert "claims supported by their sources" in note
    assert "vaultkit_support_unsupported:" in note


def test_the_cached_source_makes_a_rerun_and_an_edit_request_nothing(tmp_path: Path, vk: VK, srv: SourceServer) -> None:
    root = _vault(tmp_path, f"{FOUND} {CHANGED}", [srv.url("/news/mojave-ridge")])
    code, first, err = run_json(vk, "run", root, "--only", "claims", "--only", "support")
    assert code == 0, err
    assert srv.hits("/news/mojave-ridge") == 1
    run_json(vk, "run", root, "--only", "claims", "--only", "support")
    with (root / "a.md").open("a", encoding="utf-8") as fh:
        fh.write("\nMy own remark on this.\n")
    code, again, _ = run_json(vk, "run", root, "--only", "claims", "--only", "support")
    assert srv.hits("/news/mojave-ridge") == 1
    assert [f["kind"] for f in _support(again)] == [f["kind"] for f in _support(first)]
    code, offline, _ = run_json(vk, "run", root, "--only", "claims", "--only", "support", "--offline")
    assert [f["kind"] for f in _support(offline)] == [f["kind"] for f in _support(first)]
    assert srv.hits("/news/mojave-ridge") == 1


def test_offline_without_a_cached_source_says_so_and_warns_of_nothing(tmp_path: Path, vk: VK, srv: SourceServer) -> None:
    root = _vault(tmp_path, f"{FOUND} {CHANGED}", [srv.url("/news/mojave-ridge")])
    code, doc, err = run_json(vk, "run", root, "--only", "claims", "--only", "support", "--offline")
    assert code == 0, err
    found = _support(doc)
    assert [f["kind"] for f in found] == ["source-uncached"] and found[0]["severity"] == "info"
    assert found[0]["data"]["claims"] == 2
    assert srv.requests == []
    assert "**Sources**" not in (root / "a.md").read_text()  # the note gets no section for what was not checked
    code, doc, _ = run_json(vk, "run", root, "--only", "claims", "--only", "support")  # online next time: checked
    assert {f["kind"] for f in _support(doc)} == {"support-found", "figure-mismatch"}


def test_a_redirect_and_another_charset(tmp_path: Path, vk: VK, srv: SourceServer) -> None:
    body = ("The Mojave Ridge plant will have a capacity of 4.2 gigawatt and supply 1.3 million households [1]. "
            "Die Kosten des Projekts Mojave Ridge werden auf 3,1 Milliarden Dollar geschätzt [2].")
    root = _vault(tmp_path, body, [srv.url("/short/mr"), srv.url("/de/solarpark")])
    code, doc, err = run_json(vk, "run", root, "--only", "claims", "--only", "support")
    assert code == 0, err
    kinds = {f["data"]["marker"]: f for f in _support(doc)}
    assert kinds["[1]"]["kind"] == "support-found"
    assert kinds["[2]"]["kind"] == "support-found"
    assert "3,1 Milliarden Dollar geschätzt" in kinds["[2]"]["data"]["evidence"]  # windows-1252, read as such
    assert srv.hits("/short/mr") == 1 and srv.hits("/news/mojave-ridge") == 1


@pytest.mark.parametrize(("path", "detail", "cached"), [
    ("/report.pdf", "application/pdf", True),
    ("/gone", "HTTP 404", True),
    ("/busy", "HTTP 429", False),
    ("/slow", "timed out", False),
    ("/bomb", "too large", True),
])
def test_an_unreadable_source_is_never_a_warning(tmp_path: Path, vk: VK, srv: SourceServer,
                                                 path: str, detail: str, cached: bool) -> None:
    root = _vault(tmp_path, FOUND, [srv.url(path)], "max_bytes = 1000000\n")
    code, doc, err = run_json(vk, "run", root, "--only", "claims", "--only", "support")
    assert code == 0, err
    found = _support(doc)
    assert [(f["kind"], f["severity"]) for f in found] == [("source-unavailable", "info")]
    assert detail in found[0]["data"]["detail"]
    before = srv.hits(path)
    assert before >= 1
    run_json(vk, "run", root, "--only", "claims", "--only", "support")
    assert (srv.hits(path) == before) is cached  # a transient failure is tried again next run; the rest remembered
    if path == "/report.pdf":
        assert srv.requests.count(("GET", "/report.pdf")) == 1  # (its body was never downloaded either)


def test_the_address_guard_holds_for_sources(tmp_path: Path, vk: VK, srv: SourceServer) -> None:
    root = _vault(tmp_path, FOUND, [srv.url("/news/mojave-ridge")])
    (root / ".vaultkit.toml").write_text("[net]\nallow_private = false\n", encoding="utf-8")
    code, doc, err = run_json(vk, "run", root, "--only", "claims", "--only", "support")
    assert code == 0, err
    found = _support(doc)
    assert [f["kind"] for f in found] == ["source-unavailable"] and "loopback" in found[0]["data"]["detail"]
    assert srv.requests == []


def test_papers_are_read_from_their_abstracts(tmp_path: Path, vk: VK) -> None:
    body = ("In 2020, Kaplan and colleagues at OpenAI published empirical scaling laws for language model performance on "
            "the cross-entropy loss [1]. Outputs from the 1.3B parameter InstructGPT model were preferred to those of the 175B GPT-3 model "
            "in human evaluations [2]. The InstructGPT model has 100x more parameters than GPT-3 [2].")
    with ApiServer() as api:
        root = _vault(tmp_path, body, ["arXiv:2001.08361", "https://doi.org/10.48550/arXiv.2203.02155"])
        config = "".join(f'{k} = "{v}"\n' for k, v in api.options().items())
        with (root / ".vaultkit.toml").open("a", encoding="utf-8") as fh:
            fh.write(f"\n[passes.citations]\n{config}")
        code, doc, err = run_json(vk, "run", root, "--only", "claims", "--only", "support", "--only", "citations")
        assert code == 0, err
        got = {f["data"]["claim"]: f for f in _support(doc)}
        sentences = body.split(" [1]. ")[0] + " [1].", body.split(" [1]. ")[1].split(" [2]. ")[0] + " [2].", \
            body.split(" [2]. ")[1]
        assert got[sentences[0]]["kind"] == "support-found" and got[sentences[0]]["data"]["source"] == "arXiv:2001.08361"
        assert got[sentences[1]]["kind"] == "support-found"
        assert got[sentences[2]]["kind"] == "support-unclear"  # "100x more" against "100x fewer": never "found"
        hits = len(api.hits())
        run_json(vk, "run", root, "--only", "claims", "--only", "support", "--only", "citations")
        assert len(api.hits()) == hits  # the abstracts came from the cache the citations pass fills


def _judge_reply(quote: str, label: str = "supported") -> Callable[[dict[str, Any]], str]:
    return lambda body: json.dumps({"label": label, "quote": quote})


@pytest.mark.parametrize(("quote", "label", "kind", "kept"), [
    ("the plant will provide 4.2 GW of generating capacity, enough to power roughly 1.3 million homes", "supported",
     "support-found", True),
    ("Mojave Ridge will generate 4.2 GW for 1.3 million homes", "supported", None, False),  # invented: not in the page
    ("The project is expected to cost $3.1 billion", "contradicted", "contradicted-by-source", True),
])
def test_the_model_judge_counts_only_with_a_real_quote(tmp_path: Path, vk: VK, srv: SourceServer,
                                                       quote: str, label: str, kind: str | None, kept: bool) -> None:
    with LlmServer(slow=1.0) as llm:
        llm.reply = _judge_reply(quote, label)
        root = _vault(tmp_path, FOUND, [srv.url("/news/mojave-ridge")], "llm = true\n")
        with (root / ".vaultkit.toml").open("a", encoding="utf-8") as fh:
            fh.write(f'\n[llm]\nbase_url = "{llm.base_url}"\nmodel = "fact-checker"\n')
        code, doc, err = run_json(vk, "run", root, "--only", "claims", "--only", "support")
        assert code == 0, err
        [f] = _support(doc)
        assert f["data"]["judge"]["kept"] is kept
        if kept:
            assert f["kind"] == kind and f["data"]["evidence"] == quote
        else:  # the embedded verdict stands, and the finding says why
            assert f["kind"] == "support-found" and f["data"]["judge"]["why"] == "the model's quote is not in the source"
        prompt = llm.requests[0].body["messages"][0]["content"]
        assert FOUND.removesuffix(" [1].") in prompt and "4.2 GW" in prompt


def test_clean_takes_the_sources_section_out_byte_exact(tmp_path: Path, vk: VK, srv: SourceServer) -> None:
    root = _vault(tmp_path, f"{FOUND} {CHANGED}", [srv.url("/news/mojave-ridge")])
    before = snapshot(root)
    run_json(vk, "run", root, "--only", "claims", "--only", "support")
    assert snapshot(root) != before
    code, _, err = vk("clean", root)
    assert code == 0, err
    assert snapshot(root) == before
