"""A threaded loopback server for the support pass: pages as real sites serve them, and a count of requests.

    with SourceServer() as srv:
        srv.page("/article", body, "text/html; charset=utf-8")   # 200 with these bytes
        srv.route("/moved", 301, {"Location": "/article"})        # any status, headers, body
        srv.url("/article")                                        # http://127.0.0.1:PORT/article
        srv.requests                                               # [(method, path), ...]
        srv.delay = 0.05                                           # every answer waits this long first

Unknown paths answer 404 with an HTML error page, as web servers do. A route with `slow` sleeps that
long before answering (longer than the client's timeout, for a timeout). `gzip=True` sends the body
gzip-encoded with `Content-Encoding: gzip`.
"""

from __future__ import annotations

import gzip
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Route:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    slow: float = 0.0
    gzip: bool = False


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner: SourceServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients that time out and hang up are expected here."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """No access log."""

    def do_GET(self) -> None:
        self.server.owner._serve(self, "GET")

    def do_HEAD(self) -> None:
        self.server.owner._serve(self, "HEAD")


NOT_FOUND = b"<!DOCTYPE html><html><head><title>404 Not Found</title></head><body><h1>Not Found</h1>" \
            b"<p>The requested URL was not found on this server.</p></body></html>"


class SourceServer:
    """Serves registered routes on 127.0.0.1 from a thread."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[tuple[str, str]] = []
        self.delay = 0.0
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.owner = self
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> SourceServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def route(self, path: str, status: int, headers: dict[str, str] | None = None, body: bytes = b"",
              slow: float = 0.0, gzip: bool = False) -> str:
        self.routes[path] = Route(status, dict(headers or {}), body, slow, gzip)
        return self.url(path)

    def page(self, path: str, body: bytes | str, content_type: str = "text/html; charset=utf-8", **kw: Any) -> str:
        data = body.encode("utf-8") if isinstance(body, str) else body
        return self.route(path, 200, {"Content-Type": content_type}, data, **kw)

    def hits(self, path: str) -> int:
        with self._lock:
            return sum(1 for _, p in self.requests if p == path)

    def _serve(self, handler: _Handler, method: str) -> None:
        path = handler.path.split("?", 1)[0]
        with self._lock:
            self.requests.append((method, path))
        route = self.routes.get(path) or Route(404, {"Content-Type": "text/html; charset=utf-8"}, NOT_FOUND)
        time.sleep(self.delay + route.slow)
        body = gzip.compress(route.body, 9) if route.gzip else route.body
        try:
            handler.send_response(route.status)
            for k, v in route.headers.items():
                handler.send_header(k, v)
            if route.gzip:
                handler.send_header("Content-Encoding", "gzip")
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            if method != "HEAD":
                handler.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass
