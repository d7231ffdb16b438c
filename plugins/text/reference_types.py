"""What the citation parser finds in AI text: markers, references and identifiers, with note lines."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Marker:
    """A numbered citation marker like `[3]` in the text (one per number, so `[1, 2]` gives two)."""

    number: int
    line: int  # 1-based line of note.lines
    scope: int = 0  # which numbered list it cites: the next one after it (or the last one)


@dataclass(frozen=True, slots=True)
class Reference:
    """One entry of a reference list, or one inline bracketed reference, or a source line."""

    style: str  # "numbered" (`[n] …` list entry), "inline" (`[Author, A. (2020). Title…]`), "source"
    line: int  # 1-based line of note.lines where the entry starts
    end_line: int
    text: str  # the entry as written, without its `[n]` and without line breaks
    number: int | None = None  # for numbered entries
    title: str = ""
    authors: tuple[str, ...] = ()  # surnames, in order, as written
    year: int | None = None
    urls: tuple[str, ...] = ()
    doi: str | None = None
    arxiv: str | None = None  # e.g. "2001.08361" or "hep-th/9901001", without version
    scope: int = -1  # which numbered list it belongs to (-1 for inline references)

    @property
    def label(self) -> str:
        """How a message names this reference: first author, year and title or identifier."""
        who = f"{self.authors[0]}{' et al.' if len(self.authors) > 1 else ''}" if self.authors else ""
        when = f" ({self.year})" if self.year else ""
        what = self.title or (f"arXiv:{self.arxiv}" if self.arxiv else self.doi or (self.urls[0] if self.urls else self.text))
        num = f"[{self.number}]" if self.number is not None else ""
        return " ".join(part for part in (num, f"{who}{when}".strip(), what) if part)


@dataclass(frozen=True, slots=True)
class Mention:
    """An author-year mention in the text, like `Kaplan et al. (2020)` or `Maass & Bishop (2002)`."""

    surname: str
    year: int
    line: int
    text: str


@dataclass(frozen=True)
class Citations:
    """Everything citation-like in one target (plus a reference list directly after it)."""

    markers: tuple[Marker, ...] = ()
    references: tuple[Reference, ...] = ()
    mentions: tuple[Mention, ...] = ()
    urls: tuple[tuple[str, int], ...] = ()  # every URL in the text, with its line
    identifiers: tuple[tuple[str, str, int], ...] = ()  # ("arxiv"|"doi", id, line) anywhere in the text
    typos: tuple[tuple[str, int], ...] = ()  # URL-like tokens with a broken scheme, with their line
    extra: dict[str, object] = field(default_factory=dict)
