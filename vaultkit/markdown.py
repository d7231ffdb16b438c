"""The parser factory: every Markdown parse in vaultkit goes through `block_parser()` (the note's
structure) or `reading_parser()` (what Obsidian's Reading view shows, inline syntax included)."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # markdown-it is imported lazily: a one-note hook must start fast
    from markdown_it import MarkdownIt
    from markdown_it.rules_block import StateBlock
    from markdown_it.rules_inline import StateInline

COMMENT_TOKEN = "obsidian_comment"


def _obsidian_comment(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    """Block rule for Obsidian `%% … %%` comments, which may span lines and hide Markdown.

    Obsidian treats an unclosed `%%` as a comment to the end of the note
    (https://help.obsidian.md/Editing+and+formatting/Basic+formatting+syntax#Comments).
    """
    if state.sCount[start] - state.blkIndent >= 4:
        return False
    pos = state.bMarks[start] + state.tShift[start]
    if state.src[pos : pos + 2] != "%%":
        return False
    if silent:
        return True
    line = start
    if "%%" not in state.src[pos + 2 : state.eMarks[start]]:
        line += 1
        while line < end:
            text = state.src[state.bMarks[line] + state.tShift[line] : state.eMarks[line]]
            if "%%" in text:
                break
            line += 1
        line = min(line, end - 1)
    token = state.push(COMMENT_TOKEN, "", 0)
    token.block = True
    token.map = [start, line + 1]
    state.line = line + 1
    return True


@lru_cache(maxsize=1)
def block_parser() -> MarkdownIt:

    """CommonMark blocks + `$$` math + `%%` comments, with inline parsing off.

    Only block tokens carry line maps, and the structure vaultkit needs (headings,
    quotes, callouts, code) is all block-level; skipping the inline rules keeps
    the maps and makes the parse ~2.6x faster. Inline tokens keep their raw
    `content`, which is where a callout's `[!type]` header line lives.
    """
    from markdown_it import MarkdownIt
    from mdit_py_plugins.dollarmath import dollarmath_plugin

    md = MarkdownIt("commonmark")
    md.use(dollarmath_plugin, allow_labels=False, double_inline=False)
    md.block.ruler.before(
        "fence",
        COMMENT_TOKEN,
        _obsidian_comment,
        {"alt": ["paragraph", "reference", "blockquote", "list"]},
    )
    md.core.ruler.disable(["inline", "text_join"], ignoreInvalid=True)
    return md


# Obsidian's inline syntax beyond CommonMark and GFM
# (https://help.obsidian.md/Editing+and+formatting/Obsidian+Flavored+Markdown):
# a tag is `#` after a space or the line's start, then letters, digits, `_`, `-`, `/`, not only digits;
TAG = re.compile(r"#[\w/-]*[^\W\d][\w/-]*")
# a block id is `^id` ending the block, after a space or alone.
BLOCK_ID = re.compile(r"\^[A-Za-z0-9-]+[ \t]*$")


def _wikilink(state: StateInline, silent: bool) -> bool:
    """`[[note]]`, `[[note|alias]]` and `![[embed]]`: a link or an embed up to the next `]]`."""
    pos = state.pos
    embed = state.src.startswith("![[", pos)
    start = pos + (3 if embed else 2)
    if not (embed or state.src.startswith("[[", pos)):
        return False
    end = state.src.find("]]", start)
    if end <= start or "\n" in state.src[start:end]:
        return False
    if not silent:
        state.push("embed" if embed else "wikilink", "", 0).content = state.src[start:end]
    state.pos = end + 2
    return True


def _pair(marker: str, name: str, open_to_end: bool = False):  # type: ignore[no-untyped-def]
    """An inline rule for `marker…marker` spans (`==highlight==`, `%%comment%%`)."""

    def rule(state: StateInline, silent: bool) -> bool:
        pos = state.pos
        if not state.src.startswith(marker, pos):
            return False
        start = pos + len(marker)
        end = state.src.find(marker, start)
        if end < 0 and open_to_end:  # an unclosed comment hides the rest (Obsidian)
            end = state.posMax
        elif end < 0 or (not open_to_end and (end == start or state.src[start].isspace()
                                                or state.src[end - 1].isspace())):
            return False
        if not silent:
            state.push(name, "", 0).content = state.src[start:end]
        state.pos = min(end + len(marker), state.posMax)
        return True

    return rule


def _after_space(first: str, pattern: re.Pattern[str], name: str, to_end: bool = False):  # type: ignore[no-untyped-def]
    """An inline rule for Obsidian syntax that starts with `first` after a space (or the line's
    start): `#tag`, shown as a link to a search, and ` ^id` ending a block (`to_end`), hidden."""

    def rule(state: StateInline, silent: bool) -> bool:
        pos = state.pos
        if state.src[pos] != first or (pos > 0 and not state.src[pos - 1].isspace()):
            return False
        m = pattern.match(state.src, pos)
        if not m or (to_end and m.end() != state.posMax):
            return False
        if not silent:
            state.push(name, "", 0).content = m.group()[1:].strip()
        state.pos = m.end()
        return True

    return rule


@lru_cache(maxsize=1)
def reading_parser() -> MarkdownIt:
    """What Obsidian's Reading view makes of Markdown, as far as vaultkit's own text depends on it.

    CommonMark with HTML, GFM tables, `~~` strikethrough, task lists and `http(s)://`/`www.`
    autolinks, footnotes (inline `^[…]` too), `$…$`/`$$…$$` math, `%%` comments, and Obsidian's
    wikilinks, embeds, `==highlights==`, tags and block ids. Tests render vaultkit's callouts with
    it (quoted text must come out as the text), and so does the screenshot script.
    """
    from markdown_it import MarkdownIt
    from mdit_py_plugins.dollarmath import dollarmath_plugin
    from mdit_py_plugins.footnote import footnote_plugin
    from mdit_py_plugins.gfm_autolink import gfm_autolink_plugin

    md = MarkdownIt("commonmark", {"html": True})

    md.enable(["table", "strikethrough"])
    md.options["tasklists"] = True
    # Obsidian's math: no space inside the dollars, and `$5 … $6` stays prices
    md.use(dollarmath_plugin, allow_labels=False, allow_space=False, allow_digits=False, double_inline=True)
    md.use(footnote_plugin, inline=True)
    md.use(gfm_autolink_plugin)
    md.inline.ruler.disable("gfm_autolink_email")  # (Obsidian does not link a bare address)
    md.block.ruler.before("fence", COMMENT_TOKEN, _obsidian_comment,
                          {"alt": ["paragraph", "reference", "blockquote", "list"]})
    md.inline.ruler.before("link", "wikilink", _wikilink)
    md.inline.ruler.before("emphasis", "comment", _pair("%%", "comment", open_to_end=True))
    md.inline.ruler.before("emphasis", "highlight", _pair("==", "highlight"))
    md.inline.ruler.push("tag", _after_space("#", TAG, "tag"))
    md.inline.ruler.push("block_id", _after_space("^", BLOCK_ID, "block_id", to_end=True))
    return md
