"""Find citation markers, reference entries, author-year mentions and URLs in a target's text.

Shared by the citations, claims, summaries and duplicates passes, so there is one citation parser.
Works on prose only: code, math, comments, inline code, wikilinks, markdown links,
footnotes and task boxes are masked before anything is matched.
"""

from __future__ import annotations

import re
import weakref
from typing import Any

from vaultkit import Note, Target
from .prose import non_prose, target_lines, unquote
from .reference_types import Citations, Marker, Mention, Reference

_INLINE_CODE = re.compile(r"(`+)(?:(?!\1).)+?\1")
_WIKILINK = re.compile(r"!?\[\[[^\]\n]*\]\]")
_MD_LINK_TEXT = re.compile(r"!?\[([^\]\n]*)\]\((<[^>\n]*>|[^()\s]*(?:\([^()\s]*\)[^()\s]*)*)(?:\s+\"[^\"\n]*\")?\)")
_FOOTNOTE = re.compile(r"\[\^[^\]\n]+\]")
_TASK = re.compile(r"^(\s*(?:[-*+]|\d+[.)])\s+)\[[ xX/-]\]")
_LINK_DEF = re.compile(r"^\s{0,3}\[[^\]\n]+\]:\s+\S+")
_INLINE_COMMENT = re.compile(r"%%.*?%%")
_INLINE_MATH = re.compile(r"\$[^$\n]+\$")

# `[3]`, `[1, 2]`, `[4-6]`, `[1][3]` — up to three digits (a `[2024]` is a year, not a marker).
_MARKER_BODY = r"\d{1,3}(?:\s*[,;–-]\s*\d{1,3})*"
_MARKER = re.compile(r"\[(" + _MARKER_BODY + r")\](?!\()")
# Anything shaped like a marker, `[1](…)` too: what passes strip from a sentence before reading it.
MARKERS = re.compile(r"\[" + _MARKER_BODY + r"\]")
ENTRY = re.compile(r"^\s*(?:[-*+]\s+)?\[(\d{1,3})\][.:]?\s+(?=\S)")
# The headings a reference list goes under, in the languages AI answers come in.
LIST_HEADS = frozenset((
    "citations sources references bibliography quellen referenzen literatur literaturverzeichnis fuentes "
    "referencias bibliografía références bibliographie fonti riferimenti bronnen referenties fontes "
    "referências источники литература 参考文献 参考资料 引用 出典"
).split()) | {"works cited", "further reading", "sources citées"}
_LIST_HEAD_STARTS = frozenset("#*" + "".join(head[0] for head in LIST_HEADS))
_LIST_HEAD = re.compile(
    r"^\s*(?:#{1,6}\s*)?\**(?:" + "|".join(sorted(LIST_HEADS, key=len, reverse=True)) + r")\**\s*[:：]?\s*\**\s*$",
    re.I,
)


def is_list_head(line: str) -> bool:
    """`Citations:`, `## References`, `**Sources**`: the line that opens a reference list."""
    if len(line) > 60 or line.lstrip()[:1].lower() not in _LIST_HEAD_STARTS:  # most lines: two cheap tests
        return False
    return line.strip(" \t#*:：").lower() in LIST_HEADS and bool(_LIST_HEAD.match(line))


_URL = re.compile(r"https?://[^\s<>\"'`\]\[|]+", re.I)
_SCHEME_TYPO = re.compile(r"(?<![\w/])(h+t+p+s?|ttps?|htps?)(:/{3,}|://|//|:/|:)(?=[\w.-]+\.[a-z]{2,})", re.I)
_DOI = re.compile(r"\b(?:doi:\s*|https?://(?:dx\.)?doi\.org/)?(10\.[^\s/\]]*/[^\s\]\)>\"]*)", re.I)
_DOI_CUE = re.compile(r"\bdoi:\s*(\S+)|\bdoi\.org/(\S+)", re.I)
_ARXIV = re.compile(r"(?<![A-Za-z])arxiv\s*:\s*([\w.\-/]+)|arxiv\.org/(?:abs|pdf)/([\w.\-/]+)", re.I)
# Every citation form has one: a marker's `[3`, or a reference's or mention's `2020)`.
_BRACKET_DIGIT = re.compile(r"\[\d")
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

    if "[" not in line and "`" not in line and "%" not in line and "$" not in line:
        return line  # (what every pattern below needs: most lines of prose have none of it)
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
    first = unquote(note.lines[i])
    nxt = unquote(note.lines[i + 1]) if i + 1 < n else ""
    # `Citations:`, a heading in another language (`Quellen:`) or the first `[1] …` entry
    head = _LIST_HEAD.match(first) or (len(first) <= 40 and first.rstrip().endswith((":", "：")) and ENTRY.match(nxt))
    if not (head or ENTRY.match(first)):
        return []
    out: list[tuple[int, str]] = []
    skip = non_prose(note)
    while i < n:
        text = unquote(note.lines[i])
        if (i + 1) in skip or text.lstrip().startswith("> [!"):
            break
        if not text.strip():
            j = i + 1
            while j < n and not note.lines[j].strip():
                j += 1
            if j < n and ENTRY.match(unquote(note.lines[j])):
                i = j
                continue
            break
        out.append((i + 1, text))
        i += 1
    return out


_PARSED: weakref.WeakKeyDictionary[Note, dict[tuple[int, int, str], Citations]] = weakref.WeakKeyDictionary()


def parse(note: Note, target: Target) -> Citations:
    """Everything citation-like in one target and a reference list right after it.

    Several answers in one note each end with their own list: a marker cites the
    first list after it (or the last list, when none follows). Claims and citations
    both ask: it is parsed once per note object and target.
    """
    memo = _PARSED.setdefault(note, {})
    key = (target.line, target.end_line, target.id)
    found = memo.get(key)
    if found is None:
        found = memo[key] = _parse(note, target)
    return found


def _parse(note: Note, target: Target) -> Citations:
    rows = target_lines(note, target) + following_list(note, target)
    scope = 0
    in_list = False
    markers: list[Marker] = []
    mentions: list[Mention] = []
    refs: list[Reference] = []
    urls: list[tuple[str, int]] = []
    idents: list[tuple[str, str, int]] = []
    typos: list[tuple[str, int]] = []
    entry: list[Any] | None = None  # number, first line, last line, parts

    def close() -> None:
        nonlocal entry
        if entry is not None:
            refs.append(_reference("numbered", entry[1], entry[2], " ".join(entry[3]), entry[0], scope))
            entry = None

    for ln, text in rows:
        masked = mask(text)
        urls += [(u, ln) for u in find_urls(masked)]
        idents += [("arxiv", a, ln) for a in arxiv_ids(masked)] + [("doi", d, ln) for d in dois(masked)]
        typos += [(t, ln) for t in scheme_typos(masked)]
        m = ENTRY.match(text)
        if m and not _MARKER_ONLY.match(text):
            close()
            number = int(m.group(1))
            if not in_list or (number == 1 and any(r.scope == scope for r in refs)):
                if in_list or any(r.scope == scope for r in refs):
                    scope += 1
                in_list = True
            entry = [number, ln, ln, [text[m.end():].strip()]]
            continue
        if _LIST_HEAD.match(text) or not text.strip():
            close()
            continue
        if entry is not None and ln == entry[2] + 1:
            entry[2] = ln  # an entry wrapped onto the next line
            entry[3].append(text.strip())
            continue
        close()
        if in_list:
            in_list = False
            scope += 1
        for im in _INLINE_REF.finditer(masked) if "[" in masked else ():  # (bracketed: URLs need "://")
            refs.append(_reference("inline", ln, ln, im.group(1), None, -1))
        prose = _INLINE_REF.sub(lambda x: " " * len(x.group()), masked) if "[" in masked else masked
        prose = _URL.sub(lambda x: " " * len(x.group()), prose) if "://" in prose else prose
        for mm in _MARKER.finditer(prose) if "[" in prose else ():
            if _INDEXING.search(prose[max(0, mm.start() - 3) : mm.start()]):
                continue
            for number in _numbers(mm.group(1)):
                if number > 0:
                    markers.append(Marker(number, ln, scope))
        for mm in _MENTION.finditer(prose) if ")" in prose else ():
            year = mm.group(2) or mm.group(3)
            if mm.group(1) not in _NOT_NAMES:
                mentions.append(Mention(mm.group(1), int(year), ln, mm.group(0)))
    close()
    last = max((r.scope for r in refs if r.scope >= 0), default=0)
    lists = {r.scope for r in refs if r.scope >= 0}
    fixed = [Marker(m.number, m.line, m.scope if m.scope in lists else last) for m in markers]
    return Citations(tuple(fixed), tuple(refs), tuple(mentions), tuple(urls), tuple(idents), tuple(typos))


# `a[0]`, `x[4, 5]`: a one- or two-letter name right before the bracket is array indexing.
_INDEXING = re.compile(r"(?:^|[^\w.])[A-Za-z_][A-Za-z_0-9]?$")

# Every form the citations checks look at contains one of these (markers and references `[`,
# URLs and scheme typos `tp`/`//`, identifiers `doi`/`arxiv`); most answers contain none.
CUES = ("[", "tp", "//", "doi", "arxiv")


def may_cite(note: Note, target: Target) -> bool:
    """A cheap pre-filter: could this target (or a list right after it) hold anything to check?"""
    text = target.text.lower()
    if any(cue in text for cue in CUES):
        return True
    after = note.lines[target.end_line : target.end_line + 5]  # up to 2 blanks, a heading, an entry
    return any(cue in line.lower() for line in after for cue in CUES)


_NOT_NAMES = {"In", "The", "A", "An", "See", "From", "Since", "By", "And", "Or", "Of", "On", "At", "Q", "Figure", "Table"}


def _numbers(spec: str) -> list[int]:
    out: list[int] = []
    for part in re.split(r"\s*[,;]\s*", spec):
        bounds = re.split(r"\s*[–-]\s*", part)
        if len(bounds) == 2 and bounds[0] and bounds[1] and int(bounds[0]) <= int(bounds[1]) <= int(bounds[0]) + 50:
            out.extend(range(int(bounds[0]), int(bounds[1]) + 1))
        elif bounds[0]:
            out.append(int(bounds[0]))
    return out


# A prose line that merely starts with markers, like `[1][2] shows that…`, is not an entry.
_MARKER_ONLY = re.compile(r"^\s*\[\d{1,3}\]\s*\[\d{1,3}\]")


def find_urls(text: str) -> list[str]:
    """Bare, autolinked and markdown-link URLs, without trailing punctuation."""
    if "://" not in text:
        return []
    out = []
    for m in _URL.finditer(text):
        url = m.group().rstrip(_TRAILING)
        # keep a closing parenthesis that belongs to the URL (Wikipedia-style)
        while url.count("(") > url.count(")") and m.group()[len(url) : len(url) + 1] == ")":
            url += ")"
        out.append(url)
    return out


def _reference(style: str, line: int, end_line: int, text: str, number: int | None, scope: int = -1) -> Reference:
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
    return Reference(style, line, end_line, text, number, title.strip(), authors, year, urls, doi, arxiv, scope)


def arxiv_ids(text: str) -> list[str]:
    """arXiv identifiers as written (validity is checked separately), without the version."""
    if "rxiv" not in text and "RXIV" not in text.upper():
        return []
    out = []
    for m in _ARXIV.finditer(text):
        raw = (m.group(1) or m.group(2) or "").rstrip(_TRAILING)
        raw = re.sub(r"\.pdf$", "", raw)
        if raw:
            out.append(re.sub(r"v\d+$", "", raw))
    return out


def dois(text: str) -> list[str]:
    """DOIs as written (validity is checked separately)."""
    if "10." not in text and "doi" not in text.lower():
        return []
    out = []
    for m in _DOI_CUE.finditer(text):
        raw = (m.group(1) or m.group(2) or "").rstrip(_TRAILING)
        raw = re.sub(r"^https?://(?:dx\.)?doi\.org/", "", raw, flags=re.I)
        if raw and raw not in out:
            out.append(raw)
    for m in _DOI.finditer(text):
        raw = m.group(1).rstrip(_TRAILING)
        if raw not in out:
            out.append(raw)
    return out


def source_line(text: str) -> str | None:
    """The URL of a "based on the original article at URL" line, if this is one."""
    m = _SOURCE_LINE.search(text.strip()) if "://" in text else None
    return m.group(1).rstrip(_TRAILING) if m else None


def scheme_typos(text: str) -> list[str]:
    """URL-looking tokens with a broken scheme (`https//x.org`, `htps://x.org`, `http:/x.org`)."""
    if "tp" not in text and "TP" not in text.upper():  # (every scheme the pattern knows has "tp")
        return []
    out = []
    for m in _SCHEME_TYPO.finditer(text):
        scheme, sep = m.group(1).lower(), m.group(2)
        if scheme in ("http", "https") and sep == "://":
            continue
        end = re.match(r"[^\s<>\"'`\])]+", text[m.end() :])
        out.append(m.group() + (end.group() if end else ""))
    return out


# What else ties a sentence to its own source: a footnote `[^1]`, ChatGPT's `【7†source】`, a link or URL.
_OWN_SOURCE = re.compile(r"\[\^[^\]\s]+\](?!:)|【\d+(?::\d+)?†[^】\n]{0,40}】|https?://")


def may_have_citation(text: str) -> bool:
    """False when no citation can be in the text: one search to skip a whole target's sentences."""
    return "[^" in text or "【" in text or "://" in text or may_cite_work(text)


def may_cite_work(text: str) -> bool:
    """False when no marker, inline reference or author-year mention can be in the text."""
    if _BRACKET_DIGIT.search(text):
        return True
    close = text.find(")")  # `2020)`: look only where a parenthesis closes (a regex for \d{4} scans every digit)
    while close >= 0:
        end = close - 1 if close and "a" <= text[close - 1] <= "z" else close
        if end >= 4 and text[end - 4:end].isdigit():
            return True
        close = text.find(")", close + 1)
    return False


def has_citation(text: str) -> bool:
    """Does this text cite something: a marker, a footnote, an inline reference, an author-year
    mention, or a link or URL to where it came from?"""
    return bool(citation_kind(text))


def citation_kind(text: str) -> str:
    """"work" (a marker, an inline reference, an author-year mention: what a reference list or a
    mention's year can be compared with), "link" (a footnote, ChatGPT's source mark, a link or URL
    only), or "" (no citation)."""
    if not may_have_citation(text):  # most sentences cite nothing; mask() is the costly part
        return ""
    if cites_a_work(text):
        return "work"
    return "link" if _OWN_SOURCE.search(text) else ""


def cites_a_work(text: str) -> bool:
    """Does this text cite a work by marker, inline reference or author-year mention (what a
    reference list or a mention's year can be compared with)?"""
    if not may_cite_work(text):  # most sentences cite nothing; mask() is the costly part
        return False
    masked = mask(text)
    return bool(_MARKER.search(masked) or _INLINE_REF.search(masked) or _MENTION.search(masked))


def marker_numbers(text: str) -> list[int]:
    """The numbers of the markers in a piece of text (a sentence), as `parse` reads them."""
    if not _BRACKET_DIGIT.search(text):
        return []
    prose = _URL.sub(lambda x: " " * len(x.group()), _INLINE_REF.sub(lambda x: " " * len(x.group()), mask(text)))
    out: list[int] = []
    for mm in _MARKER.finditer(prose):
        if not _INDEXING.search(prose[max(0, mm.start() - 3): mm.start()]):
            out += [n for n in _numbers(mm.group(1)) if n > 0 and n not in out]
    return out


def footnote_labels(text: str) -> list[str]:
    """The labels of the footnotes a piece of text cites (`[^2]` -> "2")."""
    return [m.group()[2:-1] for m in _FOOTNOTE.finditer(text)] if "[^" in text else []
