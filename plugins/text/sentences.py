"""Sentences of AI text, each with the note line it starts on: Markdown-aware, pysbd inside.

Shared by the claims and summaries passes, so there is one segmenter. pysbd is imported
lazily (only when a target is segmented) and told the note's language.
"""

from __future__ import annotations

import hashlib
import re
import weakref
from bisect import bisect_left, bisect_right
from functools import lru_cache
from typing import Any, Callable, NamedTuple

from vaultkit import Note, Target

from .asides import YEAR_IN_PARENTHESES, CARVE, LABEL, SENTENCE, STANDALONE, may_carve, unit_kind
from .asides import NOTE, REFERENCE, URL, split_label  # noqa: F401  (part of this module's interface)
from .language import is_english, language  # noqa: F401  (part of this module's interface)
from .prose import prose_rows
from .references import ENTRY, is_list_head

_TASK_BOX = re.compile(r"^\[[ xX/-]\]\s*")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-+:?\s*(?:\|\s*:?-+:?\s*)*\|?\s*$")
_ITEM_START = frozenset("-*+0123456789")
LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d{1,3}[.)])\s+")  # a list marker (shared with `units`)
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s")
_PROTECT = re.compile(r"`[^`\n]+`|https?://\S+|\b(?:e\.g|i\.e|et al|vs|cf|ca|approx|Corp|Inc|Ltd|No|Fig|c)\.(?=\s)")
_DOT = "\u2024"  # stands in for a dot pysbd must not split at; put back afterwards


class Sentence(NamedTuple):
    """One sentence (or reference, editor's note, bare URL): its text as written and where it starts.

    A NamedTuple, not a frozen dataclass: a vault has hundreds of thousands of sentences.
    """

    text: str
    line: int  # 1-based line of note.lines
    paragraph: int  # index of the paragraph or list item it belongs to
    end_line: int = 0  # the line its last character is on
    kind: str = SENTENCE  # SENTENCE, or REFERENCE (`[Kaplan, J., … (2020). Title.]`), NOTE, URL


@lru_cache(maxsize=8)
def _segmenter(lang: str) -> Any:
    import pysbd  # type: ignore[import-untyped]  # ships no type information

    return pysbd.Segmenter(language=lang, clean=False, char_span=False)


def blocks(note: Note, target: Target) -> list[list[tuple[int, str]]]:
    """Paragraphs and list items of a target as (line, text) rows; headings and reference lists left out."""
    out: list[list[tuple[int, str]]] = []
    current: list[tuple[int, str]] = []
    in_table = False
    first, rows = prose_rows(note, target)
    for i, text in enumerate(rows):
        stripped = text.strip()
        # Cheap character tests first: this loop sees every line of every target.
        if not stripped:
            in_table = False
            if current:
                out.append(current)
                current = []
            continue
        if "|" in stripped:  # a table's cells are not sentences
            in_table = in_table or stripped[0] == "|" or (i + 1 < len(rows) and bool(_TABLE_RULE.match(rows[i + 1])))
            if in_table:
                stripped = ""
        else:
            in_table = False
        heading = stripped[:1] == "#" and _HEADING.match(text)
        if not heading and len(stripped) <= 60 and is_list_head(stripped):  # `Citations:`
            break  # a reference list runs to the end of the target
        if (not stripped or heading or stripped.startswith("[!")
                or ("[" in stripped[:6] and ENTRY.match(text))):
            if current:
                out.append(current)
            current = []
            continue
        item = stripped[0] in _ITEM_START and LIST_ITEM.match(text)
        if item:
            if current:
                out.append(current)
            current = [(first + i, _TASK_BOX.sub("", text[item.end():].strip()))]
            continue
        if stripped[0] in "*_(<[h":
            # an editor's note or a URL on its own line: a block of its own (cheap tests before the regex)
            if (stripped[-1] in ")*_.>" or "://" in stripped) and STANDALONE.match(stripped):
                if current:
                    out.append(current)
                out.append([(first + i, stripped)])
                current = []
                continue
            if current and stripped[:2] in ("**", "__") and LABEL.match(stripped):  # a bold label starts a paragraph
                out.append(current)
                current = []
        if current and _ends_unpunctuated(current[-1][1]) and _starts_block(stripped):
            out.append(current)
            current = []
        current.append((first + i, stripped))
    if current:
        out.append(current)
    return out


def _ends_unpunctuated(text: str) -> bool:
    """A soft-broken line with no end punctuation (a label, a bold pseudo-heading) ends its block."""
    bare = text.rstrip("*_ ")
    return bool(bare) and bare[-1] not in ".!?:;,)]\"'”’…" and not bare[-1].isalnum()


def _starts_block(text: str) -> bool:
    return text[:1].isupper() or text.startswith("**")


# Claims and summaries both segment every target: each note's blocks and the blocks already split
# are kept while the note object lives, so the second pass does only what the first skipped.
_SPLIT: weakref.WeakKeyDictionary[Note, dict[tuple[int, int, str], tuple[list[list[tuple[int, str]]], dict[int, list[Sentence]]]]] = (
    weakref.WeakKeyDictionary())


def sentences(note: Note, target: Target, keep: Callable[[str], bool] | None = None,
              lookups: Any = None) -> list[Sentence]:
    """The target's sentences in order, each with the line it starts on.

    `keep` may rule out a whole paragraph or list item by its text before it is split (a pass
    that can tell no sentence of it matters saves the work). `lookups` (a pass's `ctx.lookups`)
    keeps pysbd's splits between runs.
    """
    memo = _SPLIT.setdefault(note, {})
    key = (target.line, target.end_line, target.id)
    if key not in memo:
        memo[key] = (blocks(note, target), {})
    rows, split = memo[key]
    if not rows:
        return []
    langs: list[str] = []  # the language, guessed once and only if pysbd is needed

    def lang() -> str:
        if not langs:
            langs.append(language(_sample(rows)))
        return langs[0]

    out: list[Sentence] = []
    for index, block in enumerate(rows):
        if len(block) == 1:
            line, piece = block[0][0], block[0][1].strip()
            if keep is not None and not keep(piece):
                continue
            if (not _MAYBE_CUT.search(piece) and (piece.isascii() or not _CJK_END.search(piece))  # most blocks: one line, one sentence
                    and not (("*(" in piece or "_(" in piece or ("[" in piece and YEAR_IN_PARENTHESES.search(piece)))
                             and CARVE.search(piece))):
                if piece:
                    whole = piece[0] in "*_([<h" and (piece[-1] in ")*_.>],;" or "://" in piece)
                    out.append(Sentence(piece, line, index, line, unit_kind(piece) if whole else SENTENCE))
                continue
        text, starts = _join(block)
        if keep is not None and len(block) > 1 and not keep(text):
            continue
        done = split.get(index)
        if done is None:
            kind = unit_kind(text) if text[0] in "*_([<h" else SENTENCE
            if kind != SENTENCE:
                done = [Sentence(text, starts[0][1], index, block[-1][0], kind)]
            elif may_carve(text) and CARVE.search(text):
                done = _carved(text, starts, index, lang, lookups)
            else:
                # Code spans and URLs may hold `. X`; everything else a cut needs is checked at the cut.
                guarded = _guard(text) if ("`" in text or "://" in text) else text
                pieces = _fast_split(guarded)
                if pieces is None:  # an abbreviation or initial before a capital: pysbd (about 50x slower) decides
                    guarded = _guard(text)
                    pieces = _segmented(lang(), guarded, lookups)
                done = _located(pieces, guarded, starts, index)
            split[index] = done
        out += done
    return out


def _split(text: str, lang: Callable[[], str], lookups: Any) -> tuple[str, list[str]]:
    """A run of prose as sentences: the fast splitter, or pysbd where it cannot decide; and the text
    with the dots that must not end a sentence guarded (the pieces are found in it)."""
    # Code spans and URLs may hold `. X`; everything else a cut needs is checked at the cut.
    guarded = _guard(text) if ("`" in text or "://" in text) else text
    pieces = _fast_split(guarded)
    if pieces is None:  # an abbreviation or initial before a capital: pysbd (about 50x slower) decides
        guarded = _guard(text)
        pieces = _segmented(lang(), guarded, lookups)
    return guarded, pieces


# pysbd's pieces by (language, block): a hook's two phases parse a note twice, so claims and
# summaries see two note objects, and pysbd takes milliseconds a block.
_PIECES: dict[tuple[str, str], list[str]] = {}
SPLIT_TTL = 365 * 86400.0  # a block's split only changes with pysbd's version, which is in the key


def _segmented(lang: str, text: str, lookups: Any = None) -> list[str]:
    """pysbd's split of one block: computed once per process, and kept in the cache for later runs
    (an editor hook on a note whose other blocks needed pysbd neither splits them nor imports it)."""
    key = (lang, text)
    pieces = _PIECES.get(key)
    if pieces is None:
        name = f"split:{_pysbd_version()}:{lang}:{hashlib.blake2b(text.encode('utf-8'), digest_size=16).hexdigest()}"
        kept = lookups.lookup(name) if lookups is not None else None
        if isinstance(kept, list) and all(isinstance(p, str) for p in kept):
            pieces = kept
        else:
            pieces = _segmenter(lang).segment(text)
            if lookups is not None:
                lookups.remember(name, pieces, SPLIT_TTL)
        if len(_PIECES) >= 4096:
            _PIECES.clear()
        _PIECES[key] = pieces
    return pieces


@lru_cache(maxsize=1)
def _pysbd_version() -> str:
    """The installed pysbd's version, read without importing it."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("pysbd")
    except PackageNotFoundError:
        return "unknown"


def _carved(text: str, starts: list[tuple[int, int]], index: int, lang: Callable[[], str], lookups: Any
            ) -> list[Sentence]:
    """A block with references or editor's notes in it: those cut out as units of their own, the
    prose between them split into sentences."""
    pieces: list[str] = []
    kinds: list[str] = []
    guarded_parts: list[str] = []
    at = 0
    for m in [*CARVE.finditer(text), None]:
        segment = text[at:m.start() if m else len(text)]
        if segment.strip():
            guarded, split_pieces = _split(segment, lang, lookups)
            pieces += split_pieces
            kinds += [SENTENCE] * len(split_pieces)
            guarded_parts.append(guarded)
        else:
            guarded_parts.append(segment)
        if m is not None:
            pieces.append(m.group())
            kinds.append(m.lastgroup or NOTE)
            guarded_parts.append(m.group())
            at = m.end()
    return _located(pieces, "".join(guarded_parts), starts, index, kinds)


def _located(pieces: list[str], guarded: str, starts: list[tuple[int, int]], index: int,
             kinds: list[str] | None = None) -> list[Sentence]:
    """A block's pieces as sentences (or `kinds` of units), each with the lines it starts and ends on."""
    offsets = [off for off, _ in starts]
    out: list[Sentence] = []
    pos = 0
    if kinds is None:  # (most blocks: sentences only)
        pieces, kinds = _attach_trailers([p for p in pieces if p.strip()]), []
    else:  # (a `.` left after a reference is cut out is no sentence)
        kept = [(p, k) for p, k in zip(pieces, kinds) if p.strip(" \t.,;:")]
        pieces, kinds = [p for p, _ in kept], [k for _, k in kept]
    for n, piece in enumerate(pieces):
        piece = piece.strip()
        at = guarded.find(piece, pos)
        at = pos if at < 0 else at
        pos = at + len(piece)
        line = starts[max(bisect_right(offsets, at) - 1, 0)][1]
        end = starts[max(bisect_left(offsets, pos) - 1, 0)][1]
        out.append(Sentence(piece.replace(_DOT, "."), line, index, max(end, line), kinds[n] if kinds else SENTENCE))
    return out


def _guard(text: str) -> str:
    return _PROTECT.sub(lambda m: m.group().replace(".", _DOT), text)


def _sample(rows: list[list[tuple[int, str]]], size: int = 2000) -> str:
    """The first `size` or so characters of prose: enough to tell a language by."""
    parts, total = [], 0
    for block in rows:
        for _, text in block:
            parts.append(text)
            total += len(text)
            if total >= size:
                return " ".join(parts)
    return " ".join(parts)


def _join(block: list[tuple[int, str]]) -> tuple[str, list[tuple[int, int]]]:
    """One string for a block, with the offset at which each of its lines starts."""
    parts, starts, offset = [], [], 0
    for line, text in block:
        starts.append((offset, line))
        parts.append(text)
        offset += len(text) + 1
    return " ".join(parts), starts


# Words before a period that never end a sentence, and ones that may not although a capital follows.
_NEVER_END = frozenset(
    "e.g i.e al vs cf ca approx Corp Inc Ltd No Fig c Jan Feb Mar Apr Jun Jul Aug Sep Sept Oct Nov Dec".split()
)
_MAYBE_END = frozenset(
    "Dr Mr Mrs Ms Prof St Gen Maj Col Lt Sr Jr Mt Ft Nr Art Abs Vol bzw z.B d.h vgl usw S p pp ed eds Eds "
    "op cit ibid etc".split()
)
_SPACED_ABBREVIATION = re.compile(r"(?:\bz\. B|\bd\. h|\bu\. a|\bi\. e|\be\. g)$")  # "z. B." (German "for example")
_SPACED_FIRST = {"z": "B.", "d": "h."}
_NEXT_INITIAL = re.compile(r"[A-Z]\.\s")
_PREVIOUS_INITIAL = re.compile(r"\b[A-Z]\.\s+$")
_INITIALS = re.compile(r"(?:[A-Z]\.){0,2}[A-Z]")
_TAIL = re.compile(r"[\w.]+$")
# Needed for any cut (end punctuation with a space somewhere after it, or CJK end punctuation); it
# starts with a character class, so the regex engine skips ahead fast. `_BOUNDARY` cannot.
_MAYBE_CUT = re.compile(r"[.!?…]\S*\s")
# Marks that end a sentence where they stand: CJK 。！？, the Devanagari/Bengali danda । ॥, Arabic ؟
# and Urdu ۔, Ethiopic ።, Burmese ။, Khmer ។ ៕.
_STANDING = "。！？।॥؟۔።။។៕"
_CJK_END = re.compile(f"[{_STANDING}].")  # (two patterns: one with `|` at the top cannot be scanned ahead fast)
# What may start a sentence after `. `: a capital (Latin, Greek, Cyrillic, Armenian), a digit, or a
# letter of a script without case (Georgian, Hebrew, Arabic, Devanagari, Bengali, Hangul).
_STARTS = ("A-ZÀ-ÖØ-Þ0-9¿¡\u0386-\u038f\u0391-\u03a9\u0400-\u042f\u0531-\u0556\u10d0-\u10ff"
           "\u05d0-\u05ea\u0620-\u064a\u0671-\u06d3\u0900-\u097f\u0980-\u09ff\uac00-\ud7a3")
_BOUNDARY = re.compile(f"([.!?…](?:[\"”’)\\]]|\\[\\d{{1,3}}\\])*)\\s+(?=[\"“‘(\\[*_]?[{_STARTS}])|[{_STANDING}]")


def _fast_split(text: str) -> list[str] | None:
    """Split at `. ` + capital (markers after the period stay with their sentence); CJK at 。！？.

    None when a cut follows an abbreviation or initial that may not end a sentence ("Dr.", "J."):
    such blocks need pysbd's rules.
    """
    out, start = [], 0
    for m in _BOUNDARY.finditer(text):
        mark = m.group(1)
        if mark is None:  # 。！？ end a sentence where they stand
            out.append(text[start:m.end()])
            start = m.end()
            continue
        if mark[0] == ".":
            tail = _TAIL.search(text, max(0, m.start() - 12), m.start())
            word = tail.group().lstrip(".") if tail else ""
            if word in _NEVER_END or _SPACED_ABBREVIATION.search(text, max(0, m.start() - 5), m.start()):
                continue
            if word in _SPACED_FIRST and text.startswith(_SPACED_FIRST[word], m.end()):
                continue  # the "z." of "z. B."
            if _INITIALS.fullmatch(word) and (_NEXT_INITIAL.match(text, m.end())
                                              or _PREVIOUS_INITIAL.search(text, 0, tail.start() if tail else 0)):
                continue  # "J. A. Murphy": a run of initials goes on into a name
            if word in _MAYBE_END or _INITIALS.fullmatch(word):
                return None
        out.append(text[start:m.start() + len(mark)])
        start = m.end()
    out.append(text[start:])
    return out


_TRAILER = re.compile(r"^(?:\[\d{1,3}\])+\.?$")


def _attach_trailers(pieces: list[str]) -> list[str]:
    """A piece that is only citation markers belongs to the sentence before."""
    out: list[str] = []
    for piece in pieces:
        if out and _TRAILER.match(piece.strip()):
            out[-1] = out[-1].rstrip() + " " + piece.strip()
        else:
            out.append(piece)
    return out
