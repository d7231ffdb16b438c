"""The four scholarly APIs for `_scholar`: how to ask each one, and how to read its answer.

A parser turns one response body into records: plain JSON-able dicts (so they can be cached)

    {"title", "authors" (surnames, in order), "year", "arxiv", "doi", "url", "source", "abstract"}

("abstract": the plain text of the record's abstract, or '' when the service gave none: the support pass
reads it as the paper's own words.)

and raises ValueError when the body is not what the API documents, so the caller counts the
lookup as failed (never as "not found"). Formats:
    arXiv             Atom 1.0 + arxiv: extension  https://info.arxiv.org/help/api/user-manual.html
    Crossref          {"message": work} or {"message": {"items": [work]}}  https://api.crossref.org/swagger-ui
    OpenAlex          work or {"results": [work]}  https://docs.openalex.org/api-entities/works/work-object
    Semantic Scholar  paper or {"data": [paper]} (match)  https://api.semanticscholar.org/api-docs/graph
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any, Callable
from urllib.parse import quote

Record = dict[str, Any]
Parser = Callable[[bytes], list[Record]]

ATOM = "{http://www.w3.org/2005/Atom}"
ARXIV = "{http://arxiv.org/schemas/atom}"
S2_FIELDS = "title,authors,year,externalIds,url,abstract"
# Name particles that belong to the surname: "Ludwig van Beethoven" -> "van Beethoven".
_PARTICLES = frozenset("van von der den de del della di da le la du dos das ter ten".split())
_SUFFIXES = frozenset("jr sr ii iii iv".split())
_ARXIV_DOI = re.compile(r"^10\.48550/arxiv\.(.+)$", re.I)  # arXiv's own (DataCite) DOIs


@dataclass(frozen=True)
class Call:
    """One GET: where, with which query parameters, how to read a 200, and which statuses mean "no such paper"."""

    url: str
    params: dict[str, str]
    parse: Parser
    missing: frozenset[int] = field(default=frozenset({404}))


def surname(name: str) -> str:
    """The family name in "Given Family", "Family, Given" or "Given van Family" (suffixes dropped)."""
    name = " ".join(name.split())
    if "," in name:
        return name.split(",", 1)[0].strip()
    parts = [p for p in name.split(" ") if p.strip(".").lower() not in _SUFFIXES]
    if not parts:
        return ""
    start = len(parts) - 1
    while start > 0 and parts[start - 1].lower() in _PARTICLES:
        start -= 1
    return " ".join(parts[start:])


def record(source: str, title: str, authors: list[str], year: int | None, *,
           arxiv: str | None = None, doi: str | None = None, url: str | None = None, abstract: str = "") -> Record:
    """A record with a canonical link: arXiv abstract page, else doi.org, else the service's own page."""
    doi = doi.lower().removeprefix("https://doi.org/") if doi else None
    if doi and not arxiv and (m := _ARXIV_DOI.match(doi)):
        arxiv = m.group(1)
    link = f"https://arxiv.org/abs/{arxiv}" if arxiv else f"https://doi.org/{doi}" if doi else url
    return {"title": " ".join(title.split()), "authors": [a for a in authors if a], "year": year,
            "arxiv": arxiv, "doi": doi, "url": link, "source": source, "abstract": " ".join(abstract.split())}


_TAG = re.compile(r"<[^>]+>")


def _jats(text: Any) -> str:
    """Crossref's abstract is JATS XML: its words without the tags (a leading "Abstract" title dropped)."""
    import html

    if not isinstance(text, str):
        return ""
    words = html.unescape(_TAG.sub(" ", text)).strip()
    return words[len("Abstract"):].lstrip(" .:") if words.startswith("Abstract") else words


def inverted(index: Any) -> str:
    """OpenAlex's `abstract_inverted_index` ({word: [positions]}) back into its text."""
    if not isinstance(index, dict):
        return ""
    at: dict[int, str] = {}
    for word, places in index.items():
        for i in places if isinstance(places, list) else ():
            if isinstance(i, int) and 0 <= i < 100_000:
                at[i] = str(word)
    return " ".join(at[i] for i in sorted(at))


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError as exc:
        raise ValueError(f"not JSON: {exc}") from exc


def _year(value: Any) -> int | None:
    return value if isinstance(value, int) and 1000 < value < 3000 else None


# --- arXiv -------------------------------------------------------------------------------------


def parse_arxiv(body: bytes) -> list[Record]:
    """Entries of an arXiv Atom feed. Throttling ("Rate exceeded.") and `Error` entries raise ValueError.

    A DOCTYPE is refused outright: ElementTree never fetches external entities, and with no DTD
    there are no internal entities to expand either (so no "billion laughs"), no defusedxml needed.
    """
    if b"<!DOCTYPE" in body or b"<!ENTITY" in body:
        raise ValueError("arXiv feed with a DTD")
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        raise ValueError(f"not an Atom feed: {body[:60]!r}") from exc
    if root.tag != f"{ATOM}feed":
        raise ValueError(f"not an Atom feed: <{root.tag}>")
    out = []
    for entry in root.findall(f"{ATOM}entry"):
        ident = (entry.findtext(f"{ATOM}id") or "").strip()
        title = entry.findtext(f"{ATOM}title") or ""
        if "/api/errors" in ident:  # a malformed query: HTTP 200 with one entry titled "Error"
            raise ValueError(f"arXiv error: {(entry.findtext(f'{ATOM}summary') or title).strip()}")
        m = re.search(r"arxiv\.org/abs/(.+?)(?:v\d+)?$", ident)
        if not m or not title.strip():
            continue  # older API versions answered an unknown ID with one empty entry
        published = (entry.findtext(f"{ATOM}published") or "")[:4]
        names = [a.findtext(f"{ATOM}name") or "" for a in entry.findall(f"{ATOM}author")]
        out.append(record("arxiv", title, [surname(n) for n in names], int(published) if published.isdigit() else None,
                          arxiv=m.group(1), doi=entry.findtext(f"{ARXIV}doi"),
                          abstract=entry.findtext(f"{ATOM}summary") or ""))
    return out


def arxiv_by_id(base: str, ident: str) -> Call:
    return Call(base, {"id_list": ident, "max_results": "1"}, parse_arxiv)


def arxiv_by_title(base: str, words: str) -> Call:
    """A phrase search in titles; `words` is the normalised title (no quotes or colons to escape)."""
    return Call(base, {"search_query": f'ti:"{words}"', "max_results": "5"}, parse_arxiv)


def arxiv_by_authors(base: str, surnames: list[str]) -> Call:
    query = " AND ".join(f'au:"{s}"' for s in surnames)
    return Call(base, {"search_query": query, "max_results": "20"}, parse_arxiv)


# --- Crossref ----------------------------------------------------------------------------------


def _crossref_year(item: dict[str, Any]) -> int | None:
    for key in ("issued", "published", "published-print", "published-online"):
        parts = (item.get(key) or {}).get("date-parts") or [[None]]
        if parts and parts[0] and _year(parts[0][0]):
            return int(parts[0][0])
    return None


def _crossref_item(item: Any) -> Record | None:
    if not isinstance(item, dict) or not item.get("title"):
        return None
    people = item.get("author") or item.get("editor") or []  # an edited book has editors only
    authors = [p.get("family") or surname(p.get("name", "")) for p in people if isinstance(p, dict)]
    return record("crossref", str(item["title"][0]), authors, _crossref_year(item), doi=item.get("DOI"), url=item.get("URL"),
                  abstract=_jats(item.get("abstract")))


def _crossref_message(body: bytes) -> dict[str, Any]:
    data = _json(body)
    message = data.get("message") if isinstance(data, dict) else None
    if not isinstance(message, dict):
        raise ValueError("Crossref answer without a message")
    return message


def parse_crossref_work(body: bytes) -> list[Record]:
    found = _crossref_item(_crossref_message(body))
    return [found] if found else []


def parse_crossref_list(body: bytes) -> list[Record]:
    items = _crossref_message(body).get("items")
    if not isinstance(items, list):
        raise ValueError("Crossref work list without items")
    return [r for r in map(_crossref_item, items) if r]


def crossref_by_doi(base: str, doi: str) -> Call:
    return Call(f"{base}/{quote(doi, safe='')}", {}, parse_crossref_work)  # Crossref asks for encoded DOIs


def crossref_by_title(base: str, text: str) -> Call:
    """`query.bibliographic` is Crossref's matcher for whole reference strings (title, author, year)."""
    return Call(base, {"query.bibliographic": text, "rows": "5"}, parse_crossref_list)


# --- OpenAlex ----------------------------------------------------------------------------------


def _openalex_work(work: Any) -> Record | None:
    if not isinstance(work, dict) or not (work.get("title") or work.get("display_name")):
        return None
    names = [((a.get("author") or {}).get("display_name") or a.get("raw_author_name") or "")
             for a in work.get("authorships") or [] if isinstance(a, dict)]
    ids = work.get("ids") or {}
    arxiv = None
    for loc in work.get("locations") or []:
        m = re.search(r"arxiv\.org/abs/([^/?#]+?)(?:v\d+)?$", str((loc or {}).get("landing_page_url") or ""))
        arxiv = arxiv or (m.group(1) if m else None)
    return record("openalex", str(work.get("title") or work.get("display_name")), [surname(n) for n in names],
                  _year(work.get("publication_year")), arxiv=arxiv, doi=ids.get("doi") or work.get("doi"),
                  url=ids.get("openalex") or work.get("id"), abstract=inverted(work.get("abstract_inverted_index")))


def parse_openalex_work(body: bytes) -> list[Record]:
    found = _openalex_work(_json(body))
    return [found] if found else []


def parse_openalex_list(body: bytes) -> list[Record]:
    data = _json(body)
    if not isinstance(data, dict) or not isinstance(data.get("results"), list):
        raise ValueError("OpenAlex answer without results")
    return [r for r in map(_openalex_work, data["results"]) if r]


def openalex_by_doi(base: str, doi: str) -> Call:
    return Call(f"{base}/doi:{quote(doi, safe='/')}", {}, parse_openalex_work)


def openalex_by_title(base: str, title: str) -> Call:
    return Call(base, {"search": title, "per-page": "5"}, parse_openalex_list)


# --- Semantic Scholar --------------------------------------------------------------------------


def _s2_paper(paper: Any) -> Record | None:
    if not isinstance(paper, dict) or not paper.get("title"):
        return None
    ext = paper.get("externalIds") or {}
    names = [a.get("name") or "" for a in paper.get("authors") or [] if isinstance(a, dict)]
    return record("semantic_scholar", str(paper["title"]), [surname(n) for n in names], _year(paper.get("year")),
                  arxiv=ext.get("ArXiv"), doi=ext.get("DOI"), url=paper.get("url"),
                  abstract=paper.get("abstract") if isinstance(paper.get("abstract"), str) else "")


def parse_s2_paper(body: bytes) -> list[Record]:
    found = _s2_paper(_json(body))
    return [found] if found else []


def parse_s2_match(body: bytes) -> list[Record]:
    data = _json(body)
    if not isinstance(data, dict) or not isinstance(data.get("data"), list):
        raise ValueError("Semantic Scholar match without data")
    return [r for r in map(_s2_paper, data["data"]) if r]


def s2_by_arxiv(base: str, ident: str) -> Call:
    return Call(f"{base}/paper/ARXIV:{ident}", {"fields": S2_FIELDS}, parse_s2_paper)


def s2_by_title(base: str, title: str) -> Call:
    """The title matcher answers its single best match, or 404 "Title match not found"."""
    return Call(f"{base}/paper/search/match", {"query": title, "fields": S2_FIELDS}, parse_s2_match)
