"""Find citation markers, reference entries, author-year mentions and URLs in a target's text.

Shared by the citations pass and (later) the claims pass, so there is one citation parser.
Works on prose only: code, math, comments, inline code, wikilinks, markdown links,
footnotes and task boxes are masked before anything is matched.
"""

from __future__ import annotations

import re
from typing import Iterator

from vaultkit import Note, Target
from ._refs_model import Citations, Marker, Mention, Reference

_QUOTE = re.compile(r"^[ ]{0,3}(?:>[ ]?)")
_INLINE_CODE = re.compile(r"(`+)(?:(?!\1).)+?\1")
_WIKILINK = re.compile(r"!?\[\[[^\]\n]*\]\]")
_MD_LINK_TEXT = re.compile(r"!?\[([^\]\n]*)\]\((<[^>\n]*>|[^)\s]*(?:\([^)\s]*\)[^)\s]*)*)(?:\s+\"[^\"\n]*\")?\)")
_FOOTNOTE = re.compile(r"\[\^[^\]\n]+\]")
_TASK = re.compile(r"^(\s*(?:[-*+]|\d+[.)])\s+)\[[ xX/-]\]")
_LINK_DEF = re.compile(r"^\s{0,3}\[[^\]\n]+\]:\s+\S+")
_INLINE_COMMENT = re.compile(r"%%.*?%%")
_INLINE_MATH = re.compile(r"\$[^$\n]+\$")

# `[3]`, `[1, 2]`, `[4-6]`, `[1][3]` — up to three digits (a `[2024]` is a year, not a marker).
_MARKER = re.compile(r"\[(\d{1,3}(?:\s*[,–-]\s*\d{1,3})*)\](?![(:])")
_ENTRY = re.compile(r"^\s*(?:[-*+]\s+)?\[(\d{1,3})\][.:]?\s+(?=\S)")
_LIST_HEAD = re.compile(r"^\s*(?:#{1,6}\s*)?\**(?:citations|sources|references|bibliography|works cited)\**\s*:?\s*\**\s*$", re.I)
_URL = re.compile(r"https?://[^\s<>\"'`\]\[|]+", re.I)
_SCHEME_TYPO = re.compile(r"(?<![\w/])(h+t+p+s?|ttps?|htps?)(:/{0,1}|//|:/{3,})(?=[\w.-]+\.[a-z]{2,})", re.I)
_DOI = re.compile(r"\b(?:doi:\s*|https?://(?:dx\.)?doi\.org/)?(10\.[^\s/\]]*/[^\s\]\)>\"]*)", re.I)
_DOI_CUE = re.compile(r"\bdoi:\s*(\S+)|\bdoi\.org/(\S+)", re.I)
_ARXIV = re.compile(r"\barxiv\s*:\s*([\w.\-/]+)|arxiv\.org/(?:abs|pdf)/([\w.\-/]+)", re.I)
_YEAR_PAREN = re.compile(r"\((\d{4})[a-z]?\)")
_AUTHOR = re.compile(r"([A-Z][\w'’-]*(?:[ -](?:van|von|de|der|da|di|le|la|[A-Z])[\w'’-]*)*),\s+(?:[A-Z]\.\s?-?)+")
# `[Kaplan, J., McCandlish, S., ... & Amodei, D. (2020). Title. *Venue*.]`
_INLINE_REF = re.compile(r"\[([A-Z][\w'’ -]*,\s+[A-Z]\.[^\[\]\n]*?\(\d{4}[a-z]?\)[^\[\]\n]*)\]")
# `Kaplan et al. (2020)`, `Maass & Bishop (2002)`, `Ouyang and Wu (2022)`, `(Kaplan et al., 2020)`
_MENTION = re.compile(
    r"\b([A-Z][\w'’-]+)(?:\s+et\s+al\.?|\s+(?:&|and)\s+[A-Z][\w'’-]+)?(?:,?\s+\((\d{4})[a-z]?\)|,\s+(\d{4})[a-z]?\))"
)
_SOURCE_LINE = re.compile(
    r"\b(?:based on|adapted from|originally published|source(?:d)? from|republished from|from)\s+"
    r"(?:the\s+)?(?:original\s+)?(?:article|post|story|piece|blog post)\s+(?:at|on|from)\s*:?\s*<?(https?://\S+?)>?[.,;)]*$",
    re.I,
)
_TRAILING = ".,;:!?)]}*_>\"'"


def mask(line: str) -> str:
    """Blank out what is never a citation marker, keeping every other column in place."""

    def blank(m: re.Match[str]) -> str:
        return " " * (m.end() - m.start())

    line = _INLINE_CODE.sub(blank, line)
    line = _INLINE_COMMENT.sub(blank, line)
    line = _INLINE_MATH.sub(blank, line)
    line = _WIKILINK.sub(blank, line)
    line = _FOOTNOTE.sub(blank, line)
    line = _TASK.sub(lambda m: m.group(1) + "   ", line)
    if _LINK_DEF.match(line):
        return " " * len(line)
    # keep a link's URL (it is a URL in the text) but not its bracketed text
    return _MD_LINK_TEXT.sub(lambda m: " " * (len(m.group(1)) + 3) + m.group(2) + " ", line)


def target_lines(note: Note, target: Target) -> list[tuple[int, str]]:
    """The target's prose lines as (note line, text without quote markers), code and math blanked."""
    if target.kind == "callout":
        first = target.line + 1
        rows = target.text.split("\n") if target.text else []
    else:
        first = target.line
        rows = target.text.split("\n")
    skip = _non_prose(note)
    return [(first + i, "" if (first + i) in skip else row) for i, row in enumerate(rows)]


def _non_prose(note: Note) -> set[int]:
    out: set[int] = set()
    if note.needs_structure:
        for r in note.regions:
            out.update(range(r.line, r.end_line + 1))
    return out


def following_list(note: Note, target: Target) -> list[tuple[int, str]]:
    """A reference list directly after the target (pasted answers often put `Citations:` there)."""
    n = len(note.lines)
    i = target.end_line  # 0-based index of the first line after the target
    blanks = 0
    while i < n and not note.lines[i].strip() and blanks < 2:
        i += 1
        blanks += 1
    if i >= n:
        return []
    first = _unquote(note.lines[i])
    if not (_LIST_HEAD.match(first) or _ENTRY.match(first)):
        return []
    out: list[tuple[int, str]] = []
    skip = _non_prose(note)
    while i < n:
        text = _unquote(note.lines[i])
        if (i + 1) in skip or text.lstrip().startswith("> [!"):
            break
        if not text.strip():
            j = i + 1
            while j < n and not note.lines[j].strip():
                j += 1
            if j < n and _ENTRY.match(_unquote(note.lines[j])):
                i = j
                continue
            break
        out.append((i + 1, text))
        i += 1
    return out


def _unquote(line: str) -> str:
    line = line.rstrip("\r\n")
    while True:
        m = _QUOTE.match(line)
        if not m:
            return line
        line = line[m.end() :]


def parse(note: Note, target: Target) -> Citations:
    """Everything citation-like in one target and a reference list right after it."""
    own = target_lines(note, target)
    after = following_list(note, target)
    rows = own + after
    entries = list(_entries(rows))
    entry_lines = {ln for e in entries for ln in range(e.line, e.end_line + 1)}
    markers: list[Marker] = []
    mentions: list[Mention] = []
    inline: list[Reference] = []
    urls: list[tuple[str, int]] = []
    for ln, text in rows:
        masked = mask(text)
        urls += [(u, ln) for u in find_urls(masked)]
        if ln in entry_lines or _LIST_HEAD.match(text):
            continue
        prose = _URL.sub(lambda m: " " * len(m.group()), masked)
        for m in _INLINE_REF.finditer(prose):
            inline.append(_reference("inline", ln, ln, m.group(1), None))
        no_refs = _INLINE_REF.sub(lambda m: " " * len(m.group()), prose)
        for m in _MARKER.finditer(no_refs):
            for number in _numbers(m.group(1)):
                markers.append(Marker(number, ln))
        for m in _MENTION.finditer(no_refs):
            year = m.group(2) or m.group(3)
            if m.group(1) not in _NOT_NAMES:
                mentions.append(Mention(m.group(1), int(year), ln, m.group(0)))
    return Citations(tuple(markers), tuple(entries + inline), tuple(mentions), tuple(urls))


_NOT_NAMES = {"In", "The", "A", "An", "See", "From", "Since", "By", "And", "Or", "Of", "On", "At", "Q", "Figure", "Table"}


def _numbers(spec: str) -> list[int]:
    out: list[int] = []
    for part in re.split(r"\s*,\s*", spec):
        bounds = re.split(r"\s*[–-]\s*", part)
        if len(bounds) == 2 and bounds[0] and bounds[1] and int(bounds[0]) <= int(bounds[1]) <= int(bounds[0]) + 50:
            out.extend(range(int(bounds[0]), int(bounds[1]) + 1))
        elif bounds[0]:
            out.append(int(bounds[0]))
    return out


def _entries(rows: list[tuple[int, str]]) -> Iterator[Reference]:
    """`[n] …` entries at line starts; a following line that is not an entry continues it."""
    current: tuple[int, int, int, list[str]] | None = None  # number, first line, last line, parts
    for ln, text in rows:
        m = _ENTRY.match(text)
        if m and not _MARKER_ONLY.match(text):
            if current:
                yield _reference("numbered", current[1], current[2], " ".join(current[3]), current[0])
            current = (int(m.group(1)), ln, ln, [text[m.end() :].strip()])
        elif current and text.strip() and ln == current[2] + 1 and not _LIST_HEAD.match(text):
            current[3].append(text.strip())
            current = (current[0], current[1], ln, current[3])
        elif current:
            yield _reference("numbered", current[1], current[2], " ".join(current[3]), current[0])
            current = None
    if current:
        yield _reference("numbered", current[1], current[2], " ".join(current[3]), current[0])


# A prose line that merely starts with markers, like `[1][2] shows that…`, is not an entry.
_MARKER_ONLY = re.compile(r"^\s*\[\d{1,3}\]\s*\[\d{1,3}\]")


def find_urls(text: str) -> list[str]:
    """Bare, autolinked and markdown-link URLs, without trailing punctuation."""
    out = []
    for m in _URL.finditer(text):
        url = m.group().rstrip(_TRAILING)
        # keep a closing parenthesis that belongs to the URL (Wikipedia-style)
        while url.count("(") > url.count(")") and m.group()[len(url) : len(url) + 1] == ")":
            url += ")"
        out.append(url)
    return out


def _reference(style: str, line: int, end_line: int, text: str, number: int | None) -> Reference:
    """Split an entry into authors, year, title and identifiers (APA-like or `Title URL`)."""
    urls = tuple(find_urls(text))
    arxiv = next((a for a in arxiv_ids(text)), None)
    doi = next((d for d in dois(text)), None)
    authors: tuple[str, ...] = ()
    year = None
    title = ""
    ym = _YEAR_PAREN.search(text)
    head = text[: ym.start()] if ym else ""
    if ym and _AUTHOR.match(head.strip()):
        authors = tuple(a.strip() for a in _AUTHOR.findall(head))
        year = int(ym.group(1))
        rest = text[ym.end() :].lstrip(" .")
        em = re.match(r"([*_])(.+?)\1", rest)
        title = em.group(2) if em else re.split(r"\.\s|\.$|\s[*_]", rest, maxsplit=1)[0]
    else:
        title = _URL.sub("", text)
        title = re.sub(r"\s+", " ", title).strip(" -–—|:")
        ym2 = re.search(r"\b(19|20)\d{2}\b", title)
        year = int(ym2.group()) if ym2 and style == "numbered" and _AUTHOR.match(title) else None
    return Reference(style, line, end_line, text, number, title.strip(), authors, year, urls, doi, arxiv)


def arxiv_ids(text: str) -> list[str]:
    """arXiv identifiers as written (validity is checked separately), without the version."""
    out = []
    for m in _ARXIV.finditer(text):
        raw = (m.group(1) or m.group(2) or "").rstrip(_TRAILING)
        raw = re.sub(r"\.pdf$", "", raw)
        if raw:
            out.append(re.sub(r"v\d+$", "", raw))
    return out


def dois(text: str) -> list[str]:
    """DOIs as written (validity is checked separately)."""
    out = []
    for m in _DOI_CUE.finditer(text):
        raw = (m.group(1) or m.group(2) or "").rstrip(_TRAILING)
        if raw:
            out.append(raw)
    for m in _DOI.finditer(text):
        raw = m.group(1).rstrip(_TRAILING)
        if raw not in out:
            out.append(raw)
    return out


def source_line(text: str) -> str | None:
    """The URL of a "based on the original article at URL" line, if this is one."""
    m = _SOURCE_LINE.search(text.strip())
    return m.group(1).rstrip(_TRAILING) if m else None


def scheme_typos(text: str) -> list[str]:
    """URL-looking tokens with a broken scheme (`https//x.org`, `htps://x.org`, `http:/x.org`)."""
    out = []
    for m in _SCHEME_TYPO.finditer(text):
        scheme, sep = m.group(1).lower(), m.group(2)
        if scheme in ("http", "https") and sep == "://":
            continue
        end = re.match(r"[^\s<>\"'`\])]+", text[m.end() :])
        out.append(m.group() + (end.group() if end else ""))
    return out
