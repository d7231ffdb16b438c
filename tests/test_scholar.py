"""Scholarly metadata checks against a loopback server playing arXiv, Crossref, OpenAlex and Semantic Scholar."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import pytest

from apiserver import ApiServer
from linkserver import loopback_only
from vaultkit.cache import Cache
from vaultkit.config import NetConfig
from vaultkit.net import HttpClient
from vaultkit_plugins.text import scholar as _scholar
from vaultkit_plugins.text.references import _reference
from vaultkit_plugins.text.reference_types import Reference
from vaultkit_plugins.text.scholar import FOUND_TTL, MISSING_TTL, RateLimiter, checkable, verify
from vaultkit_plugins.text.scholar_apis import parse_arxiv, surname

SEEDS = {  # as written in ../shared/seeds
    "hoffmann": "Hoffmann, J., Borgeaud, S., Mensch, A., Buchatskaya, E., Cai, T., Rutherford, E., ... & Sifre, L. (2022). "
    "Training language models to follow instructions with human feedback. *Advances in Neural Information Processing "
    "Systems*, *35*, 27730-27744.",
    "han_pool": "Han, S., Pool, J., Tran, J., & Dally, W. J. (2015). Learning both representations and classifiers for "
    "long-tail visual recognition. *arXiv preprint arXiv:1511.04363*.",
    "garnelo": "Garnelo, M., Arulkumaran, K., & Shanahan, M. (2019). Towards deep symbolic reinforcement learning. "
    "*arXiv preprint arXiv:1909.05518*.",
    "mao": "Mao, J., Gan, C., Kohli, P., Tenenbaum, J. B., & Wu, J. (2019). The neuro-symbolic concept learner: "
    "Interpreting scenes, composing functions, and explaining computations from elementary visual primitives. "
    "*arXiv preprint arXiv:1904.12584*.",
    "maass": "Maass, W., & Bishop, C. M. (Eds.). (2001). _Pulsed neural networks_. MIT press.",
    "kaplan": "Kaplan, J., McCandlish, S., Henighan, T., Brown, T. B., Chess, B., Child, R., ... & Amodei, D. (2020). "
    "Scaling laws for neural language models. *arXiv preprint arXiv:2001.08361*.",
    "shazeer": "Shazeer, N., Mirhoseini, A., Maziarz, K., Davis, A., Le, Q., Hinton, G., & Dean, J. (2017). Outrageously "
    "large neural networks: The sparsely-gated mixture-of-experts layer. *arXiv preprint arXiv:1701.06538*.",
    "deep_compression": "Han, S., Mao, H., & Dally, W. J. (2015). Deep compression: Compressing deep neural networks with "
    "pruning, trained quantization and huffman coding. _arXiv:1510.00149_.",
    "bengio": "Bengio, Y., Louradour, J., Collobert, R., & Weston, J. (2009). Curriculum learning. *Proceedings of the "
    "26th annual international conference on machine learning*, 41-48.",
}
FABRICATED = ("Smith, J., & Doe, A. (2021). Sparse gradient folding for quantum transformer pretraining. "
              "*Journal of Imaginary Results*, 3, 1-9.")


def ref(text: str) -> Reference:
    return _reference("inline", 1, 1, text, None)


class FakeClock:
    """A clock that only moves when something sleeps on it; records every sleep."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class RecordingCache:
    """The Cache's lookup/remember interface over a dict, keeping each TTL."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}
        self.ttls: dict[str, float] = {}

    def lookup(self, key: str) -> Any:
        return self.values.get(key)

    def remember(self, key: str, value: Any, ttl: float) -> None:
        self.values[key], self.ttls[key] = value, ttl


@pytest.fixture(autouse=True)
def clocks(monkeypatch: pytest.MonkeyPatch) -> dict[str, FakeClock]:
    """Each service's rate limiter on its own fake clock: the published intervals, no real waiting."""
    fakes = {name: FakeClock() for name in _scholar.LIMITS}
    limits = {name: RateLimiter(lim.interval, clock=fakes[name].time, sleep=fakes[name].sleep)
              for name, lim in _scholar.LIMITS.items()}
    monkeypatch.setattr(_scholar, "LIMITS", limits)
    monkeypatch.delenv(_scholar.S2_KEY_ENV, raising=False)
    return fakes


@pytest.fixture
def api() -> Iterator[ApiServer]:
    with ApiServer(slow=1.0) as srv:
        yield srv


@pytest.fixture
def client(sleeps: list[float]) -> Iterator[HttpClient]:
    with HttpClient(NetConfig(allow_private=True), sleep=sleeps.append) as c:
        yield c


# --- the seed references --------------------------------------------------------------------------

CASES = [  # key, status, what the message must say, the record's arXiv ID or DOI
    ("hoffmann", "metadata-mismatch", ["Hoffmann et al. (2022)", "other authors", "Ouyang et al. (2022)"], "2203.02155"),
    ("han_pool", "metadata-mismatch", ["arXiv:1511.04363 is a different paper", "no paper titled",
                                       "these authors' 2015 paper", "Learning both Weights and Connections"], "1506.02626"),
    ("garnelo", "metadata-mismatch", ["arXiv:1909.05518 is a different paper", "from 2016, not 2019",
                                      "Garnelo et al. (2016)"], "1609.05518"),
    ("mao", "metadata-mismatch", ["subtitle differs", "Words, and Sentences From Natural Supervision"], "1904.12584"),
    ("maass", "metadata-mismatch", ["Maass et al. (2001)", "from 1999, not 2001", "Pulsed Neural Networks"],
     "10.7551/mitpress/5704.001.0001"),
    ("kaplan", "ok", ["Scaling Laws for Neural Language Models"], "2001.08361"),
    ("shazeer", "ok", ["Sparsely-Gated Mixture-of-Experts"], "1701.06538"),
    ("deep_compression", "ok", ["Deep Compression"], "1510.00149"),
    ("bengio", "ok", ["Curriculum learning"], "10.1145/1553374.1553380"),
]


@pytest.mark.parametrize(("key", "status", "says", "ident"), CASES, ids=[c[0] for c in CASES])
def test_seed_reference(api: ApiServer, client: HttpClient, key: str, status: str, says: list[str], ident: str) -> None:
    r = ref(SEEDS[key])
    assert checkable(r)
    verdict = verify(r, client, api.options(), None)
    assert verdict.status == status, verdict.message
    assert verdict.message.startswith(r.label)  # names the reference: first author, year, title
    for part in says:
        assert part in verdict.message
    assert verdict.record is not None and ident in (verdict.record["arxiv"], verdict.record["doi"])
    assert set(verdict.record) == {"title", "authors", "year", "arxiv", "doi", "url", "source", "abstract"}


def test_correct_references_cost_one_request_each(api: ApiServer, client: HttpClient) -> None:
    for key in ("kaplan", "shazeer", "deep_compression", "bengio"):
        verify(ref(SEEDS[key]), client, api.options(), None)
    assert [h.service for h in api.hits()] == ["arxiv", "arxiv", "arxiv", "crossref"]


def test_mismatch_record_carries_the_link(api: ApiServer, client: HttpClient) -> None:
    verdict = verify(ref(SEEDS["hoffmann"]), client, api.options(), None)
    assert verdict.record is not None
    assert verdict.record["authors"][0] == "Ouyang" and verdict.record["year"] == 2022
    assert "https://arxiv.org/abs/2203.02155" in verdict.message


# --- fabricated and unverified --------------------------------------------------------------------


def test_fabricated_when_two_services_answer_cleanly(api: ApiServer, client: HttpClient) -> None:
    api.fail.update(openalex=503, semantic_scholar=503)
    verdict = verify(ref(FABRICATED), client, api.options(), None)
    assert verdict.status == "likely-fabricated"
    assert "Smith et al. (2021)" in verdict.message and "arXiv, Crossref" in verdict.message
    assert "OpenAlex" not in verdict.message


def test_one_clean_answer_is_not_enough(api: ApiServer, client: HttpClient) -> None:
    api.fail.update(crossref=503, openalex=503, semantic_scholar=503)
    verdict = verify(ref(FABRICATED), client, api.options(), None)
    assert verdict.status == "unverified"
    assert "HTTP 503" in verdict.message


def test_services_down_is_unverified_and_nothing_is_cached(api: ApiServer, client: HttpClient, sleeps: list[float]) -> None:
    api.fail.update(arxiv=503, crossref=503, openalex=503, semantic_scholar=503)
    cache = RecordingCache()
    for text in [FABRICATED, *SEEDS.values()]:
        verdict = verify(ref(text), client, api.options(), cache)
        assert verdict.status == "unverified", verdict.message
        assert verdict.record is None
    assert cache.values == {}
    assert sleeps  # the client retried the 503s (with backoff on its injected sleep)


def test_rate_limited_is_unverified_and_not_cached(api: ApiServer, client: HttpClient, sleeps: list[float]) -> None:
    api.fail.update(arxiv=429, crossref=429, openalex=429, semantic_scholar=429)
    cache = RecordingCache()
    assert verify(ref(SEEDS["kaplan"]), client, api.options(), cache).status == "unverified"
    assert cache.values == {} and 1.0 in sleeps  # Retry-After: 1 honoured


def test_timeouts_are_unverified_and_not_cached(api: ApiServer) -> None:
    api.fail.update(arxiv="timeout", crossref="timeout", openalex="timeout", semantic_scholar="timeout")
    cache = RecordingCache()
    with HttpClient(NetConfig(allow_private=True, timeout=0.2), retries=0, sleep=lambda s: None) as c:
        verdict = verify(ref(FABRICATED), c, api.options(), cache)
    assert verdict.status == "unverified" and "timed out" in verdict.message
    assert cache.values == {}


def test_arxiv_down_falls_back_to_semantic_scholar_for_the_id(api: ApiServer, client: HttpClient) -> None:
    api.fail["arxiv"] = 503
    verdict = verify(ref(SEEDS["kaplan"]), client, api.options(), None)
    assert verdict.status == "ok" and verdict.record is not None
    assert verdict.record["source"] == "semantic_scholar"
    assert [h.path for h in api.hits("semantic_scholar")] == ["/s2/graph/v1/paper/ARXIV:2001.08361"]


def test_crossref_down_title_found_elsewhere(api: ApiServer, client: HttpClient) -> None:
    api.fail["crossref"] = 503
    verdict = verify(ref(SEEDS["bengio"]), client, api.options(), None)
    assert verdict.status == "ok" and verdict.record is not None and verdict.record["source"] == "openalex"


def test_datacite_doi_not_in_crossref_is_found_in_openalex(api: ApiServer, client: HttpClient) -> None:
    r = ref("Ouyang, L., Wu, J., & Lowe, R. (2022). Training language models to follow instructions with human "
            "feedback. https://doi.org/10.48550/arXiv.2203.02155")
    verdict = verify(r, client, api.options(), None)
    assert verdict.status == "ok", verdict.message
    assert [h.service for h in api.hits()] == ["crossref", "openalex"]
    assert verdict.record is not None and verdict.record["arxiv"] == "2203.02155"


def test_unknown_arxiv_id_without_title(api: ApiServer, client: HttpClient) -> None:
    r = Reference("inline", 1, 1, "arXiv:2312.99999", arxiv="2312.99999")
    verdict = verify(r, client, api.options(), None)
    assert verdict.status == "likely-fabricated"  # arXiv and Semantic Scholar both know nothing
    assert "arXiv:2312.99999" in verdict.message


def test_bare_id_resolves(api: ApiServer, client: HttpClient) -> None:
    r = Reference("numbered", 3, 3, "arXiv:2203.02155", number=1, arxiv="2203.02155")
    assert verify(r, client, api.options(), None).status == "ok"


def test_nothing_to_look_up(api: ApiServer, client: HttpClient) -> None:
    r = Reference("source", 1, 1, "based on the original article")
    assert not checkable(r)
    assert verify(r, client, api.options(), None).status == "unverified"
    assert api.hits() == []


# --- cache ----------------------------------------------------------------------------------------


def test_cache_ttls_found_and_not_found(api: ApiServer, client: HttpClient) -> None:
    cache = RecordingCache()
    verify(ref(SEEDS["kaplan"]), client, api.options(), cache)
    assert cache.ttls == {"scholar2:arxiv:id:2001.08361": FOUND_TTL}
    api.fail.update(openalex=503, semantic_scholar=503)
    verify(ref(FABRICATED), client, api.options(), cache)
    missing = {k: t for k, t in cache.ttls.items() if k != "scholar2:arxiv:id:2001.08361"}
    assert missing and set(missing.values()) == {MISSING_TTL}
    assert not any(k.startswith(("scholar2:openalex", "scholar2:semantic_scholar")) for k in cache.ttls)  # 5xx: never
    assert FOUND_TTL == 30 * 86400 and MISSING_TTL == 7 * 86400


def test_rerun_makes_no_requests(api: ApiServer, client: HttpClient, tmp_path: Path) -> None:
    refs = [ref(t) for t in [FABRICATED, *SEEDS.values()]]
    cache = Cache(tmp_path / "lookups.sqlite")
    try:
        first = [verify(r, client, api.options(), cache) for r in refs]
        assert api.hits()
        api.requests.clear()
        second = [verify(r, client, api.options(), cache) for r in refs]
    finally:
        cache.close()
    assert api.hits() == []
    assert second == first


def test_failed_service_is_asked_again_next_run(api: ApiServer, client: HttpClient) -> None:
    cache = RecordingCache()
    api.fail["arxiv"] = 503
    verify(ref(SEEDS["shazeer"]), client, api.options(), cache)
    api.fail.clear()
    api.requests.clear()
    assert verify(ref(SEEDS["shazeer"]), client, api.options(), cache).status == "ok"
    assert [h.service for h in api.hits()] == ["arxiv"]


# --- politeness -----------------------------------------------------------------------------------


def test_arxiv_one_request_per_three_seconds(api: ApiServer, client: HttpClient, clocks: dict[str, FakeClock]) -> None:
    for key in ("kaplan", "shazeer", "deep_compression"):
        verify(ref(SEEDS[key]), client, api.options(), None)
    assert len(api.hits("arxiv")) == 3
    assert clocks["arxiv"].sleeps == [3.0, 3.0]


def test_rate_limiter_counts_time_already_passed() -> None:
    clock = FakeClock()
    limiter = RateLimiter(3.0, clock=clock.time, sleep=clock.sleep)
    limiter.wait()
    clock.now += 2.0
    limiter.wait()
    clock.now += 10.0
    limiter.wait()
    assert clock.sleeps == [1.0]


def test_mailto_and_user_agent(api: ApiServer, client: HttpClient) -> None:
    api.fail["crossref"] = 503  # so OpenAlex is asked too
    verify(ref(SEEDS["bengio"]), client, api.options(mailto="ops@example.org"), None)
    assert {h.service for h in api.hits()} >= {"crossref", "openalex"}
    for hit in api.hits():
        assert hit.headers["user-agent"].startswith("vaultkit") and "mailto:ops@example.org" in hit.headers["user-agent"]
        if hit.service in ("crossref", "openalex"):
            assert hit.params["mailto"] == "ops@example.org"


def test_no_mailto_by_default(api: ApiServer, client: HttpClient) -> None:
    verify(ref(SEEDS["bengio"]), client, api.options(), None)
    hit = api.hits()[0]
    assert "mailto" not in hit.params and "mailto" not in hit.headers["user-agent"]


def test_semantic_scholar_key_only_from_environment(api: ApiServer, client: HttpClient, monkeypatch: pytest.MonkeyPatch) -> None:
    options = api.options(semantic_scholar_api_key="from-the-note")  # options never supply a key
    verify(ref(SEEDS["hoffmann"]), client, options, None)
    assert all("x-api-key" not in h.headers for h in api.hits())
    api.requests.clear()
    monkeypatch.setenv(_scholar.S2_KEY_ENV, "from-env")
    verify(ref(SEEDS["hoffmann"]), client, options, None)
    assert [h.headers.get("x-api-key") for h in api.hits("semantic_scholar")] == ["from-env"]
    assert all("x-api-key" not in h.headers for h in api.hits() if h.service != "semantic_scholar")


def test_request_shapes(api: ApiServer, client: HttpClient) -> None:
    verify(ref(SEEDS["hoffmann"]), client, api.options(), None)
    by = {h.service: h for h in api.hits()}
    assert by["crossref"].params["query.bibliographic"].startswith("training language models")
    assert by["crossref"].params["rows"] == "5"
    assert by["openalex"].params["search"] == "training language models to follow instructions with human feedback"
    assert by["semantic_scholar"].path == "/s2/graph/v1/paper/search/match"
    assert "externalIds" in by["semantic_scholar"].params["fields"]
    assert by["arxiv"].params["search_query"].startswith('ti:"training language models')


# --- parsers --------------------------------------------------------------------------------------


def test_arxiv_error_entry_and_throttle_text_are_failures() -> None:
    error = b"""<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>http://arxiv.org/api/errors#incorrect_id_format_for_1234</id>
<title>Error</title><summary>incorrect id format for 1234</summary></entry></feed>"""
    with pytest.raises(ValueError, match="incorrect id format"):
        parse_arxiv(error)
    with pytest.raises(ValueError):
        parse_arxiv(b"Rate exceeded.")


def test_arxiv_feed_with_dtd_is_refused() -> None:
    bomb = b"""<?xml version="1.0"?><!DOCTYPE feed [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>
<feed xmlns="http://www.w3.org/2005/Atom"><entry><title>&b;</title></entry></feed>"""
    with pytest.raises(ValueError, match="DTD"):
        parse_arxiv(bomb)


def test_arxiv_throttle_is_not_cached(api: ApiServer, client: HttpClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ApiServer, "_arxiv", lambda self, rest, params: (200, "text/plain", b"Rate exceeded."))
    cache = RecordingCache()
    verify(ref(SEEDS["kaplan"]), client, api.options(), cache)
    assert not any(k.startswith("scholar2:arxiv") for k in cache.values)


@pytest.mark.parametrize(("name", "family"), [
    ("William J. Dally", "Dally"), ("Dally, William J.", "Dally"), ("Ludwig van Beethoven", "van Beethoven"),
    ("Martin Luther King Jr.", "King"), ("Jérôme Louradour", "Louradour"), ("Plato", "Plato"),
])
def test_surname(name: str, family: str) -> None:
    assert surname(name) == family


def test_retries_to_arxiv_keep_its_rate(api: ApiServer, client: HttpClient, clocks: dict[str, FakeClock]) -> None:
    """A 503 retried by the HTTP layer still waits arXiv's 3 s between tries."""
    api.fail["arxiv"] = 503
    ref = _scholar_ref_for_retry()
    verify(ref, client, api.options(), None)
    arxiv_hits = [h for h in api.requests if h.service == "arxiv"]
    assert len(arxiv_hits) >= 2
    assert len(clocks["arxiv"].sleeps) >= len(arxiv_hits) - 1
    assert all(s >= 3.0 - 1e-9 for s in clocks["arxiv"].sleeps)


def _scholar_ref_for_retry() -> Reference:
    return Reference("inline", 1, 1, "x", None, "Scaling laws for neural language models", ("Kaplan",), 2020,
                     arxiv="2001.08361")
