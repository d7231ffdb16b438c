"""Quote text (from a note or the network) inside a managed callout: its Markdown stripped, or escaped."""

from __future__ import annotations

import html
import re

from .references import MARKERS

# Everything Markdown or Obsidian could read as syntax: emphasis, links, wikilinks and
# embeds (`[[`, `![[`), tags, HTML, callout/quote markers, comments (`%%`), math, tables.
_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+!|~=$%^-])")


def escape(text: str) -> str:
    """One line of inert text: no line breaks, no Markdown, no HTML."""
    one_line = " ".join(html.unescape(text).split())
    return _SPECIAL.sub(r"\\\1", one_line)


_MARKUP = re.compile(r"\*\*|__|(?<!\w)[*_](?=\S)|(?<=\S)[*_](?!\w)|`|" + MARKERS.pattern)
EMBED = re.compile(r"!\[\[[^\]]*\]\]|!\[[^\]]*\]\([^)]*\)")  # an embedded image or note is no text
_WIKILINK = re.compile(r"\[\[(?:[^\]|]*\|)?([^\]]*)\]\]")
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_SPACE_BEFORE_STOP = re.compile(r"\s+([.,;:!?])")


def plain(text: str) -> str:
    """A sentence without its Markdown: emphasis, code ticks, citation markers, link syntax."""
    text = _WIKILINK.sub(r"\1", EMBED.sub("", text))
    text = _LINK.sub(r"\1", text)
    return _SPACE_BEFORE_STOP.sub(r"\1", " ".join(_MARKUP.sub("", text).split()))  # "described in [12]." -> "in."
