"""Link checking for the citations pass: HEAD (then GET), classify, and tell "dead" from "no network"."""

from __future__ import annotations

from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from http import HTTPStatus
from itertools import chain, zip_longest
from typing import Literal, Sequence
from urllib.parse import urlsplit

from vaultkit.net import HttpClient, NetError, reserved_name

LinkStatus = Literal["ok", "dead", "unreachable", "blocked", "error"]

DAY = 24 * 3600
# Some servers answer HEAD with these although GET works (405/501 by the RFC; 400/403/406 by habit).
HEAD_REFUSED = frozenset({400, 403, 405, 406, 501})
DEAD = frozenset({404, 410})


@dataclass(frozen=True)
class LinkResult:
    """What one URL turned out to be; `asdict()` of it is JSON (for the cache)."""

    url: str
    status: LinkStatus  # ok | dead | unreachable | blocked | error (redirect loop, too many redirects, invalid URL)
    code: int | None  # the final HTTP status, when there was one
    final_url: str | None  # where the redirects ended (or the hop that was blocked)
    detail: str  # a short reason for a human: "404 Not Found", "host does not resolve", "redirect loop"


def _transient(code: int) -> bool:
    """Statuses that may be gone on the next run: timeouts, rate limits, server errors."""
    return code in (408, 429) or 500 <= code < 600


def cacheable(r: LinkResult) -> int | None:
    """How long (seconds) the cache may keep `r`, or None: never 429, 5xx, timeouts or "no network".

    ok 30 days and dead 7 days (as the issue's found / not found); a refusal that is not transient
    (401/403/999 and other 4xx) 7 days; a redirect loop 1 day, since sites fix them. Blocked and
    invalid URLs made no request, so there is nothing to save, and they depend on config.
    """
    if r.status == "ok":
        return 30 * DAY
    if r.status == "dead":
        return 7 * DAY
    if r.status == "unreachable" and r.code is not None and not _transient(r.code):
        return 7 * DAY
    if r.status == "error" and r.detail in ("redirect loop", "too many redirects"):
        return DAY
    return None


def _reason(code: int) -> str:
    """'404 Not Found'; non-standard codes (LinkedIn's 999) just by number."""
    try:
        return f"{code} {HTTPStatus(code).phrase}"
    except ValueError:
        return str(code)


def _classify(url: str, code: int, final_url: str, tries: int) -> LinkResult:
    """Map a final HTTP status to a LinkResult; only 404/410 are ever called dead."""
    reason = _reason(code)
    if 200 <= code < 300:
        return LinkResult(url, "ok", code, final_url, reason)
    if code in DEAD:
        return LinkResult(url, "dead", code, final_url, reason)
    if 300 <= code < 400:
        return LinkResult(url, "error", code, final_url, f"{reason} without a usable Location")
    if tries > 1:
        reason += f" after {tries} tries"
    # 401/403/999 (login walls, bot blocks), 429 and 5xx after retries, odd 4xx: never "dead".
    return LinkResult(url, "unreachable", code, final_url, reason)


Lookup = Literal["answered", "failed", "none"]  # did the network answer, fail, or never get asked?


def _host(url: str) -> str:
    """The lower-cased host of `url`, or '' when it has none (or cannot be split)."""
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def _check(url: str, client: HttpClient, allow_private: bool | None) -> tuple[LinkResult, Lookup]:
    """Check one URL, and say whether the network answered (for `network_down`)."""
    try:
        response = client.request("HEAD", url, read=False, allow_private=allow_private)
        if response.status_code in HEAD_REFUSED:
            response = client.request("GET", str(response.url), read=False, allow_private=allow_private)
    except NetError as exc:
        if exc.kind == "blocked":
            return LinkResult(url, "blocked", None, exc.url, f"not fetched: {exc.detail}"), "none"
        if exc.kind == "dns":
            # A reserved name is known not to exist; any other lookup failure may mean no network.
            lookup: Lookup = "none" if reserved_name(_host(exc.url)) else "failed"
            return LinkResult(url, "dead", None, exc.url, "host does not resolve"), lookup
        if exc.kind in ("timeout", "connect"):
            return LinkResult(url, "unreachable", None, exc.url, exc.detail), "failed"
        if exc.kind == "invalid-url":
            return LinkResult(url, "error", None, exc.url, exc.detail), "none"
        detail = "too many redirects" if exc.kind == "too-many-redirects" else exc.detail
        return LinkResult(url, "error", None, exc.url, detail), "answered"
    tries = int(response.extensions.get("vaultkit_tries", 1))
    return _classify(url, response.status_code, str(response.url), tries), "answered"


def _interleave(urls: Sequence[str]) -> list[str]:
    """Round-robin by host, so worker threads spread over hosts instead of queueing on one."""
    by_host: dict[str, list[str]] = defaultdict(list)
    for url in urls:
        by_host[_host(url)].append(url)
    return [u for u in chain.from_iterable(zip_longest(*by_host.values())) if u is not None]


def check_links(
    urls: Sequence[str], client: HttpClient, *, allow_private: bool | None = None
) -> tuple[dict[str, LinkResult], bool]:
    """Check each distinct URL concurrently; return results by URL and `network_down`.

    `network_down` is True when every URL that needed the network failed at connection or DNS
    level: then nothing here proves a link dead, so those results become "unreachable" ("no
    network ..."), never cacheable, and the caller should report one notice and leave the links
    unverified. `allow_private` overrides the client's `[net] allow_private` (None: the client's).
    """
    unique = _interleave(list(dict.fromkeys(urls)))
    if not unique:
        return {}, False
    # As many at once as the limits allow: `max_per_host` on each host with links to check, under
    # `max_total` (a thread each: the client's connections are pooled, one per request in flight).
    hosts = len({_host(u) for u in unique})
    workers = max(1, min(len(unique), client.max_total, hosts * max(1, client.config.max_per_host)))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="vaultkit-links") as pool:
        checked = list(pool.map(lambda u: _check(u, client, allow_private), unique))
    lookups = [lookup for _, lookup in checked if lookup != "none"]
    network_down = bool(lookups) and all(lookup == "failed" for lookup in lookups)
    results: dict[str, LinkResult] = {}
    for r, lookup in checked:
        if network_down and lookup == "failed":
            r = LinkResult(r.url, "unreachable", None, r.final_url, f"no network ({r.detail})")
        results[r.url] = r
    return results, network_down
