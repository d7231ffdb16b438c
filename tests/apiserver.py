"""A threaded loopback server that plays arXiv, Crossref, OpenAlex and Semantic Scholar from fixture files.

    with ApiServer() as api:
        api.options()                # the [passes.citations] URLs pointed at this server
        api.fail["arxiv"] = 503      # every arXiv request answers 503 (or 429, or "timeout": sleep `slow`)
        api.requests                 # [Hit(service, path, params, headers), ...] in arrival order

Endpoints and the fixture each one reads (under tests/fixtures/apis/, names are `slug()`s):
    /arxiv/api/query?id_list=ID                 arxiv/id/SLUG.xml          else an empty feed (totalResults 0)
    /arxiv/api/query?search_query=Q             arxiv/search/SLUG.xml      else an empty feed
    /crossref/works/DOI                         crossref/doi/SLUG.json     else 404 "Resource not found."
    /crossref/works?query.bibliographic=Q       crossref/query/SLUG.json   else an empty work-list
    /openalex/works/doi:DOI                     openalex/doi/SLUG.json     else 404 JSON error
    /openalex/works?search=Q                    openalex/search/SLUG.json  else empty results
    /s2/graph/v1/paper/ID                       s2/paper/SLUG.json         else 404 "Paper with id … not found"
    /s2/graph/v1/paper/search/match?query=Q     s2/match/SLUG.json         else 404 "Title match not found"
The "else" answers are what the real services send when they know nothing.
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

FIXTURES = Path(__file__).parent / "fixtures" / "apis"
SERVICES = {"arxiv": "/arxiv/api/query", "crossref": "/crossref/works", "openalex": "/openalex/works",
            "semantic_scholar": "/s2/graph/v1"}

EMPTY_FEED = """<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">
  <link href="http://arxiv.org/api/query?{query}" rel="self" type="application/atom+xml"/>
  <title type="html">ArXiv Query: {query}</title>
  <id>http://arxiv.org/api/empty</id>
  <updated>2024-05-01T00:00:00-04:00</updated>
  <opensearch:totalResults>0</opensearch:totalResults>
  <opensearch:startIndex>0</opensearch:startIndex>
  <opensearch:itemsPerPage>5</opensearch:itemsPerPage>
</feed>
"""
EMPTY_CROSSREF = {"status": "ok", "message-type": "work-list", "message-version": "1.0.0",
                  "message": {"facets": {}, "total-results": 0, "items": [], "items-per-page": 5,
                              "query": {"start-index": 0, "search-terms": None}}}
EMPTY_OPENALEX = {"meta": {"count": 0, "db_response_time_ms": 12, "page": 1, "per_page": 5, "groups_count": None},
                  "results": [], "group_by": []}

Answer = tuple[int, str, bytes]  # status, content type, body


def slug(text: str) -> str:
    """A fixture file name for a query: lowercase words joined by '-' (at most 150 characters)."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:150]


@dataclass(frozen=True)
class Hit:
    """One request as the server saw it."""

    service: str
    path: str
    params: dict[str, str]
    headers: dict[str, str]  # lower-cased names


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner: ApiServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients that time out and hang up are expected here; stay quiet."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """No access log on stderr."""

    def do_GET(self) -> None:
        code, ctype, body = self.server.owner._serve(self.path, {k.lower(): v for k, v in self.headers.items()})
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        if code == 429:
            self.send_header("Retry-After", "1")
        self.end_headers()
        self.wfile.write(body)


def _json(data: Any, code: int = 200) -> Answer:
    return code, "application/json", json.dumps(data).encode()


class ApiServer:
    """Context manager on 127.0.0.1; `fail` and `requests` are shared with the handler threads."""

    def __init__(self, fixtures: Path = FIXTURES, *, slow: float = 2.0) -> None:
        self.fixtures = fixtures
        self.slow = slow
        self.fail: dict[str, int | str] = {}
        self.requests: list[Hit] = []
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.owner = self
        self.port = self._server.server_address[1]

    def __enter__(self) -> ApiServer:
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def options(self, **extra: Any) -> dict[str, Any]:
        """`[passes.citations]` options with every service URL on this server."""
        urls = {f"{s}_url": f"http://127.0.0.1:{self.port}{p}" for s, p in SERVICES.items()}
        return {**urls, "mailto": "", **extra}

    def hits(self, service: str | None = None) -> list[Hit]:
        """Requests so far, for one service or all."""
        with self._lock:
            return [h for h in self.requests if service is None or h.service == service]

    def _serve(self, raw: str, headers: dict[str, str]) -> Answer:
        parts = urlsplit(raw)
        params = dict(parse_qsl(parts.query))
        service = next((s for s, p in SERVICES.items() if parts.path.startswith(p)), "")
        with self._lock:
            self.requests.append(Hit(service, parts.path, params, headers))
            failure = self.fail.get(service)
        if failure == "timeout":
            time.sleep(self.slow)
            return 200, "text/plain", b""
        if isinstance(failure, int):
            return failure, "text/plain", f"{failure} failure injected by the test\n".encode()
        rest = parts.path[len(SERVICES.get(service, "")):].lstrip("/")
        route = {"arxiv": self._arxiv, "crossref": self._crossref, "openalex": self._openalex,
                 "semantic_scholar": self._s2}.get(service)
        return route(unquote(rest), params) if route else (404, "text/plain", b"no such service\n")

    def _file(self, *parts: str) -> bytes | None:
        path = self.fixtures.joinpath(*parts)
        return path.read_bytes() if path.is_file() else None

    def _arxiv(self, rest: str, params: dict[str, str]) -> Answer:
        if "id_list" in params:
            body = self._file("arxiv", "id", slug(params["id_list"]) + ".xml")
        else:
            body = self._file("arxiv", "search", slug(params.get("search_query", "")) + ".xml")
        query = "&amp;".join(f"{k}={v}" for k, v in params.items()).replace('"', "&quot;").replace("<", "&lt;")
        return 200, "application/atom+xml; charset=utf-8", body or EMPTY_FEED.format(query=query).encode()

    def _crossref(self, rest: str, params: dict[str, str]) -> Answer:
        if rest:  # /works/{doi}
            body = self._file("crossref", "doi", slug(rest) + ".json")
            return (200, "application/json", body) if body else (404, "text/plain", b"Resource not found.")
        body = self._file("crossref", "query", slug(params.get("query.bibliographic", "")) + ".json")
        return (200, "application/json", body) if body else _json(EMPTY_CROSSREF)

    def _openalex(self, rest: str, params: dict[str, str]) -> Answer:
        if rest:  # /works/doi:{doi}
            body = self._file("openalex", "doi", slug(rest.removeprefix("doi:")) + ".json")
            return (200, "application/json", body) if body else _json(
                {"error": "404 Not Found", "message": f"The requested URL was not found: {rest}"}, 404)
        body = self._file("openalex", "search", slug(params.get("search", "")) + ".json")
        return (200, "application/json", body) if body else _json(EMPTY_OPENALEX)

    def _s2(self, rest: str, params: dict[str, str]) -> Answer:
        if rest == "paper/search/match":
            body = self._file("s2", "match", slug(params.get("query", "")) + ".json")
            return (200, "application/json", body) if body else _json({"error": "Title match not found"}, 404)
        ident = rest.removeprefix("paper/")
        body = self._file("s2", "paper", slug(ident) + ".json")
        return (200, "application/json", body) if body else _json({"error": f"Paper with id {ident} not found"}, 404)
