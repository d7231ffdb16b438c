"""From a claim to what it cites: the URL, DOI, arXiv ID or scholarly reference behind each of its
markers, footnotes, author-year mentions, links and the bracketed reference after it.

Everything is read from the citation parser's `Citations` of the target (parsed once per note) and
the claim's own sentence; nothing here parses a reference list again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from vaultkit import Note
from vaultkit_plugins.text.claims import Claim, Found
from vaultkit_plugins.text.reference_types import Citations, Reference
from vaultkit_plugins.text.references import arxiv_ids, dois, find_urls, footnote_labels, marker_numbers, mask

_ARXIV_URL = re.compile(r"^https?://(?:www\.|export\.)?arxiv\.org/(?:abs|pdf)/([^?#]+?)(?:v\d+)?(?:\.pdf)?/?$", re.I)
_DOI_URL = re.compile(r"^https?://(?:dx\.)?doi\.org/(10\.\d{4,9}/\S+)$", re.I)
MAX_PER_CLAIM = 3  # sources checked for one claim: more markers than that is a list, not a citation


@dataclass(frozen=True, slots=True)
class Source:
    """One thing a claim cites: `kind` url | arxiv | doi | reference, and how the sentence cites it."""

    kind: str
    ident: str  # the URL, the arXiv ID, the DOI, or the reference's label
    marker: str  # "[3]", "[^2]", "Kaplan et al. (2020)", the link, "the reference after it"
    reference: Reference | None = None

    @property
    def name(self) -> str:
        """How a message names it: the URL, `arXiv:ID`, `doi:ID`, or the reference."""
        return {"arxiv": "arXiv:", "doi": "doi:"}.get(self.kind, "") + self.ident


def from_url(url: str, marker: str, ref: Reference | None = None) -> Source:
    """A link to an arXiv abstract or a doi.org address is that paper: its abstract is read, not its page."""
    m = _ARXIV_URL.match(url)
    if m:
        return Source("arxiv", m.group(1), marker, ref)
    m = _DOI_URL.match(url)
    if m:
        return Source("doi", m.group(1).rstrip(".,;)").lower(), marker, ref)
    return Source("url", url, marker, ref)


def from_reference(ref: Reference, marker: str) -> Source | None:
    """A reference's identifier first, then its URL, then the reference itself (resolved by title)."""
    if ref.arxiv:
        return Source("arxiv", ref.arxiv, marker, ref)
    if ref.doi:
        return Source("doi", ref.doi.lower(), marker, ref)
    if ref.urls:
        return from_url(ref.urls[0], marker, ref)
    if ref.title and ref.authors and ref.year:
        return Source("reference", ref.label, marker, ref)
    return None


def sources(note: Note, cites: Citations, found: Found, claim: Claim) -> list[Source]:
    """What the claim's own sentence cites, in the order it cites them (each once, at most MAX_PER_CLAIM)."""
    unit = claim.unit
    text = unit.text
    lines = range(unit.line, max(unit.end_line, unit.line) + 1)
    out: list[Source] = []

    def add(source: Source | None) -> None:
        if source is not None and all((s.kind, s.ident) != (source.kind, source.ident) for s in out):
            out.append(source)

    numbered = {(r.scope, r.number): r for r in cites.references if r.number is not None}
    for number in marker_numbers(text):
        scope = next((m.scope for m in cites.markers if m.number == number and m.line in lines), None)
        ref = numbered.get((scope, number)) if scope is not None else None
        if ref is not None:
            add(from_reference(ref, f"[{number}]"))
    for label in footnote_labels(text):
        add(_footnote(note, label))
    for ref in cites.references:  # an inline `[Author, A. (2020). Title.]` inside the sentence
        if ref.style == "inline" and ref.line in lines and ref.text in text:
            add(from_reference(ref, "the reference in the sentence"))
    for mention in cites.mentions:
        if mention.line in lines and mention.text in text:
            ref = next((r for r in cites.references if r.authors and r.year == mention.year
                        and r.authors[0].casefold() == mention.surname.casefold()), None)
            if ref is not None:
                add(from_reference(ref, mention.text))
    masked = mask(text)
    for url in find_urls(masked):
        add(from_url(url, url))
    for ident in arxiv_ids(masked):
        add(Source("arxiv", ident, f"arXiv:{ident}"))
    for ident in dois(masked):
        add(Source("doi", ident.lower(), f"doi:{ident}"))
    after = _after(found, claim)
    if after is not None:
        for ref in cites.references:
            if ref.style == "inline" and ref.text in after:
                add(from_reference(ref, "the reference after it"))
                break
    return out[:MAX_PER_CLAIM]


def _after(found: Found, claim: Claim) -> str | None:
    """The text of the bracketed reference that follows the claim in its paragraph, if one does."""
    from vaultkit_plugins.text.claims import Cover

    j = Cover(found.units, True).referenced(claim.index)
    return found.units[j].text if j is not None else None


def _footnote(note: Note, label: str) -> Source | None:
    """The first URL or identifier in the definition of footnote `label` (`[^label]: …`), anywhere in the note."""
    head = f"[^{label}]:"
    for line in note.lines:
        stripped = line.lstrip(" >")
        if stripped.startswith(head):
            rest = stripped[len(head):]
            ids = arxiv_ids(rest)
            if ids:
                return Source("arxiv", ids[0], f"[^{label}]")
            found = dois(rest)
            if found:
                return Source("doi", found[0].lower(), f"[^{label}]")
            urls = find_urls(rest)
            return from_url(urls[0], f"[^{label}]") if urls else None
    return None
