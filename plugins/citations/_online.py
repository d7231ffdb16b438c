"""The citations pass's online half: check the note's links through the run's shared session and cache."""

from __future__ import annotations

import time
from dataclasses import asdict, replace
from typing import Any, Sequence

from vaultkit import Finding

from vaultkit_plugins.text.reference_types import Reference

from ._identifiers import url_problem
from ._links import DAY, DEAD, LinkResult, cacheable, check_links
from vaultkit_plugins.text.scholar import checkable, verify

# Metadata verdicts (issue 3). Offline a reference is never called fabricated: verify runs online only.
VERDICT_SEVERITY = {"metadata-mismatch": "warning", "likely-fabricated": "error", "unverified": "info"}

# Link findings (issue 3): dead is an error; a refusal, rate limit or outage only a warning.
LINK_KINDS = {
    "dead": ("dead-link", "error"),
    "unreachable": ("unreachable-link", "warning"),
    "blocked": ("blocked-link", "info"),
    "error": ("broken-redirect", "error"),
}


HISTORY_TTL = 400 * 86400.0  # a link's past checks are kept a good year
HISTORY_LEN = 12  # checks kept per link


def today() -> int:
    """The day number (UTC) a check happens on; tests move it."""
    return int(time.time() // 86400)


def _provisional(url: str, result: LinkResult, lookups: Any, dead_after: int) -> LinkResult:
    """Record this check in the link's history; a link that was alive and now answers 404/410 is only
    `unreachable` until it has failed on `dead_after` different days (a server's bad day is not a death)."""
    if lookups is None:
        return result
    day = today()
    history = lookups.lookup(f"linkhist:{url}")
    history = [h for h in history if isinstance(h, list) and len(h) == 2] if isinstance(history, list) else []
    history = (history + [[day, result.status]])[-HISTORY_LEN:]
    lookups.remember(f"linkhist:{url}", history, HISTORY_TTL)
    if result.status != "dead":
        return result
    alive = [d for d, status in history if status == "ok"]
    if not alive:
        return result  # never seen alive: dead at once, as before
    failing = {d for d, status in history if status != "ok" and d > alive[-1]}
    if len(failing) >= dead_after:
        return result
    since = time.strftime("%Y-%m-%d", time.gmtime(alive[-1] * 86400))
    return replace(result, status="unreachable",
                   detail=f"{result.detail} — it was alive on {since}; called dead if it still fails on a later day")


def link_findings(urls: Sequence[tuple[str, int]], net: Any, lookups: Any, dead_after: int = 2) -> list[Finding]:
    """One finding per problem link (at the line it first appears), or one notice when offline.

    Answers come from the cache when it has them; only the rest are fetched, concurrently,
    and stored with the lifetime `cacheable` allows. With no network at all, no link is
    called dead: one `network-unavailable` notice stands for all of them.
    """
    first: dict[str, int] = {}
    for url, line in urls:
        if not url_problem(url):
            first.setdefault(url, line)
    if not first:
        return []
    results: dict[str, LinkResult] = {}
    missing = []
    for url in first:
        cached = lookups.lookup(f"link:{url}") if lookups is not None else None
        if cached is not None:
            results[url] = LinkResult(**cached)
        else:
            missing.append(url)
    if missing:
        fetched, network_down = check_links(missing, net.client(), allow_private=net.config.allow_private)
        if network_down:
            line = min(first[u] for u in missing)
            return [Finding("network-unavailable", "info", line, line,
                            f"no network: {len(missing)} links left unverified — they are checked on the next online run",
                            {"unverified": len(missing)})]
        for url, result in fetched.items():
            result = _provisional(url, result, lookups, dead_after)
            results[url] = result
            # (a link failing for the first time since it was alive is asked again the next day)
            ttl = DAY if result.status == "unreachable" and result.code in DEAD else cacheable(result)
            if ttl and lookups is not None:
                lookups.remember(f"link:{url}", asdict(result), ttl)
    out = []
    for url, line in first.items():
        r = results.get(url)
        if r is None or r.status == "ok":
            continue
        kind, severity = LINK_KINDS[r.status]
        found = f" (ends at {r.final_url})" if r.final_url and r.final_url != url else ""
        out.append(Finding(kind, severity, line, line, f"{url} — {r.detail}{found}",  # type: ignore[arg-type]
                           {"url": url, "status": r.status, "code": r.code, "final_url": r.final_url}))
    return out


def metadata_findings(refs: Sequence[Reference], net: Any, options: Any, lookups: Any) -> list[Finding]:
    """Check each scholarly reference (an ID, or authors + year + title) against the four services.

    References are checked concurrently; the per-service rate limiters (arXiv: one
    request per 3 s) keep that polite. Each finding names the reference and holds the
    record that was found.
    """
    from concurrent.futures import ThreadPoolExecutor

    todo = [r for r in refs if checkable(r)]
    if not todo:
        return []
    client = net.client()
    with ThreadPoolExecutor(max_workers=min(4, len(todo)), thread_name_prefix="vaultkit-scholar") as pool:
        verdicts = list(pool.map(lambda r: verify(r, client, options, lookups), todo))
    out = []
    for ref, v in zip(todo, verdicts):
        if v.status in VERDICT_SEVERITY:
            out.append(Finding(v.status, VERDICT_SEVERITY[v.status], ref.line, ref.end_line,  # type: ignore[arg-type]
                               v.message, {"reference": ref.label, "record": _brief(v.record)}))
    return out


def _brief(record: Any) -> Any:
    """A record for a finding's data: its abstract stays in the cache (the support pass reads it there)."""
    return {k: v for k, v in record.items() if k != "abstract"} if isinstance(record, dict) else record
