"""Escape text (from a note or the network) so it shows as plain text inside a managed callout."""

from __future__ import annotations

import html
import re

# Everything Markdown or Obsidian could read as syntax: emphasis, links, wikilinks and
# embeds (`[[`, `![[`), tags, HTML, callout/quote markers, comments (`%%`), math, tables.
_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+!|~=$%^-])")


def escape(text: str) -> str:
    """One line of inert text: no line breaks, no Markdown, no HTML."""
    one_line = " ".join(html.unescape(text).split())
    return _SPECIAL.sub(r"\\\1", one_line)
