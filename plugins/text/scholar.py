"""Scholarly metadata for the citations pass: does a reference name a real paper, as cited?

    verify(ref, client, options, lookups) -> Verdict, whose status is one of
        ok                 an identifier or the title leads to a record whose title, first author and year agree
        metadata-mismatch  the identifier or title leads to a different paper, or the authors, year or subtitle differ
        likely-fabricated  at least two services answered cleanly and none knows the paper
        unverified         fewer than two services answered (unreachable, 429/5xx, timeouts): never "fabricated"

Identifiers first (arXiv: arXiv id_list, then Semantic Scholar; DOI: Crossref, then OpenAlex), then a
title search across all four. Answers are cached per (service, query) in `lookups` (the run's
Cache): found 30 days, not found 7; failures never. Text in messages comes from the network:
the renderer must escape it.
"""

from __future__ import annotations

import os
import re
import threading
import time
import unicodedata
from dataclasses import dataclass
from typing import Any, Callable, Mapping
from urllib.parse import urlencode

from vaultkit.net import HttpClient, NetError

from .reference_types import Reference
from .services import SERVICES  # noqa: F401  (re-exported: where the services answer)

from . import scholar_apis as apis
from .scholar_apis import Call, Record

DAY = 24 * 3600
FOUND_TTL, MISSING_TTL = 30 * DAY, 7 * DAY
TITLE_MATCH = 0.92  # rapidfuzz ratio on normalised titles
YEAR_SLACK = 1  # a preprint and its proceedings version are often a year apart
NAMES = {"arxiv": "arXiv", "crossref": "Crossref", "openalex": "OpenAlex", "semantic_scholar": "Semantic Scholar"}
S2_KEY_ENV = "SEMANTIC_SCHOLAR_API_KEY"  # a key only ever comes from the environment


class RateLimiter:
    """At most one request per `interval` seconds, across threads; `clock` and `sleep` are injectable."""

    def __init__(self, interval: float, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.interval, self.clock, self.sleep = interval, clock, sleep
        self._next: float | None = None
        self._lock = threading.Lock()

    def wait(self) -> None:
        """Block until this caller may send; the lock is held while sleeping, so callers queue in order."""
        with self._lock:
            now = self.clock()
            if self._next is not None and now < self._next:
                self.sleep(self._next - now)
                now = self._next
            self._next = now + self.interval


# Published limits: arXiv "no more than one request every three seconds" (API Terms of Use);
# Semantic Scholar 1 request/s per key; Crossref polite pool 10/s; OpenAlex 10/s.
LIMITS: dict[str, RateLimiter] = {
    "arxiv": RateLimiter(3.0), "semantic_scholar": RateLimiter(1.0),
    "crossref": RateLimiter(0.1), "openalex": RateLimiter(0.1),
}


@dataclass(frozen=True)
class Verdict:
    """What the services say about one reference."""

    status: str  # "ok" | "metadata-mismatch" | "likely-fabricated" | "unverified"
    message: str  # names the reference (ref.label), what is wrong, and the record found
    record: Record | None  # the record found: title, authors (surnames), year, arxiv, doi, url, source


def checkable(ref: Reference) -> bool:
    """Worth a lookup: an identifier, or an APA-like title with authors and year (not a web page's title)."""
    return bool(ref.arxiv or ref.doi or (ref.title and ref.authors and ref.year))


def norm(text: str) -> str:
    """Casefolded, accents dropped, punctuation to spaces: the form titles and names are compared in."""
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^\w]+|_", " ", text.casefold()).split())


def _main(title: str) -> str:
    """The main title, before a subtitle's colon."""
    return norm(title.split(":", 1)[0])


def same_person(a: str, b: str) -> bool:
    """Surnames agree, spaces, hyphens and accents aside ("Garcia-Lopez" ~ "García López", "van Gogh" ~ "Gogh")."""
    x, y = norm(a), norm(b)
    return bool(x and y) and (x.replace(" ", "") == y.replace(" ", "") or x.split()[-1] == y.split()[-1])


@dataclass(frozen=True)
class Fit:
    """How one record compares with the reference; None means "nothing to compare"."""

    record: Record
    title: bool  # the title matches (a cited title without subtitle may match the main title)
    subtitle_only: bool  # the main titles match but the subtitles differ
    author: bool | None
    year: bool | None

    @property
    def rank(self) -> int:
        """4 agrees in full, 3 year differs, 2 subtitle differs, 1 title right but authors wrong, 0 unrelated."""
        if self.title:
            return 1 if self.author is False else 4 if self.year is not False else 3
        return 2 if self.subtitle_only and self.author is not False else 0


def fit(ref: Reference, rec: Record) -> Fit:
    """Compare title (rapidfuzz), first-author surname and year."""
    from rapidfuzz import fuzz

    def close(a: str, b: str) -> bool:
        return bool(a and b) and fuzz.ratio(a, b) / 100 >= TITLE_MATCH

    cited, found = ref.title, str(rec.get("title") or "")
    title = close(norm(cited), norm(found)) or (":" not in cited and close(norm(cited), _main(found)))
    mains = len(_main(cited).split()) >= 3 and close(_main(cited), _main(found))
    authors = rec.get("authors") or []
    author = same_person(ref.authors[0], authors[0]) if ref.authors and authors else None
    year = abs(ref.year - rec["year"]) <= YEAR_SLACK if ref.year and rec.get("year") else None
    return Fit(rec, title, mains and not title, author, year)


def describe(rec: Record) -> str:
    """'"Title", Surname et al. (2020), https://…' for a message."""
    authors = rec.get("authors") or []
    who = f"{authors[0]}{' et al.' if len(authors) > 1 else ''}" if authors else "unknown authors"
    when = f" ({rec['year']})" if rec.get("year") else ""
    return f'"{rec.get("title")}", {who}{when}, {rec.get("url") or NAMES.get(rec.get("source", ""), "")}'


class Lookups:
    """The services for one reference: cache first, then the rate-limited network; remembers who answered."""

    def __init__(self, client: HttpClient | None, options: Mapping[str, Any], cache: Any | None) -> None:
        self.client, self.options, self.cache = client, options, cache
        self.answered: set[str] = set()  # services that answered cleanly (found or not)
        self.failures: dict[str, str] = {}
        self.clean = 0  # clean answers so far (from the cache or the network)

    def _call(self, service: str, kind: str, query: str) -> Call:
        o = self.options
        builders: dict[tuple[str, str], Callable[[str, str], Call]] = {
            ("arxiv", "id"): apis.arxiv_by_id, ("arxiv", "title"): apis.arxiv_by_title,
            ("arxiv", "authors"): lambda b, q: apis.arxiv_by_authors(b, q.split("|")),
            ("semantic_scholar", "arxiv"): apis.s2_by_arxiv, ("semantic_scholar", "title"): apis.s2_by_title,
            ("crossref", "doi"): apis.crossref_by_doi, ("crossref", "title"): apis.crossref_by_title,
            ("openalex", "doi"): apis.openalex_by_doi, ("openalex", "title"): apis.openalex_by_title,
        }
        base = str(o.get(f"{service}_url") or "").rstrip("/")
        return builders[(service, kind)](base, query)

    def _headers(self, service: str) -> dict[str, str]:
        headers = {}
        mailto = str(self.options.get("mailto") or "")
        if mailto:  # Crossref's etiquette: say who you are in the User-Agent too
            headers["User-Agent"] = f"{self.client.config.user_agent} (mailto:{mailto})"
        key = os.environ.get(S2_KEY_ENV, "")
        if service == "semantic_scholar" and key:
            headers["x-api-key"] = key
        return headers

    def get(self, service: str, kind: str, query: str,
            found: Callable[[Record], bool] | None = None) -> list[Record] | None:
        """Records for one query ([] = the service answered "no such paper"), or None when it failed.

        The answer is kept 30 days when it holds the paper (any record, or one that `found` accepts:
        a title search always answers something), else 7 days.
        """
        key = f"scholar2:{service}:{kind}:{query}"  # (2: records carry their abstract)
        hit = self.cache.lookup(key) if self.cache is not None else None
        if isinstance(hit, list):
            self.answered.add(service)
            self.clean += 1
            return hit
        if self.client is None:  # an offline run reads the cache only
            self.failures[service] = "offline"
            return None
        call = self._call(service, kind, query)
        params = dict(call.params)
        if self.options.get("mailto") and service in ("crossref", "openalex"):
            params["mailto"] = str(self.options["mailto"])  # their "polite pool"
        url = f"{call.url}?{urlencode(params)}" if params else call.url
        try:  # the service's rate limit paces every try, retries included
            response = self.client.request("GET", url, headers=self._headers(service), pace=LIMITS[service].wait)
        except NetError as exc:
            self.failures[service] = exc.detail
            return None
        try:
            if response.status_code in call.missing:
                records: list[Record] = []
            elif response.status_code == 200:
                records = call.parse(response.content)
            else:
                raise ValueError(f"HTTP {response.status_code}")
        except ValueError as exc:
            self.failures[service] = str(exc)
            return None
        self.answered.add(service)
        self.clean += 1
        if self.cache is not None:
            hit_paper = any(map(found, records)) if found else bool(records)
            self.cache.remember(key, records, FOUND_TTL if hit_paper else MISSING_TTL)
        return records


def _by_identifier(ref: Reference, look: Lookups) -> tuple[Fit | None, str]:
    """The record an identifier resolves to (a second service is asked when the first has none), and its name."""
    idents = [("arXiv:" + ref.arxiv, ref.arxiv, [("arxiv", "id"), ("semantic_scholar", "arxiv")])] if ref.arxiv else []
    if ref.doi:
        idents.append(("doi:" + ref.doi, ref.doi.lower(), [("crossref", "doi"), ("openalex", "doi")]))
    for name, ident, services in idents:
        for service, kind in services:
            records = look.get(service, kind, ident)
            if records:
                return fit(ref, records[0]), name
    return None, idents[0][0] if idents else ""


def _title_search(ref: Reference, look: Lookups) -> Fit | None:
    """The best record for the cited title across the services (stops at one that agrees in full)."""
    words = norm(ref.title)
    hint = " ".join(str(p) for p in (ref.title, ref.authors[0] if ref.authors else "", ref.year or "") if p)
    queries = {"crossref": norm(hint), "openalex": words, "semantic_scholar": words, "arxiv": words}
    order = ["crossref", "openalex", "semantic_scholar", "arxiv"]  # arXiv last: one request per 3 s
    if ref.arxiv:  # a preprint: arXiv and Semantic Scholar know it best
        order.reverse()
    best: Fit | None = None
    for service in order:
        for rec in look.get(service, "title", queries[service], lambda r: fit(ref, r).rank > 0) or []:
            f = fit(ref, rec)
            if f.rank and (best is None or f.rank > best.rank):
                best = f
        if best is not None and best.rank == 4:
            break
    return best


def _same_authors(ref: Reference, look: Lookups, exclude: Record | None) -> Record | None:
    """The cited authors' paper from the cited year on arXiv (first and last author), most authors in common."""
    if len(ref.authors) < 2 or not ref.year:
        return None
    best, common = None, 1
    for rec in look.get("arxiv", "authors", f"{ref.authors[0]}|{ref.authors[-1]}") or []:
        shared = sum(any(same_person(a, b) for b in rec["authors"]) for a in ref.authors)
        if rec.get("year") == ref.year and shared > common and (exclude is None or rec["arxiv"] != exclude.get("arxiv")):
            best, common = rec, shared
    return best


def _problem(ref: Reference, f: Fit, ident: str = "") -> str:
    """What is wrong with a reference whose record was found but does not agree in full."""
    rec = f.record
    if not ref.title or (f.rank == 0 and f.author):  # nothing to compare, or the right paper under another title
        if f.author is False:
            return f"{ident} is by other authors: {describe(rec)}"
        if f.year is False:
            return f"{ident} is from {rec['year']}, not {ref.year}: {describe(rec)}"
        return f"the title differs: {ident} is {describe(rec)}"
    if f.author is False:
        return f"the title belongs to a paper by other authors: {describe(rec)}"
    if not f.title:
        return f"the subtitle differs: the paper is {describe(rec)}"
    return f"it is from {rec['year']}, not {ref.year}: {describe(rec)}"


def verify(ref: Reference, client: HttpClient | None, options: Mapping[str, Any], lookups: Any | None) -> Verdict:
    """Check one reference against arXiv, Crossref, OpenAlex and Semantic Scholar (see the module docstring);
    with no client, from the cache alone."""
    look = Lookups(client, options, lookups)
    if not (ref.arxiv or ref.doi or ref.title):
        return Verdict("unverified", f"{ref.label}: no title or identifier to look up", None)
    by_id, ident = _by_identifier(ref, look)
    if by_id is not None and (not ref.title or by_id.rank or by_id.author):
        if (by_id.rank == 4 or not ref.title) and by_id.author is not False and by_id.year is not False:
            return Verdict("ok", f"{ref.label}: {ident} is {describe(by_id.record)}", by_id.record)
        return Verdict("metadata-mismatch", f"{ref.label}: {_problem(ref, by_id, ident)}", by_id.record)
    # The identifier is missing, unreachable or another paper's: where does the title lead?
    wrong = by_id.record if by_id is not None else None
    lead = f"{ident} is a different paper, {describe(wrong)}; " if wrong else ""
    if ident and wrong is None and look.answered:
        lead = f"there is no paper {ident}; "
    before = look.clean
    best = _title_search(ref, look) if ref.title else None
    if best is not None and best.rank == 4:
        if not lead:
            return Verdict("ok", f"{ref.label}: found {describe(best.record)}", best.record)
        return Verdict("metadata-mismatch", f"{ref.label}: {lead}the cited title is {describe(best.record)}", best.record)
    if best is not None:
        return Verdict("metadata-mismatch", f"{ref.label}: {lead}{_problem(ref, best)}", best.record)
    what = f'"{ref.title}"' if ref.title else ident
    if wrong is None and len(look.answered) < 2:
        why = "; ".join(f"{NAMES[s]}: {d}" for s, d in sorted(look.failures.items())) or "no service answered"
        return Verdict("unverified", f"{ref.label}: could not check ({why})", None)
    other = _same_authors(ref, look, wrong)
    hint = f"; these authors' {ref.year} paper is {describe(other)}" if other else ""
    if wrong is not None:
        searched = f"no paper titled {what} was found" if look.clean > before else "the title could not be searched"
        return Verdict("metadata-mismatch", f"{ref.label}: {lead}{searched}{hint}", other or wrong)
    asked = ", ".join(NAMES[s] for s in sorted(look.answered))
    lead = lead if ref.title else ""
    return Verdict("likely-fabricated", f"{ref.label}: {lead}no paper {what} found in {asked}{hint}", other)
