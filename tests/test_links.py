"""check_links against a real loopback link server: every answer a link can give, limits and "no network"."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any, Callable, Iterator

import pytest

from linkserver import LinkServer, closed_port, loopback_only
from vaultkit.config import NetConfig
from vaultkit.net import HttpClient, host_allowed
from vaultkit_plugins.citations._links import LinkResult, cacheable, check_links


def check_one(url: str, client: HttpClient) -> LinkResult:
    results, down = check_links([url], client)
    assert not down
    return results[url]


@pytest.mark.parametrize(
    "path, status, code, detail",
    [
        ("/ok", "ok", 200, "200 OK"),
        ("/missing", "dead", 404, "404 Not Found"),
        ("/gone", "dead", 410, "410 Gone"),
        ("/error", "unreachable", 500, "500 Internal Server Error after 3 tries"),
        ("/flaky", "ok", 200, "200 OK"),
        ("/ratelimited", "ok", 200, "200 OK"),
        ("/auth", "unreachable", 401, "401 Unauthorized"),
        ("/forbidden", "unreachable", 403, "403 Forbidden"),
        ("/linkedin", "unreachable", 999, "999"),
        ("/head-refused", "ok", 200, "200 OK"),
    ],
)
def test_answers_are_classified(path: str, status: str, code: int, detail: str, server: LinkServer, make_client: Callable[..., HttpClient]) -> None:
    url = server.url(path)
    result = check_one(url, make_client())
    assert (result.url, result.status, result.code, result.final_url, result.detail) == (url, status, code, url, detail)


def test_head_first_then_get_when_head_is_refused(server: LinkServer, make_client: Callable[..., HttpClient]) -> None:
    check_one(server.url("/head-refused"), make_client())
    check_one(server.url("/ok"), make_client())
    assert server.requests == [("HEAD", "/head-refused"), ("GET", "/head-refused"), ("HEAD", "/ok")]


def test_403_on_head_is_tried_with_get_too(server: LinkServer, make_client: Callable[..., HttpClient]) -> None:
    check_one(server.url("/forbidden"), make_client())
    assert server.requests == [("HEAD", "/forbidden"), ("GET", "/forbidden")]


def test_a_redirect_chain_ends_ok_at_its_final_url(server: LinkServer, make_client: Callable[..., HttpClient]) -> None:
    result = check_one(server.url("/redirect/3"), make_client())
    assert (result.status, result.code, result.final_url) == ("ok", 200, server.url("/ok"))
    assert server.count("/ok") == 1 and len(server.requests) == 4


def test_a_redirect_loop_is_an_error(server: LinkServer, make_client: Callable[..., HttpClient]) -> None:
    result = check_one(server.url("/loop/a"), make_client())
    assert (result.status, result.detail) == ("error", "redirect loop")


def test_a_timeout_is_unreachable_after_retries(server: LinkServer, make_client: Callable[..., HttpClient], sleeps: list[float]) -> None:
    results, down = check_links([server.url("/slow"), server.url("/ok")], make_client(timeout=0.2))
    result = results[server.url("/slow")]
    assert (result.status, result.code, result.detail) == ("unreachable", None, "timed out after 3 tries")
    assert server.count("/slow") == 3 and len(sleeps) == 2 and not down


def test_429_honours_retry_after(server: LinkServer, make_client: Callable[..., HttpClient], sleeps: list[float]) -> None:
    assert check_one(server.url("/ratelimited"), make_client()).status == "ok"
    assert sleeps == [1.0] and server.count("/ratelimited") == 2


def test_a_redirect_to_a_private_address_is_blocked_without_dialling_it(
    server: LinkServer, make_client: Callable[..., HttpClient], tripwire: list[tuple[str, int]]
) -> None:
    # allow_private stays False; only the test server's own address is let through.
    client = make_client(allow_private=False, guard=lambda h: (True, "") if h == "127.0.0.1" else host_allowed(h, False))
    result = check_one(server.url("/to-private"), client)
    assert (result.status, result.final_url) == ("blocked", "http://10.0.0.1/admin")
    assert "private" in result.detail
    assert {address[0] for address in tripwire} == {"127.0.0.1"}


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:{port}/ok", "http://localhost:{port}/ok", "http://[::1]:{port}/ok", "http://2130706433:{port}/ok",
        "http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/", "http://192.168.1.1/", "http://172.16.0.1/",
        "http://[::ffff:10.0.0.1]/", "http://[fe80::1]/", "http://0.0.0.0:{port}/ok",
    ],
)
def test_private_targets_are_blocked_with_no_request(
    url: str, server: LinkServer, make_client: Callable[..., HttpClient], tripwire: list[tuple[str, int]]
) -> None:
    url = url.format(port=server.port)
    results, down = check_links([url], make_client(allow_private=False))
    assert results[url].status == "blocked" and results[url].code is None and not down
    assert server.requests == [] and tripwire == []


def test_check_links_can_be_stricter_than_the_client(server: LinkServer, make_client: Callable[..., HttpClient]) -> None:
    results, _ = check_links([server.url("/ok")], make_client(allow_private=True), allow_private=False)
    assert results[server.url("/ok")].status == "blocked" and server.requests == []


def test_an_unresolvable_host_is_dead_without_network(make_client: Callable[..., HttpClient], tripwire: list[tuple[str, int]]) -> None:
    url = "http://nonexistent.invalid/page"
    results, down = check_links([url], make_client())
    assert results[url] == LinkResult(url, "dead", None, url, "host does not resolve")
    assert not down and tripwire == []


def test_a_redirect_to_a_host_that_does_not_resolve_is_dead(server: LinkServer, make_client: Callable[..., HttpClient]) -> None:
    result = check_one(server.url("/to-invalid"), make_client())
    assert (result.status, result.final_url) == ("dead", "http://nowhere.invalid/")


def test_no_network_is_reported_once_and_nothing_is_called_dead(make_client: Callable[..., HttpClient]) -> None:
    port = closed_port()
    urls = [f"http://127.0.0.1:{port}/a", f"http://127.0.0.1:{port}/b", "http://nonexistent.invalid/", "http://10.0.0.1/"]
    results, down = check_links(urls, make_client(guard=lambda h: (True, "") if h == "127.0.0.1" else host_allowed(h, False)))
    assert down
    for url in urls[:2]:
        assert results[url].status == "unreachable" and results[url].detail.startswith("no network")
        assert cacheable(results[url]) is None
    # Known without a lookup, so neither proves nor disproves the network.
    assert results[urls[2]].status == "dead" and results[urls[3]].status == "blocked"


def test_one_answer_proves_the_network_is_up(server: LinkServer, make_client: Callable[..., HttpClient]) -> None:
    refused = f"http://127.0.0.1:{closed_port()}/a"
    results, down = check_links([refused, server.url("/missing")], make_client())
    assert not down
    assert results[refused].status == "unreachable" and results[refused].detail.startswith("connection failed")


def test_urls_are_checked_once_each(server: LinkServer, make_client: Callable[..., HttpClient]) -> None:
    urls = [server.url("/ok"), server.url("/ok"), server.url("/missing")]
    results, _ = check_links(urls, make_client())
    assert set(results) == {server.url("/ok"), server.url("/missing")} and len(server.requests) == 2
    assert check_links([], make_client()) == ({}, False)


def test_per_host_concurrency_never_exceeds_the_limit(make_client: Callable[..., HttpClient]) -> None:
    with LinkServer(delay=0.02) as srv:
        urls = [srv.url(f"/page/{i}") for i in range(40)]
        results, _ = check_links(urls, make_client(max_per_host=3))
        assert all(r.status == "ok" for r in results.values())
        assert 1 <= srv.peak["127.0.0.1"] <= 3
        assert len(srv.requests) == 40


def test_results_are_json_and_transient_failures_are_never_cacheable(server: LinkServer, make_client: Callable[..., HttpClient]) -> None:
    paths = ["/ok", "/missing", "/error", "/forbidden", "/loop/a", "/slow"]
    results, _ = check_links([server.url(p) for p in paths], make_client(timeout=0.2))
    for r in results.values():
        assert LinkResult(**json.loads(json.dumps(asdict(r)))) == r
    ttl = {p: cacheable(results[server.url(p)]) for p in paths}
    assert ttl == {"/ok": 30 * 86400, "/missing": 7 * 86400, "/error": None, "/forbidden": 7 * 86400, "/loop/a": 86400, "/slow": None}
    assert cacheable(LinkResult("u", "unreachable", 429, "u", "429 Too Many Requests after 3 tries")) is None
    assert cacheable(LinkResult("u", "unreachable", 999, "u", "999")) == 7 * 86400
    assert cacheable(LinkResult("u", "blocked", None, "u", "not fetched")) is None


@pytest.mark.parametrize("max_total, peak", [(None, 3), (10, 1)])
def test_links_over_many_hosts_fill_each_hosts_limit_under_the_total(make_client: Callable[..., Any],
                                                                      max_total: int | None, peak: int) -> None:
    """Twenty hosts at three each is 60 requests in flight under the default total (64); a total of
    10 spreads ten over the twenty. Each host's requests share its own few connections."""
    hosts = tuple(f"127.0.0.{i}" for i in range(1, 21))
    with LinkServer(hosts, delay=0.1) as srv:
        client = make_client(max_per_host=3, **({} if max_total is None else {"max_total": max_total}))
        urls = [srv.url(f"/page/{i}", host=hosts[i % 20]) for i in range(120)]
        results, down = check_links(urls, client)
        assert not down and all(r.status == "ok" for r in results.values())
        assert max(srv.peak.values()) == peak and max(srv.peak_connections.values()) <= 3
