"""`citations`: structural checks of markers, reference lists and identifiers in AI text."""

from __future__ import annotations

import html
import re
from collections import Counter
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from typing import Sequence

from vaultkit import Context, Display, Finding, Note, PassResult, Target, line_ref, task
from vaultkit_plugins.text.prose import target_lines
from vaultkit_plugins.text.quoting import escape
from vaultkit_plugins.text.reference_types import Citations, Reference
from vaultkit_plugins.text.references import may_cite, parse, source_line
from vaultkit_plugins.text.services import SERVICES

from ._identifiers import arxiv_date, arxiv_problem, doi_problem, url_problem

SEVERITY = {
    "dangling-marker": "warning",
    "unused-reference": "info",
    "duplicate-reference": "warning",
    "malformed-url": "warning",
    "malformed-identifier": "warning",
    "year-mismatch": "warning",
    "arxiv-id-mismatch": "warning",
    "source-mismatch": "warning",
}
OPTIONS = {
    "check_links": True,
    "verify_metadata": True,
    **SERVICES,
    "source_overlap": 0.2,
    "dead_after_days": 2,
}
_STOP = set(
    "the and for with from that this into over under about your you are was were has have had how why what "
    "when who will can its our out new com www html htm php amp utm index page post article blog news story "
    "based original".split()
)


class CitationsPass:
    """Checks citation markers, reference lists, identifiers and source lines in AI text."""

    version = "4"
    featured_properties = ("problems",)  # what the Properties panel shows by default
    options = OPTIONS
    online = True  # its results depend on the network: the pipeline does not cache them when online

    def analyze(self, note: Note, ctx: Context) -> PassResult:
        """Offline structural checks for every target; one callout per target with problems."""
        unknown = set(ctx.options) - set(OPTIONS)
        if unknown:
            raise ValueError(f"unknown option(s) in [passes.citations]: {', '.join(sorted(unknown))}")
        findings: list[Finding] = []
        displays: list[Display] = []
        total_refs = total_markers = 0
        threshold = float(ctx.options.get("source_overlap", OPTIONS["source_overlap"]))
        options = {**OPTIONS, **ctx.options}
        whole = [t for t in note.targets if t.kind == "note"]
        for target in whole or note.targets:  # a whole AI note already covers its callouts
            if not may_cite(note, target):
                continue
            cites = parse(note, target)
            total_refs += len(cites.references)
            total_markers += len(cites.markers)
            found = check(note, target, cites, threshold)
            if ctx.net is not None:  # (the online checks load only on an online run: hooks start faster)
                from ._online import link_findings, metadata_findings
            if ctx.net is not None and options["check_links"]:
                found = sorted(found + link_findings(cites.urls, ctx.net, ctx.lookups, int(options["dead_after_days"])),
                               key=lambda f: (f.line, f.kind))
            if ctx.net is not None and options["verify_metadata"]:
                found += metadata_findings(cites.references, ctx.net, options, ctx.lookups)
                found.sort(key=lambda f: (f.line, f.kind))
            findings += found
            if found:
                displays.append(Display(target, render(found), "Problems", section="problems"))
        props: dict[str, int] = {}
        if note.targets:
            # (no `problems: 0` on every AI note: a property the Properties panel shows must say something)
            problems = len(_problems(findings, ctx.dismissed))
            props = {"references": total_refs, "markers": total_markers, **({"problems": problems} if problems else {})}
        # A link failing for the first time since it was alive is asked again the next day, note unchanged or not.
        soon = any(f.kind == "unreachable-link" and f.data.get("code") in (404, 410) for f in findings)
        return PassResult(tuple(findings), tuple(displays), props, recheck_after=86400.0 if soon else None)

    def headline(self, findings: Sequence[Finding], dismissed: Sequence[Finding] = ()) -> str:
        """"2 problems": the warnings a reader has not dismissed (an unused entry is not one)."""
        n = len(_problems(findings))
        return f"{n} problem{'s' if n != 1 else ''}" if n else ""


def _problems(findings: Sequence[Finding], dismissed: frozenset[str] = frozenset()) -> list[Finding]:
    return [f for f in findings if f.severity != "info" and (not dismissed or f.key not in dismissed)]


def check(note: Note, target: Target, cites: Citations, threshold: float = 0.2) -> list[Finding]:
    """Every offline problem in one target, ordered by line."""
    out: list[Finding] = []
    out += _markers(cites)
    out += _duplicates(cites.references)
    out += _identifiers(note, target, cites)
    out += _years(cites)
    out += _source(note, target, threshold)
    return sorted(out, key=lambda f: (f.line, f.kind))


def _finding(kind: str, line: int, message: str, **data: Any) -> Finding:
    return Finding(kind, SEVERITY[kind], line, line, message, data)  # type: ignore[arg-type]


def _markers(cites: Citations) -> list[Finding]:
    """Markers against the list they cite; entries of a list no marker cites."""
    entries = {(r.scope, r.number): r for r in cites.references if r.number is not None}
    out = []
    reported: set[tuple[int, int]] = set()
    for m in cites.markers:
        key = (m.scope, m.number)
        if key not in entries and key not in reported:
            reported.add(key)
            where = "the reference list" if entries else "any reference list"
            out.append(_finding("dangling-marker", m.line, f"[{m.number}] has no entry in {where}", marker=m.number))
    if cites.markers:
        cited = {(m.scope, m.number) for m in cites.markers}
        for key, ref in sorted(entries.items()):
            if key not in cited:
                out.append(_finding("unused-reference", ref.line, f"{ref.label} is never cited in the text",
                                    reference=ref.number))
    return out


def normal_url(url: str) -> str:
    """A URL without the differences that do not make it another page."""
    parts = urlsplit(url.strip())
    query = urlencode(sorted((k, v) for k, v in parse_qsl(parts.query) if not k.lower().startswith("utm_")))
    host = (parts.hostname or "").lower().removeprefix("www.")
    return urlunsplit(("https", host, parts.path.rstrip("/"), query, ""))


def normal_title(title: str) -> str:
    """Case, punctuation and spacing do not make a different title."""
    return " ".join(re.sub(r"[^\w\s]", " ", title.casefold()).split())


def _duplicates(refs: tuple[Reference, ...]) -> list[Finding]:
    """Two entries of one list (or two inline references) that are the same source."""
    out = []
    seen_url: dict[tuple[int, str], Reference] = {}
    seen_title: dict[tuple[int, str], Reference] = {}
    for ref in refs:
        dup = None
        for url in ref.urls:
            key = (ref.scope, normal_url(url))
            if key in seen_url and seen_url[key] is not ref:
                dup = (seen_url[key], "the same URL")
                break
            seen_url.setdefault(key, ref)
        title_words = normal_title(ref.title)
        title = (ref.scope, title_words)
        if dup is None and len(title_words.split()) >= 3:
            if title in seen_title:
                dup = (seen_title[title], "the same title")
            seen_title.setdefault(title, ref)
        if dup:
            first, why = dup
            name = f"[{first.number}]" if first.number is not None else f"the reference on line {first.line}"
            out.append(_finding("duplicate-reference", ref.line, f"{ref.label} has {why} as {name}",
                                other_line=first.line, other=first.number))
    return out


def _identifiers(note: Note, target: Target, cites: Citations) -> list[Finding]:
    out = []
    seen: set[tuple[str, int]] = set()
    for url, line in cites.urls:
        problem = url_problem(url)
        if problem and (url, line) not in seen:
            seen.add((url, line))
            out.append(_finding("malformed-url", line, f"{url} — {problem}", url=url))
    for token, line in cites.typos:
        out.append(_finding("malformed-url", line, f"{token} — the scheme should be http:// or https://", url=token))
    for kind, ident, line in dict.fromkeys(cites.identifiers):
        problem = arxiv_problem(ident) if kind == "arxiv" else doi_problem(ident)
        if problem:
            owner = next((r for r in cites.references if r.line <= line <= r.end_line), None)
            name = f"arXiv:{ident}" if kind == "arxiv" else f"doi:{ident}"
            where = f" in {owner.label}" if owner else ""
            out.append(_finding("malformed-identifier", owner.line if owner else line,
                                f"{name}{where} — {problem}", identifier=name))
    for ref in cites.references:
        if ref.arxiv and not arxiv_problem(ref.arxiv):
            if ref.year and (date := arxiv_date(ref.arxiv)) and date[0] > ref.year:
                out.append(_finding(
                    "arxiv-id-mismatch", ref.line,
                    f"arXiv:{ref.arxiv} was issued in {date[0]}-{date[1]:02d}, after the cited year {ref.year} "
                    f"({ref.label})", identifier=f"arXiv:{ref.arxiv}", cited_year=ref.year))
    return out


def _years(cites: Citations) -> list[Finding]:
    """An author-year mention whose author's reference gives another year."""
    by_author: dict[str, set[int]] = {}
    for ref in cites.references:
        if ref.authors and ref.year:
            by_author.setdefault(ref.authors[0].casefold(), set()).add(ref.year)
    out = []
    for m in cites.mentions:
        years = by_author.get(m.surname.casefold())
        if years and m.year not in years:
            listed = ", ".join(str(y) for y in sorted(years))
            out.append(_finding("year-mismatch", m.line,
                                f"{m.text} — the reference by {m.surname} gives {listed}",
                                mention=m.text, reference_year=sorted(years)))
    return out


def _words(text: str) -> list[str]:
    return [_stem(w) for w in re.findall(r"[a-z]{3,}", text.casefold()) if w not in _STOP]


def _stem(word: str) -> str:
    for suffix in ("ing", "ies", "es", "ed", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def _source(note: Note, target: Target, threshold: float) -> list[Finding]:
    """A "based on the original article at URL" line whose URL is about something else."""
    rows = target_lines(note, target)
    out = []
    for line, text in rows:
        url = source_line(text)
        if not url:
            continue
        path = urlsplit(url).path
        slug = max((seg for seg in path.split("/") if seg), key=len, default="")
        slug_words = set(_words(re.sub(r"[-_+.]", " ", slug)))
        if len(slug_words) < 3:
            continue
        body = Counter(w for ln, t in rows if ln != line for w in _words(t))
        shared = {w for w in slug_words if body[w] > 0}
        overlap = len(shared) / len(slug_words)
        if overlap < threshold:
            out.append(_finding("source-mismatch", line,
                                f"the source {url} is about '{' '.join(sorted(slug_words))}', which this text never "
                                "mentions", url=url, overlap=round(overlap, 2)))
    return out


def render(findings: list[Finding]) -> str:
    """One line per finding, a box to tick off for each problem (a message quotes the note and the
    network: it is shown as written, entities decoded, and made inert)."""
    rows = []
    for f in findings:
        text = f"{f.kind.replace('-', ' ')}: {escape(html.unescape(f.message))} (line {line_ref(f.line)})"

        rows.append(task(f, text) if f.severity != "info" else f"- {text}")
    return "\n".join(rows)

