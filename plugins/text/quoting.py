"""Quote text (from a note or the network) inside a managed callout: its Markdown stripped (`plain`),
then escaped where it would otherwise change the rendering (`escape`), and nowhere else.

A reader sees `neuro-symbolic`, not `neuro\\-symbolic`, and Obsidian's search finds it. What would
change the rendering at that spot is escaped: a marker that starts a list, heading, quote or fence
at the start of the line, `[[`, `![[`, `[…](`, HTML and autolinks, entities, `%%`, `==`, `~~`,
emphasis, code ticks, `$` math, tags, `^` block ids and inline footnotes, and bare URLs (so network
text never becomes a live link). Where that depends on what surrounds a character (emphasis, code
spans, math, links), every candidate is escaped first and each backslash is then dropped again
while `vaultkit.markdown.reading_parser` still renders the text unchanged.
"""

from __future__ import annotations

import html
import re
from bisect import bisect_right
from functools import lru_cache
from typing import Any

from vaultkit.markdown import BLOCK_ID, TAG

from .references import MARKERS

_ASCII_PUNCT = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
# what can start a construct in a line, or at its start; a line with none of these is returned as it is
_SPECIAL = re.compile(r"[\\`*_$\[<&#^]|%%|==|~~|://|(?i:www\.)")
_STARTERS = frozenset(">-+*#0123456789`~[<$%_=")
_BULLET = re.compile(r"[-+*](?:\s|$)")
_ORDERED = re.compile(r"\d{1,9}([.)])(?:\s|$)")
_FENCE = re.compile(r"`{3,}|~{3,}")
_BREAK = re.compile(r"([-*_])(?:[ \t]*\1){2,}[ \t]*$")
_HEADING = re.compile(r"#{1,6}(?:\s|$)")
_URL = re.compile(r"(?i)https?(:)//|www(\.)")
_ENTITY = re.compile(r"&#?[A-Za-z0-9]{1,32};")
_TASK = re.compile(r"\[[ xX]\][ \t]")  # a task box after a list marker (markdown-it's: ` `, `x`, `X`)
_DEFINITION = re.compile(r"\[[^\]]+\]:")  # a link reference definition
_INLINE = re.compile(r"[\\%\[#^*_~=`$<&]")  # the characters an inline rule below looks at

# The contexts a quoted line is written in: a line of a callout's body, a list item, after a label.
CONTEXTS = ("{}", "- {}", "x {}")


def escape(text: str) -> str:
    """One line that renders in Obsidian as exactly `text` (whitespace collapsed), inert: no link,
    embed, HTML, comment, math or formatting; a backslash only where one is needed."""
    # (as any Markdown renderer shows a NUL; and the private-use characters vaultkit marks line
    # references and task keys with are never taken from text: a note could forge them)
    s = " ".join(text.split())
    if _RESERVED.search(s):
        s = _RESERVED.sub("\ufffd", s)
    return _with_backslashes(s, marks(s))


_RESERVED = re.compile("[\x00\ue000-\ue003]")




def marks(line: str) -> set[int]:
    """Where `escape` puts a backslash in a line (whitespace already collapsed): before these characters."""
    if not line or (line[0] not in _STARTERS and not _SPECIAL.search(line)):
        return set()
    exact, inexact = _candidates(line)
    return _pruned(line, exact | inexact) if inexact else exact


def _candidates(s: str) -> tuple[set[int], set[int]]:
    """Positions that may need a backslash: where the rule is exact, and where the reading parser decides."""
    exact: set[int] = set()
    inexact: set[int] = set()
    # at the start of the line: block markers
    if s[0] == ">" or _BULLET.match(s) or _FENCE.match(s) or _HEADING.match(s) or _BREAK.match(s) \
            or _BREAK.match("- " + s) or _TASK.match(s):  # (`--` after a list marker is a rule)
        exact.add(0)
    elif m := _ORDERED.match(s):
        exact.add(m.start(1))
    elif _DEFINITION.match(s):
        inexact.add(0)
    n = len(s)
    after = 0  # (a `%%` pair is read as a whole)
    for m in _INLINE.finditer(s):
        i = m.start()
        if i < after:
            continue
        c = s[i]
        nxt = s[i + 1] if i + 1 < n else ""
        if c == "\\":
            if nxt in _ASCII_PUNCT:
                exact.add(i)
        elif c == "%":
            if nxt == "%":  # a comment, closed or not: escaping its second `%` breaks it
                exact.add(i + 1)
                after = i + 2
        elif c == "[":
            if nxt == "[" and s.find("]]", i + 2) > i + 2:  # a wikilink: its second `[` escaped, so
                exact.add(i + 1)  # that a `[` before it cannot start another
                after = i + 2
            elif nxt == "^" or "](" in s[i:]:
                inexact.add(i)
        elif c == "#":
            if (i == 0 or s[i - 1].isspace()) and TAG.match(s, i):
                exact.add(i)
        elif c == "^":
            if (i == 0 or s[i - 1].isspace()) and BLOCK_ID.match(s, i):
                exact.add(i)
            elif nxt == "[":
                inexact.add(i)
        elif c in "*_":
            before = s[i - 1] if i else " "
            # emphasis needs a second delimiter; a run between spaces, or `_` inside a word, can
            # neither open nor close it
            if s.count(c) > 1 and not ((before.isspace() and (nxt.isspace() or not nxt))
                                       or (c == "_" and before.isalnum() and nxt.isalnum())):
                inexact.add(i)
        elif c in "~=":
            if (nxt == c or (i and s[i - 1] == c)) and s.count(c + c) > 1:  # (a span needs both ends)
                inexact.add(i)
        elif c == "<":
            html = _html()
            if html.tag.match(s, i) or (i == 0 and any(opener.search(s) for opener in html.blocks)):
                exact.add(i)
            elif ">" in s[i:]:  # an autolink, if what is between is a valid link
                inexact.add(i)
        elif c == "&":
            if _ENTITY.match(s, i):
                inexact.add(i)
        elif c == "`" or s.count("$") > 1:  # (c is "`" or "$")
            inexact.add(i)
    urls = [(m.start(), m.start(1) if m.group(1) else m.start(2)) for m in _URL.finditer(s)]
    # (a URL's `:` or `.`, which the autolink rules key on; whether one makes a link depends on the
    # line as escaped, so it is decided on that line, or by the parser with the other candidates)
    if urls and not inexact:
        out = _with_backslashes(s, exact)
        shift = sorted(exact)
        for start, at in urls:
            linked = _autolinked(out, start + bisect_right(shift, start - 1))
            if linked is None:
                inexact.add(at)
            elif linked:
                exact.add(at)
    else:
        inexact.update(at for _, at in urls)
    return exact, inexact - exact


def _autolinked(s: str, i: int) -> bool | None:
    """Would the reading parser's autolink rule make a link of the URL at `i` of an escaped line?
    None: cannot tell."""
    try:  # (the plugin's own matchers, so the answer is the parser's)
        from mdit_py_plugins.gfm_autolink._match import check_prev, match_http, match_www
    except ImportError:  # pragma: no cover - another version of the plugin: the parser decides
        return None
    if i > 0 and not check_prev(s[i - 1]):
        return False
    return (match_www(s[i:]) if s.startswith("www.", i) else match_http(s[i:])) is not None


class _Html:
    """markdown-it's own patterns for inline HTML and the starts of HTML blocks (the reading parser's)."""

    def __init__(self) -> None:
        from markdown_it.common.html_re import HTML_TAG_RE
        from markdown_it.rules_block.html_block import HTML_SEQUENCES

        self.tag = HTML_TAG_RE
        self.blocks = [opener for opener, _, _ in HTML_SEQUENCES]


@lru_cache(maxsize=1)
def _html() -> _Html:
    return _Html()


def _with_backslashes(s: str, at: set[int]) -> str:
    if not at:
        return s
    return "".join(("\\" + c) if i in at else c for i, c in enumerate(s))


def _pruned(s: str, marks: set[int]) -> set[int]:
    """The marks with every backslash taken out again that the reading parser shows to be unneeded."""
    keep = set(marks)
    changed = True
    while changed:  # until no single backslash can go: each one left is needed
        changed = False
        for i in sorted(keep):
            if renders_as(_with_backslashes(s, keep - {i}), s):
                keep.discard(i)
                changed = True
    return keep


def renders_as(line: str, text: str) -> bool:
    """Does `line` show as exactly `text` in each context a quoted line is written in?"""
    md = _parser()
    return all(md.render(ctx.format(line)) == _plain_html(ctx, text) for ctx in CONTEXTS)


@lru_cache(maxsize=1)
def _parser() -> Any:
    from vaultkit.markdown import reading_parser

    return reading_parser()


def _plain_html(ctx: str, text: str) -> str:
    """How the reading parser renders `text` in `ctx` when nothing in it is Markdown."""
    from markdown_it.common.utils import escapeHtml

    if ctx.startswith("- "):
        return f"<ul>\n<li>{escapeHtml(text)}</li>\n</ul>\n"
    return f"<p>{escapeHtml(ctx.format(text))}</p>\n"


_MARKUP = re.compile(r"\*\*|__|(?<!\w)[*_](?=\S)|(?<=\S)[*_](?!\w)|`|" + MARKERS.pattern)
_PAIRED = re.compile(r"(==|~~)(?=\S)(.+?)(?<=\S)\1")  # a highlight, a strikethrough
EMBED = re.compile(r"!\[\[[^\]]*\]\]|!\[[^\]]*\]\([^)]*\)")  # an embedded image or note is no text
_COMMENT = re.compile(r"%%.*?(?:%%|$)")
_WIKILINK = re.compile(r"\[\[(?:[^\]|]*\|)?([^\]]*)\]\]")
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_FOOTNOTE = re.compile(r"\^\[[^\]]*\]|\[\^[^\]\s]+\]")
_TAG_HTML = re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>")
_PREFIX = re.compile(r"^\s*(?:>\s*)*(?:\[![^\]]*\][+-]?\s*)?(?:(?:#{1,6}|[-+*]|\d{1,9}[.)])\s+(?:\[.\]\s+)?)?")
_SPACE_BEFORE_STOP = re.compile(r"\s+([.,;:!?])")
_CODE = re.compile(r"(`+)(?!`)(.+?)(?<!`)\1(?!`)")
_PREFIX_START = re.compile(r"\s*(?:[>#*+\-\[]|\d)")  # (where `_PREFIX` can match anything)
_MARKUP_CHARS = re.compile(r"[*_`\[]")
_ASIDE = re.compile(r"\x00(\d+)\x00")


def plain(text: str) -> str:
    """Text as a reader sees it, its Markdown gone: emphasis, highlights, code ticks, citation markers
    and footnotes, comments, HTML tags, link syntax (the link text stays), quote, callout, heading
    and list prefixes, a trailing block id; entities decoded. Inline code keeps its text as written."""
    code: list[str] = []

    def aside(m: re.Match[str]) -> str:  # code is text: `<iframe>` and `**` in it stay
        code.append(m.group(2).strip() or m.group(2))
        return f"\x00{len(code) - 1}\x00"

    # (each step only where its syntax can be: most sentences hold little Markdown, and a note's
    # claims and summaries are all quoted)
    if "`" in text:
        text = _CODE.sub(aside, text)
    if "%%" in text:
        text = _COMMENT.sub("", text)
    if "[" in text:
        text = _LINK.sub(r"\1", _FOOTNOTE.sub("", _WIKILINK.sub(r"\1", EMBED.sub("", text))))
    if "<" in text:
        text = _TAG_HTML.sub(" ", text)
    text = _PREFIX.sub("", text) if _PREFIX_START.match(text) else text
    if "==" in text or "~~" in text:
        text = _PAIRED.sub(r"\2", text)
    if _MARKUP_CHARS.search(text):
        text = _MARKUP.sub("", text)
    text = " ".join(text.split())
    if "^" in text:
        text = BLOCK_ID.sub("", text).rstrip()
    text = _SPACE_BEFORE_STOP.sub(r"\1", text)  # "described in [12]." -> "in."
    if "&" in text:
        text = html.unescape(text)
    return _ASIDE.sub(lambda m: code[int(m.group(1))], text) if code else text


def quote(text: str) -> str:
    """Text from a note, for a callout: as the reader saw it there, escaped only where needed."""
    return escape(plain(text))


def clip(text: str, most: int) -> str:
    """Text kept to `most` characters, cut at a word where one is near, with `…` saying so."""
    if len(text) <= most:
        return text
    cut = text[:most].rsplit(" ", 1)[0]
    return (cut if len(cut) > most // 2 else text[:most]).rstrip(" ,;:") + "…"
