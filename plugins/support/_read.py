"""A cited source's own words: a page's main text, or a paper's abstract, fetched once and cached.

    page(url, client, lookups, limit) -> Text      through the shared client: the address guard on every
                                                   hop, per-host limits, retries and Retry-After
    paper(source, client, options, lookups) -> Text  the abstract from the scholarly lookups' cache
                                                   (arXiv `summary`, OpenAlex's inverted index, S2 `abstract`)
    cached_page(url, lookups) -> Text | None       what an offline run may use

A page's extracted text is cached compressed for 30 days under `source:URL`. A 404 or 410, a type
that cannot be read and a page over the byte limit are remembered 7 days, as the link check
remembers a dead link; a timeout, a 429, a 5xx or no network is never cached, so the next online
run tries again. Extraction is trafilatura's (no JavaScript is ever run, nothing else is fetched):
navigation, cookie banners, related stories and footers are not the source's words.
"""

from __future__ import annotations

import base64
import codecs
import re
import zlib
from dataclasses import dataclass
from typing import Any, Mapping

DAY = 86400.0
TEXT_TTL = 30 * DAY
GONE_TTL = 7 * DAY  # the link check's lifetime for a dead link
LIMIT = 5_000_000  # bytes of one source, after decompression
READABLE = ("text/html", "application/xhtml+xml", "text/plain", "text/xml", "application/xml")
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_:.-]+)""", re.I)


@dataclass(frozen=True, slots=True)
class Text:
    """A source's words (`status` "ok"), or why there are none: "unavailable" (with `transient` when a
    later run may do better) or "uncached" (an offline run that has not fetched it yet)."""

    status: str
    text: str = ""
    detail: str = ""
    transient: bool = False


def _packed(text: str) -> str:
    return base64.b64encode(zlib.compress(text.encode("utf-8"), 6)).decode("ascii")


def _unpacked(data: str) -> str:
    return zlib.decompress(base64.b64decode(data)).decode("utf-8")


def cached_page(url: str, lookups: Any) -> Text | None:
    """The page's cached answer, or None when the cache has none (or no cache)."""
    hit = lookups.lookup(f"source:{url}") if lookups is not None else None
    if not isinstance(hit, dict):
        return None
    if hit.get("status") == "ok":
        try:
            return Text("ok", _unpacked(str(hit.get("z", ""))))
        except (ValueError, zlib.error, UnicodeDecodeError):
            return None
    return Text("unavailable", "", str(hit.get("detail", "")))


def page(url: str, client: Any, lookups: Any, limit: int = LIMIT) -> Text:
    """The page's main text: from the cache, else fetched, decoded, extracted and remembered."""
    known = cached_page(url, lookups)
    if known is not None:
        return known
    text, ttl = _fetch(url, client, limit)
    if ttl and lookups is not None:
        value = {"status": "ok", "z": _packed(text.text)} if text.status == "ok" else \
            {"status": "unavailable", "detail": text.detail}
        lookups.remember(f"source:{url}", value, ttl)
    return text


def _fetch(url: str, client: Any, limit: int) -> tuple[Text, float | None]:
    """One GET through the guarded client, and how long its answer may be kept."""
    from vaultkit.net import NetError

    try:
        response = client.request("GET", url, limit=limit, types=(*READABLE, ""),  # ('': no type given: sniffed)
                                  headers={"Accept": "text/html,application/xhtml+xml,text/plain;q=0.9,*/*;q=0.1"})
    except NetError as exc:
        if exc.kind == "too-large":
            return Text("unavailable", "", f"too large: {exc.detail}"), GONE_TTL
        if exc.kind in ("redirect-loop", "too-many-redirects"):  # as the link check: a day, sites fix them
            return Text("unavailable", "", exc.detail), DAY
        transient = exc.kind in ("timeout", "connect", "dns")  # (a blocked address depends on config: not kept)
        return Text("unavailable", "", exc.detail, transient=transient), None
    code = response.status_code
    if code in (404, 410):
        return Text("unavailable", "", f"HTTP {code}"), GONE_TTL
    if code == 429 or code >= 500 or code == 408:
        return Text("unavailable", "", f"HTTP {code}", transient=True), None
    if code != 200:
        return Text("unavailable", "", f"HTTP {code}"), GONE_TTL
    header = response.headers.get("Content-Type", "")
    mime = header.split(";", 1)[0].strip().lower()
    if mime and mime not in READABLE:
        return Text("unavailable", "", f"a {mime} document, which is not read"), GONE_TTL
    words = extract(response.content, header, str(response.url))
    if not words.strip():
        return Text("unavailable", "", "no main text found on the page"), GONE_TTL
    return Text("ok", words), TEXT_TTL


def charset(body: bytes, header: str) -> str:
    """The body's encoding: the HTTP header's charset, else a `<meta>` tag's, else a BOM, else UTF-8."""
    m = re.search(r"charset\s*=\s*[\"']?([\w:.-]+)", header, re.I)
    names = [m.group(1)] if m else []
    meta = _META_CHARSET.search(body[:4096])
    if meta:
        names.append(meta.group(1).decode("ascii"))
    if body.startswith(codecs.BOM_UTF8):
        names.insert(0, "utf-8-sig")
    for name in names:
        try:
            found = codecs.lookup(name).name
        except LookupError:
            continue
        # The WHATWG Encoding Standard, which browsers follow: a page labelled Latin-1 or ASCII is windows-1252.
        return "cp1252" if found in ("iso8859-1", "latin-1", "ascii") else found
    return "utf-8"


def extract(body: bytes, header: str, url: str = "") -> str:
    """The document's own words, one paragraph a line: trafilatura for HTML, as is for plain text."""
    text = body.decode(charset(body, header), errors="replace")
    mime = header.split(";", 1)[0].strip().lower()
    if mime == "text/plain" or (not mime and "<" not in text[:512]):
        return "\n".join(" ".join(line.split()) for line in text.replace("\r\n", "\n").split("\n\n"))
    if mime in ("text/xml", "application/xml") and "<html" not in text[:2048].lower():
        return _xml_text(text)
    import trafilatura  # (imported only when a page is extracted: never on a cached or offline run)

    found = trafilatura.extract(text, url=url or None, include_comments=False, include_tables=True,
                                include_links=False, include_images=False, favor_precision=True, deduplicate=False)
    return found or ""


def _xml_text(text: str) -> str:
    """Plain XML: its character data (a DTD is refused, so no entity can expand)."""
    import xml.etree.ElementTree as ET

    if "<!DOCTYPE" in text or "<!ENTITY" in text:
        return ""
    try:
        root = ET.fromstring(text)
    except ET.ParseError:
        return ""
    return "\n".join(" ".join(t.split()) for t in root.itertext() if t.strip())


def paper(kind: str, ident: str, ref: Any, client: Any, options: Mapping[str, Any], lookups: Any) -> Text:
    """A paper's abstract, from the scholarly services the citations pass asks (and their cache)."""
    from vaultkit_plugins.text.scholar import Lookups, verify

    look = Lookups(client, options, lookups)
    records: list[dict[str, Any]] = []
    if kind == "arxiv":
        records = (look.get("arxiv", "id", ident) or []) + (look.get("semantic_scholar", "arxiv", ident) or [])
    elif kind == "doi":
        records = look.get("crossref", "doi", ident) or []
        if not any(r.get("abstract") for r in records):
            records += look.get("openalex", "doi", ident) or []
    elif ref is not None:
        verdict = verify(ref, client, options, lookups)
        if verdict.status == "ok" and verdict.record:
            records = [verdict.record]
            rec = verdict.record
            if not rec.get("abstract") and rec.get("arxiv"):
                records += look.get("arxiv", "id", str(rec["arxiv"])) or []
            elif not rec.get("abstract") and rec.get("doi"):
                records += look.get("openalex", "doi", str(rec["doi"])) or []
        elif verdict.status != "unverified":
            return Text("unavailable", "", "no such paper was found")
    for rec in records:
        if rec.get("abstract"):
            return Text("ok", str(rec["abstract"]))
    if records:
        return Text("unavailable", "", "the paper's record has no abstract")
    if client is None:
        return Text("uncached")
    if look.failures and not look.answered:
        why = "; ".join(sorted(set(look.failures.values())))
        return Text("unavailable", "", f"no service answered ({why})", transient=True)
    return Text("unavailable", "", "no such paper was found")
