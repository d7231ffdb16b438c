"""What AI answers put between their sentences that never is one: a bracketed reference, an editor's
note ("**(Pause to verify facts and citations)**"), a URL on its own line; and the bold label that
opens a list item ("**Sparse MoE:** Routing …"), which belongs to its sentence but is not what it says.

Read by the segmenter (`sentences`), so that claims and summaries never quote them.
"""

from __future__ import annotations

import re

# What a unit of AI text is: a sentence, or one of the things answers put between sentences that
# never are one (and never belong to the sentence beside them).
SENTENCE, REFERENCE, NOTE, URL = "sentence", "reference", "note", "url"


# `**(Pause to verify facts and citations)**`: an editor's note, emphasised and in parentheses.
_NOTE = r"(?:\*\*|__|\*|_)\([^()\n]{2,200}\)\.?(?:\*\*|__|\*|_)"
# `[Kaplan, J., … (2020). Title. *Venue*.]`, `[OpenAI (2023). GPT-4 Technical Report.]`: a reference in brackets.
_BRACKETED_REFERENCE = r"\[[A-Z][^\[\]\n]{0,300}?\(\d{4}[a-z]?\)[^\[\]\n]{0,500}\](?![(\[])"
# Cut out of a block before it is split, each with the punctuation that trails it.
CARVE = re.compile(f"(?P<note>{_NOTE})[.,;]?|(?P<reference>{_BRACKETED_REFERENCE})[.,;]?")
# Lines that are a unit on their own: an editor's note, a parenthesis, a URL, a lone link.
STANDALONE = re.compile(
    f"^(?:(?P<note>{_NOTE}|\\([^()\\n]{{2,200}}\\)\\.?)|(?P<url><?https?://\\S+>?|\\[[^\\]\\n]+\\]\\(<?https?://[^)\\s]+>?\\)))$")
# A bold label that opens a line: `**Sparse MoE:** Routing …`, `**Sparse MoE**: Routing …`.
LABEL = re.compile(r"^(?:\*\*|__)(?P<label>[^*_\n]{1,80}?)(?::\s*(?:\*\*|__)|(?:\*\*|__)\s*:)[ \t]*")


def split_label(text: str) -> tuple[str, str]:
    """(`Sparse MoE`, `Routing …`) for `**Sparse MoE:** Routing …`; ("", text) without a label."""
    if text[:2] not in ("**", "__"):
        return "", text
    m = LABEL.match(text)
    return (m.group("label").strip(), text[m.end():]) if m else ("", text)


def unit_kind(text: str) -> str:
    """What a whole piece of text is: SENTENCE, or a REFERENCE, NOTE or URL standing alone."""
    if text[:1] not in "*_([<h":
        return SENTENCE
    m = STANDALONE.match(text)
    if m:
        return NOTE if m.group("note") else URL
    m = CARVE.fullmatch(text) if may_carve(text) else None
    return (m.lastgroup or SENTENCE) if m else SENTENCE


YEAR_IN_PARENTHESES = re.compile(r"\(\d{4}[a-z]?\)")  # (starts with a literal: the engine skips ahead fast)


def may_carve(text: str) -> bool:
    """Could the text hold a reference or an editor's note to cut out? (What `CARVE` needs: `*(` or
    `_(` for a note; a `[` and a year in parentheses, `(2020)`, for a reference.)"""
    return "*(" in text or "_(" in text or ("[" in text and YEAR_IN_PARENTHESES.search(text) is not None)
