"""vaultkit.net against a real loopback server: the address guard, manual redirects, retries, Retry-After."""

from __future__ import annotations

import email.utils
import socket
from typing import Any, Callable, Iterator

import pytest

from linkserver import LinkServer, closed_port, loopback_only
from vaultkit.config import NetConfig
from vaultkit.net import MAX_RETRY_AFTER, HttpClient, NetError, host_allowed, retry_after


# --- host_allowed -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1", "127.1", "2130706433", "0x7f.1", "localhost", "localhost.", "app.localhost", "::1", "[::1]",
        "::ffff:127.0.0.1", "::ffff:10.0.0.1", "0.0.0.0", "::", "10.0.0.1", "172.16.0.1", "172.31.255.255",
        "192.168.1.1", "169.254.169.254", "fe80::1", "fc00::1", "224.0.0.1", "ff02::1", "100.64.0.1",
        "240.0.0.1", "2002:0a00:0001::1",
    ],
)
def test_private_loopback_link_local_and_reserved_addresses_are_refused(host: str) -> None:
    ok, why = host_allowed(host, allow_private=False)
    assert not ok and why != "dns" and "address" in why


@pytest.mark.parametrize("host", ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8"])
def test_public_literals_are_allowed(host: str) -> None:
    assert host_allowed(host, allow_private=False) == (True, "")


def test_allow_private_lets_loopback_through() -> None:
    assert host_allowed("127.0.0.1", allow_private=True) == (True, "")


@pytest.mark.parametrize("host", ["nonexistent.invalid", "x.test", "www.example", ""])
def test_reserved_names_do_not_resolve_and_ask_no_resolver(host: str, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_dns(*a: object, **k: object) -> None:
        raise AssertionError("a DNS lookup was made")

    monkeypatch.setattr(socket, "getaddrinfo", no_dns)
    assert host_allowed(host, allow_private=True) == (False, "dns")


def test_a_failed_lookup_is_dns_not_blocked(monkeypatch: pytest.MonkeyPatch) -> None:
    def nxdomain(*a: object, **k: object) -> None:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", nxdomain)
    assert host_allowed("no-such-host.com", allow_private=False) == (False, "dns")


def test_a_name_is_refused_if_any_of_its_addresses_is_private(monkeypatch: pytest.MonkeyPatch) -> None:
    def mixed(*a: object, **k: object) -> list[tuple[Any, ...]]:
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", 0)), (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.1.2.3", 0))]

    monkeypatch.setattr(socket, "getaddrinfo", mixed)
    ok, why = host_allowed("rebind.example.com", allow_private=False)
    assert not ok and "10.1.2.3" in why


# --- retry_after --------------------------------------------------------------------------------


def test_retry_after_reads_seconds_and_http_dates() -> None:
    now = 1_800_000_000.0
    assert retry_after("7") == 7.0
    assert retry_after(email.utils.formatdate(now + 30, usegmt=True), now=now) == pytest.approx(30.0)
    assert retry_after(email.utils.formatdate(now - 30, usegmt=True), now=now) == 0.0
    assert retry_after(None) is None and retry_after("soon") is None and retry_after("-3") is None


# --- HttpClient ---------------------------------------------------------------------------------


def test_sends_the_configured_user_agent(server: LinkServer, make_client: Callable[..., HttpClient]) -> None:
    assert make_client().request("GET", server.url("/ok")).status_code == 200
    assert server.user_agents == {NetConfig().user_agent}


def test_follows_a_redirect_chain_by_hand(server: LinkServer, make_client: Callable[..., HttpClient]) -> None:
    response = make_client().request("GET", server.url("/redirect/3"))
    assert response.status_code == 200 and response.url.path == "/ok"
    assert [r.status_code for r in response.history] == [302, 302, 302]
    assert response.text == "200 /ok\n"


def test_a_redirect_loop_is_an_error(server: LinkServer, make_client: Callable[..., HttpClient]) -> None:
    with pytest.raises(NetError) as info:
        make_client().request("HEAD", server.url("/loop/a"))
    assert info.value.kind == "redirect-loop"
    assert server.count("/loop/a") == 1 and server.count("/loop/b") == 1


def test_the_redirect_chain_is_bounded(server: LinkServer, make_client: Callable[..., HttpClient]) -> None:
    with pytest.raises(NetError) as info:
        make_client(max_redirects=2).request("HEAD", server.url("/redirect/5"))
    assert info.value.kind == "too-many-redirects"
    assert len(server.requests) == 3


def test_the_guard_runs_on_every_hop(server: LinkServer, make_client: Callable[..., HttpClient], tripwire: list[tuple[str, int]]) -> None:
    """Loopback is let through for the test server only; the redirect to 10.0.0.1 is never dialled."""
    client = make_client(guard=lambda h: (True, "") if h == "127.0.0.1" else host_allowed(h, False))
    with pytest.raises(NetError) as info:
        client.request("GET", server.url("/to-private"))
    assert info.value.kind == "blocked" and info.value.url == "http://10.0.0.1/admin"
    assert all(address[0] == "127.0.0.1" for address in tripwire)


def test_5xx_is_retried_with_backoff(server: LinkServer, make_client: Callable[..., HttpClient], sleeps: list[float]) -> None:
    response = make_client().request("GET", server.url("/flaky"))
    assert response.status_code == 200 and server.count("/flaky") == 2
    assert len(sleeps) == 1 and 0 < sleeps[0] <= 0.5


def test_retries_are_bounded_and_backoff_grows(server: LinkServer, make_client: Callable[..., HttpClient], sleeps: list[float]) -> None:
    response = make_client(retries=3, backoff=1.0).request("GET", server.url("/error"))
    assert response.status_code == 500 and server.count("/error") == 4
    assert response.extensions["vaultkit_tries"] == 4
    assert len(sleeps) == 3
    for attempt, slept in enumerate(sleeps):  # full jitter over the upper half of 2**attempt
        assert 2**attempt / 2 <= slept <= 2**attempt


def test_404_and_401_are_not_retried(server: LinkServer, make_client: Callable[..., HttpClient], sleeps: list[float]) -> None:
    client = make_client()
    assert client.request("HEAD", server.url("/missing")).status_code == 404
    assert client.request("HEAD", server.url("/auth")).status_code == 401
    assert len(server.requests) == 2 and sleeps == []


def test_retry_after_is_honoured(server: LinkServer, make_client: Callable[..., HttpClient], sleeps: list[float]) -> None:
    assert make_client().request("HEAD", server.url("/ratelimited")).status_code == 200
    assert sleeps == [1.0]


def test_retry_after_is_capped(server: LinkServer, make_client: Callable[..., HttpClient], sleeps: list[float]) -> None:
    assert make_client().request("HEAD", server.url("/ratelimited-long")).status_code == 200
    assert sleeps == [MAX_RETRY_AFTER] == [60.0]


def test_a_timeout_is_retried_then_raised(server: LinkServer, make_client: Callable[..., HttpClient], sleeps: list[float]) -> None:
    with pytest.raises(NetError) as info:
        make_client(timeout=0.2, retries=1).request("HEAD", server.url("/slow"))
    assert info.value.kind == "timeout" and info.value.tries == 2
    assert server.count("/slow") == 2 and len(sleeps) == 1


def test_a_refused_connection_is_not_retried(make_client: Callable[..., HttpClient], sleeps: list[float]) -> None:
    with pytest.raises(NetError) as info:
        make_client().request("HEAD", f"http://127.0.0.1:{closed_port()}/")
    assert info.value.kind == "connect" and sleeps == []


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/x", "http://0177.0.0.1/", "not a url", "http:///nohost"])
def test_invalid_urls(url: str, make_client: Callable[..., HttpClient]) -> None:
    with pytest.raises(NetError) as info:
        make_client().request("HEAD", url)
    assert info.value.kind == "invalid-url"


def test_blocked_by_default_with_no_request(server: LinkServer, make_client: Callable[..., HttpClient], tripwire: list[tuple[str, int]]) -> None:
    with pytest.raises(NetError) as info:
        make_client(allow_private=False).request("GET", server.url("/ok"))
    assert info.value.kind == "blocked" and "loopback" in info.value.detail
    assert server.requests == [] and tripwire == []


def test_importing_vaultkit_net_does_not_import_httpx() -> None:
    import subprocess
    import sys

    code = "import sys, vaultkit.net; print('httpx' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


# --- DNS rebinding: the address checked is the address connected to -----------------------------


def _scripted(answers: dict[str, list[list[str]]]) -> Callable[[str, int], list[str]]:
    """A resolver that gives each name its answers in turn (the last one repeated)."""
    calls: dict[str, int] = {}

    def resolve(host: str, port: int) -> list[str]:
        n = calls.get(host, 0)
        calls[host] = n + 1
        given = answers.get(host)
        if not given:
            raise socket.gaierror(socket.EAI_NONAME, host)
        return given[min(n, len(given) - 1)]

    return resolve


def test_a_name_that_rebinds_to_loopback_gets_no_connection(make_client: Callable[..., Any]) -> None:
    with LinkServer() as srv:
        url = f"http://rebind.vaultkit-test.net:{srv.port}/ok"
        resolve = _scripted({"rebind.vaultkit-test.net": [["93.184.216.34"], ["127.0.0.1"]]})
        client = make_client(allow_private=False, resolver=resolve)
        with pytest.raises(NetError) as caught:
            client.request("GET", url)
        assert caught.value.kind == "blocked" and "loopback address 127.0.0.1" in caught.value.detail
        assert srv.requests == []


def test_a_second_connection_to_a_rebinding_name_is_vetted_anew(make_client: Callable[..., Any]) -> None:
    with LinkServer() as srv:
        srv_port = srv.port
        resolve = _scripted({"rebind.vaultkit-test.net": [["93.184.216.34"], ["127.0.0.2"]]})
        # the first hop, 127.0.0.1, is allowed by the test's guard; the second must be checked anew
        client = make_client(allow_private=False, resolver=resolve,
                             guard=lambda h: (True, "") if h == "127.0.0.1" else host_allowed(h, False, resolve))
        first = client.request("GET", f"http://127.0.0.1:{srv_port}/ok")
        assert first.status_code == 200
        with pytest.raises(NetError) as caught:
            client.request("GET", f"http://rebind.vaultkit-test.net:{srv_port}/ok")
        assert caught.value.kind == "blocked"
        assert srv.requests == [("GET", "/ok")]


def test_a_real_dns_server_that_rebinds(make_client: Callable[..., Any]) -> None:
    from dnsserver import DnsServer

    with LinkServer() as srv, DnsServer({"rebind.vaultkit-test.net": ["93.184.216.34", "127.0.0.1"],
                                         "ok.vaultkit-test.net": ["127.0.0.1"]}) as dns:
        client = make_client(allow_private=False, resolver=dns.resolver())
        with pytest.raises(NetError) as caught:
            client.request("GET", f"http://rebind.vaultkit-test.net:{srv.port}/ok")
        assert caught.value.kind == "blocked"
        assert dns.asked == ["rebind.vaultkit-test.net", "rebind.vaultkit-test.net"]  # once to vet, once to connect
        assert srv.requests == []
        allowed = make_client(allow_private=True, resolver=dns.resolver())  # the config's own choice
        assert allowed.request("GET", f"http://ok.vaultkit-test.net:{srv.port}/ok").status_code == 200
        assert srv.requests == [("GET", "/ok")]


@pytest.mark.parametrize("host", ["[::1]", "[::ffff:127.0.0.1]", "0.0.0.0", "2130706433", "127.1", "localhost.",
                                  "localhost"])
def test_literal_and_local_forms_never_connect_by_default(make_client: Callable[..., Any], host: str) -> None:
    with LinkServer() as srv:
        client = make_client(allow_private=False)
        with pytest.raises(NetError) as caught:
            client.request("GET", f"http://{host}:{srv.port}/ok")
        assert caught.value.kind in ("blocked", "dns")
        assert srv.requests == []


def test_a_redirect_hop_to_a_rebinding_name_is_vetted_at_connect_time(make_client: Callable[..., Any]) -> None:
    from sourceserver import SourceServer

    with SourceServer() as srv:
        srv.route("/hop", 302, {"Location": f"http://rebind.vaultkit-test.net:{srv.port}/secret"})
        srv.page("/secret", "<p>the router's admin page</p>")
        resolve = _scripted({"rebind.vaultkit-test.net": [["93.184.216.34"], ["127.0.0.1"]]})
        client = make_client(allow_private=False, resolver=resolve,
                             guard=lambda h: (True, "") if h == "127.0.0.1" else host_allowed(h, False, resolve))
        with pytest.raises(NetError) as caught:
            client.request("GET", srv.url("/hop"))
        assert caught.value.kind == "blocked"
        assert srv.requests == [("GET", "/hop")]  # the hop's target was never reached


def test_behind_a_proxy_a_no_proxy_name_that_rebinds_gets_no_connection(make_client: Callable[..., Any],
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """A proxy resolves the names it is sent; a name in NO_PROXY is connected to directly, and so
    through the pinned backend like any other."""
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # (never reached: the name bypasses it)
    monkeypatch.setenv("NO_PROXY", "rebind.vaultkit-test.net")
    with LinkServer() as srv:
        resolve = _scripted({"rebind.vaultkit-test.net": [["93.184.216.34"], ["127.0.0.1"]]})
        client = make_client(allow_private=False, resolver=resolve)
        with pytest.raises(NetError) as caught:
            client.request("GET", f"http://rebind.vaultkit-test.net:{srv.port}/ok")
        assert caught.value.kind == "blocked" and "loopback address 127.0.0.1" in caught.value.detail
        assert srv.requests == []


def test_behind_a_proxy_other_names_still_go_to_the_proxy(make_client: Callable[..., Any],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    with LinkServer() as proxy:
        monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{proxy.port}")
        monkeypatch.setenv("NO_PROXY", "rebind.vaultkit-test.net")
        resolve = _scripted({"far.vaultkit-test.net": [["93.184.216.34"]]})
        client = make_client(allow_private=False, resolver=resolve)
        client.request("GET", "http://far.vaultkit-test.net/ok")
        assert [path for _, path in proxy.requests] == ["http://far.vaultkit-test.net/ok"]  # the proxy was asked
