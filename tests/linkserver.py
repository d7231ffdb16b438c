"""A threaded HTTP server on loopback that answers the ways real link targets do, and counts what it saw.

    with LinkServer() as srv:
        srv.url("/ok")           # http://127.0.0.1:PORT/ok
        srv.requests             # [(method, path), ...] in arrival order
        srv.peak["127.0.0.1"]    # most requests in flight at once, by Host name

Paths: /ok /missing /gone /error (500 always) /flaky (503 then 200) /ratelimited (429 with
Retry-After: 1, then 200) /ratelimited-long (Retry-After: 3600, then 200) /slow (sleeps `slow`
seconds) /head-refused (405 on HEAD) /redirect/N (N hops, then /ok) /loop/a <-> /loop/b
/to-private (302 to http://10.0.0.1/) /to-invalid (302 to a .invalid host) /auth (401)
/forbidden (403) /linkedin (999) /page/ANYTHING (200). Every response waits `delay` seconds first.
"""

from __future__ import annotations

import socket
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    import pytest

FIXED = {"/ok": 200, "/missing": 404, "/gone": 410, "/error": 500, "/auth": 401, "/forbidden": 403, "/linkedin": 999}


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # a /slow handler still asleep must not hold up shutdown
    owner: LinkServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients that time out and hang up are expected here; stay quiet."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as real servers do
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """No access log on stderr."""

    def do_HEAD(self) -> None:
        self.server.owner._serve(self, "HEAD")

    def do_GET(self) -> None:
        self.server.owner._serve(self, "GET")


class LinkServer:
    """Context manager: one or more loopback addresses, one shared set of counters."""

    def __init__(self, hosts: tuple[str, ...] = ("127.0.0.1",), *, delay: float = 0.0, slow: float = 2.0) -> None:
        self.delay = delay
        self.slow = slow
        self.requests: list[tuple[str, str]] = []
        self.user_agents: set[str] = set()
        self.peak: Counter[str] = Counter()  # by Host header name
        self.peak_connections: Counter[str] = Counter()  # open TCP connections, by address served
        self._in_flight: Counter[str] = Counter()
        self._open: Counter[str] = Counter()
        self._hits: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._servers: list[_Server] = []
        self.port = 0
        for host in hosts:
            handler = self._handler_class(host)
            server = _Server((host, self.port), handler)
            server.owner = self
            self.port = server.server_address[1]  # every address on the same port
            self._servers.append(server)

    def _handler_class(self, address: str) -> type[_Handler]:
        owner = self

        class Handler(_Handler):
            def setup(self) -> None:
                super().setup()
                with owner._lock:
                    owner._open[address] += 1
                    owner.peak_connections[address] = max(owner.peak_connections[address], owner._open[address])

            def finish(self) -> None:
                with owner._lock:
                    owner._open[address] -= 1
                super().finish()

        return Handler

    def __enter__(self) -> LinkServer:
        for server in self._servers:
            threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        for server in self._servers:
            server.shutdown()
            server.server_close()

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        """An absolute URL on this server."""
        return f"http://{host}:{self.port}{path}"

    def count(self, path: str) -> int:
        """How many requests reached `path`."""
        return sum(1 for _, p in self.requests if p == path)

    def _serve(self, h: _Handler, method: str) -> None:
        path = h.path.split("?", 1)[0]
        host = (h.headers.get("Host") or "").rsplit(":", 1)[0]
        with self._lock:
            self.requests.append((method, path))
            self.user_agents.add(h.headers.get("User-Agent", ""))
            self._hits[path] += 1
            hit = self._hits[path]
            self._in_flight[host] += 1
            self.peak[host] = max(self.peak[host], self._in_flight[host])
        try:
            if self.delay:
                time.sleep(self.delay)
            code, headers = self._route(path, method, hit)
            if code == 0:  # /slow
                time.sleep(self.slow)
                code = 200
            body = f"{code} {path}\n".encode()
            h.send_response(code)
            for name, value in headers.items():
                h.send_header(name, value)
            h.send_header("Content-Length", str(len(body)))  # for HEAD too, as GET would send
            h.end_headers()
            if method != "HEAD":
                h.wfile.write(body)
        finally:
            with self._lock:
                self._in_flight[host] -= 1

    def _route(self, path: str, method: str, hit: int) -> tuple[int, dict[str, str]]:
        """(status, headers) for a request; status 0 means "sleep `slow`, then 200"."""
        if path in FIXED:
            return FIXED[path], {}
        if path.startswith("/page/"):
            return 200, {}
        if path == "/flaky":
            return (503 if hit == 1 else 200), {}
        if path in ("/ratelimited", "/ratelimited-long"):
            wait = "1" if path == "/ratelimited" else "3600"
            return (429, {"Retry-After": wait}) if hit == 1 else (200, {})
        if path == "/slow":
            return 0, {}
        if path == "/head-refused":
            return (405 if method == "HEAD" else 200), {}
        if path.startswith("/redirect/"):
            n = int(path.rsplit("/", 1)[1])
            return 302, {"Location": f"/redirect/{n - 1}" if n > 1 else "/ok"}
        if path == "/loop/a":
            return 302, {"Location": "/loop/b"}
        if path == "/loop/b":
            return 301, {"Location": "/loop/a"}
        if path == "/to-private":
            return 302, {"Location": "http://10.0.0.1/admin"}
        if path == "/to-invalid":
            return 302, {"Location": "http://nowhere.invalid/"}
        return 404, {}


def closed_port() -> int:
    """A loopback port with nothing listening (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def loopback_only(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """Fail any TCP connection to a non-loopback address (the tests' tripwire); returns the log of attempts."""
    import ipaddress

    attempts: list[tuple[str, int]] = []
    real: Callable[..., socket.socket] = socket.create_connection

    def guarded(address: tuple[str, int], *args: Any, **kw: Any) -> socket.socket:
        attempts.append(address)
        for info in socket.getaddrinfo(address[0], address[1], type=socket.SOCK_STREAM):
            if not ipaddress.ip_address(str(info[4][0])).is_loopback:
                raise AssertionError(f"a test tried to connect to {address}")
        return real(address, *args, **kw)

    monkeypatch.setattr(socket, "create_connection", guarded)
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)  # httpx would send loopback requests to the proxy
    return attempts
