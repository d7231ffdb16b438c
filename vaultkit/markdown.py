"""The one parser factory: every Markdown parse in vaultkit goes through `block_parser()`."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # markdown-it is imported lazily: a one-note hook must start fast
    from markdown_it import MarkdownIt
    from markdown_it.rules_block import StateBlock

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
