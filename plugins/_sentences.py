"""Sentences of AI text, each with the note line it starts on: Markdown-aware, pysbd inside.

Shared by the claims and summaries passes, so there is one segmenter. pysbd is imported
lazily (only when a target is segmented) and told the note's language.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from vaultkit import Note, Target

from ._refs import _ENTRY, _LIST_HEAD, target_lines

_LIST = re.compile(r"^\s*(?:[-*+]|\d{1,3}[.)])\s+")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s")
_PROTECT = re.compile(r"`[^`\n]+`|https?://\S+|\b(?:e\.g|i\.e|et al|vs|cf|ca|approx|Corp|Inc|Ltd|No|Fig|c)\.(?=\s)")
_DOT = "\u2024"  # stands in for a dot pysbd must not split at; put back afterwards
_STOPWORDS = {
    "de": " der die das und ist nicht mit für auf ein eine ",
    "fr": " le la les et est pas pour avec une des du ",
    "es": " el la los las y es no para con una del ",
    "it": " il lo la gli e è non per con una della del ",
}


@dataclass(frozen=True, slots=True)
class Sentence:
    """One sentence: its text as written (emphasis and markers kept) and where it starts."""

    text: str
    line: int  # 1-based line of note.lines
    paragraph: int  # index of the paragraph or list item it belongs to
    end_line: int = 0  # the line its last character is on


def language(text: str) -> str:
    """A pysbd language code for the text (en, de, fr, es, it) by counting common words."""
    sample = " " + " ".join(re.findall(r"\w+", text.lower())[:400]) + " "
    best, hits = "en", sample.count(" the ") + sample.count(" and ") + sample.count(" is ")
    for code, words in _STOPWORDS.items():
        n = sum(sample.count(f" {w} ") for w in words.split())
        if n > hits * 1.3:
            best, hits = code, n
    return best


@lru_cache(maxsize=8)
def _segmenter(lang: str) -> Any:
    import pysbd  # type: ignore[import-untyped]  # ships no type information

    return pysbd.Segmenter(language=lang, clean=False, char_span=False)


def blocks(note: Note, target: Target) -> list[list[tuple[int, str]]]:
    """Paragraphs and list items of a target as (line, text) rows; headings and reference lists left out."""
    out: list[list[tuple[int, str]]] = []
    current: list[tuple[int, str]] = []
    in_refs = False
    for line, text in target_lines(note, target):
        stripped = text.strip()
        if _LIST_HEAD.match(stripped) and not _HEADING.match(text):  # `Citations:` starts a reference list
            in_refs = True
        if in_refs or not stripped or _HEADING.match(text) or _ENTRY.match(text) or stripped.startswith("[!"):
            if current:
                out.append(current)
            current = []
            continue
        item = _LIST.match(text)
        if item:
            if current:
                out.append(current)
            current = [(line, text[item.end():].strip())]
            continue
        if current and _ends_unpunctuated(current[-1][1]) and _starts_block(stripped):
            out.append(current)
            current = []
        current.append((line, stripped))
    if current:
        out.append(current)
    return out


def _ends_unpunctuated(text: str) -> bool:
    """A soft-broken line with no end punctuation (a label, a bold pseudo-heading) ends its block."""
    bare = text.rstrip("*_ ")
    return bool(bare) and bare[-1] not in ".!?:;,)]\"'”’…" and not bare[-1].isalnum()


def _starts_block(text: str) -> bool:
    return text[:1].isupper() or text.startswith("**")


def sentences(note: Note, target: Target) -> list[Sentence]:
    """The target's sentences in order, each with the line it starts on."""
    rows = blocks(note, target)
    if not rows:
        return []
    lang = language(" ".join(t for block in rows for _, t in block))
    seg = _segmenter(lang)
    out: list[Sentence] = []
    for index, block in enumerate(rows):
        text, starts = _join(block)
        guarded = _PROTECT.sub(lambda m: m.group().replace(".", _DOT), text)
        pos = 0
        # Plain prose splits safely on a regex; pysbd (about 50x slower) only sees blocks
        # where an abbreviation or initial could be taken for a sentence end.
        split = seg.segment(guarded) if _AMBIGUOUS.search(guarded) else _fast_split(guarded)
        pieces = [p for p in split if p.strip()]
        for piece in _attach_trailers(pieces):
            at = guarded.find(piece.strip(), pos)
            at = pos if at < 0 else at
            pos = at + len(piece.strip())
            sentence = piece.strip().replace(_DOT, ".")
            line = max((ln for off, ln in starts if off <= at), default=block[0][0])
            end = max((ln for off, ln in starts if off < pos), default=line)
            out.append(Sentence(sentence, line, index, end))
    return out


def _join(block: list[tuple[int, str]]) -> tuple[str, list[tuple[int, int]]]:
    """One string for a block, with the offset at which each of its lines starts."""
    parts, starts, offset = [], [], 0
    for line, text in block:
        starts.append((offset, line))
        parts.append(text)
        offset += len(text) + 1
    return " ".join(parts), starts


# A period that may not end a sentence although an uppercase letter follows.
_AMBIGUOUS = re.compile(
    r"\b(?:[A-Z]\.){1,3}\s|\b(?:Dr|Mr|Mrs|Ms|Prof|St|Gen|Maj|Col|Lt|Sr|Jr|Mt|Ft|No|Nr|Fig|Art|Abs|Vol|"
    r"approx|ca|bzw|z\.B|d\.h|vgl|usw|Nr|S|p|pp|ed|eds|Eds|op|cit|ibid)\.\s"
)
_BOUNDARY = re.compile(r"(?<=[.!?…])((?:[\"”’)\]]|\[\d{1,3}\])*)\s+(?=[\"“‘(\[*_]?[A-ZÀ-ÖØ-Þ0-9¿¡])|(?<=[。！？])")


def _fast_split(text: str) -> list[str]:
    """Split at `. ` + capital (markers after the period stay with their sentence); CJK at 。！？."""
    out, start = [], 0
    for m in _BOUNDARY.finditer(text):
        end = m.start() + len(m.group(1) or "")
        out.append(text[start:end])
        start = m.end()
    out.append(text[start:])
    return out


_TRAILER = re.compile(r"^(?:\[\d{1,3}\])+$|^\[[^\]]*\(\d{4}[a-z]?\)[^\]]*\]\.?$")


def _attach_trailers(pieces: list[str]) -> list[str]:
    """A piece that is only citation markers or a bracketed reference belongs to the sentence before."""
    out: list[str] = []
    for piece in pieces:
        if out and _TRAILER.match(piece.strip()):
            out[-1] = out[-1].rstrip() + " " + piece.strip()
        else:
            out.append(piece)
    return out
