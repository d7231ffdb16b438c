"""How the cache keeps its values small: JSON text compressed, and a note's earlier bytes kept as the
difference from what vaultkit wrote (undo only restores a note that still holds exactly that).

    pack(text) -> str | bytes        zlib when it pays (a BLOB), else the text as it is
    unpack(value) -> str             either, back to text (rows written before packing stay readable)
    delta(before, after) -> bytes    `before` as line edits of `after`, compressed
    patch(after, stored) -> bytes    `before` again (a stored value that is not a delta is `before` itself)

zlib at level 1, not zstd: on the obsidian-help cache (BENCHMARKS.md, "The cache") zstd level 3 packs
the same JSON to the same size (40.4 MB against zlib-6's 40.0 for the results) four to six times
faster, but importing it costs an editor hook 15 ms of its 200 (zlib: 0.5 ms, and no dependency);
zlib level 1 is within 2.5 % of level 6 in size and the fastest zlib.

Small values are most of the rows (a pass's result with nothing to say is 86 bytes), and zlib
alone cannot shorten them; compressed against `WORDS`, a preset dictionary of vaultkit's own JSON
(its keys, kinds and severities: nothing of any vault's text), they take a tenth of that. A stream
names its dictionary (zlib's DICTID), so one added later leaves the values written before readable.
"""

from __future__ import annotations

import json
import zlib

SMALL = 24  # bytes of text not worth compressing
LEVEL = 1  # for values written on every run
DELTA = b"VKD1"  # what a delta starts with (a stored `before` that does not is the bytes themselves)
STATE = b"VKZ1"  # what a compressed state starts with


# The preset dictionary: what vaultkit's cached JSON repeats (results, reports, lookups), the most
# common last (zlib finds a match nearer the end in fewer bits). Never change it: add another.
WORDS = b"".join([
    b'"contradicted-by-source", "figure-mismatch", "not-in-source", "support-found", "support-unclear", ',
    b'"source-unavailable", "source-uncached", "unreachable-link", "dead-link", "malformed-url", ',
    b'"malformed-identifier", "dangling-marker", "unused-reference", "duplicate-reference", ',
    b'"uncited-claim", "cited-claim", "conflicting-claim", "summary-unsegmented", "duplicate-section", ',
    b'{"path": "", "status": "ok", "error": "", "targets": [{"kind": "callout", "type": "note", "line": ',
    b'"end_line": ', b'"vault_results": {}, "retry": false, ',
    b'"findings": [{"pass": "summaries", "kind": "summary", "severity": "warning", "line": ',
    b'"message": "summary: ", "data": {"heading": "", "mode": "extractive", "text": "", ',
    b'"id": "summaries:", "dismissed": false}, {"pass": "claims", "kind": "claim", "severity": "info", ',
    b'{"pass": "stats", "kind": "stats", "severity": "info", "line": ',
    b'" words \\u00b7 ', b' sentences \\u00b7 ', b' citation markers", ',
    b'"data": {"citation_markers": 0, "sentences": ', b'"words": ', b'"id": "stats:", "dismissed": false}',
    b'{"cacheable": true, "displays": [["', b'"findings": [["', b'"info", ', b'"warning", ',
    b'{"cacheable": true, "displays": [], "findings": [], "properties": {"markers": 0, "references": 0}, '
    b'"summary": null}',
    b'{"cacheable": true, "displays": [], "findings": [], "properties": {}, "summary": null, '
    b'"summary_elsewhere": true}',
    b'{"cacheable": true, "displays": [], "findings": [], "properties": {}, "summary": null}',
])
_DICTS = {zlib.adler32(WORDS): WORDS}


def pack(text: str) -> str | bytes:
    """The text, compressed against `WORDS` when that saves something worth having."""
    data = text.encode("utf-8")
    if len(data) <= SMALL:
        return text
    squeeze = zlib.compressobj(LEVEL, zdict=WORDS)
    packed = squeeze.compress(data) + squeeze.flush()
    return packed if len(packed) < len(data) else text


def unpack(value: str | bytes) -> str:
    """A packed value (or one stored before packing, or packed without a dictionary) as text."""
    if isinstance(value, str):
        return value
    if len(value) > 6 and value[1] & 0x20:  # (FDICT: the stream names its dictionary next)
        words = _DICTS.get(int.from_bytes(value[2:6], "big"))
        if words is None:
            raise zlib.error("packed against a dictionary this version does not have")
        loosen = zlib.decompressobj(zdict=words)
        return (loosen.decompress(value) + loosen.flush()).decode("utf-8")
    return zlib.decompress(value).decode("utf-8")


def pack_state(data: bytes) -> bytes:
    """A pass's saved state, compressed (its index: numbers and paths)."""
    return STATE + zlib.compress(data, 1)


def unpack_state(data: bytes) -> bytes:
    """A saved state as the pass gave it."""
    return zlib.decompress(data[len(STATE):]) if data.startswith(STATE) else data


def delta(before: bytes, after: bytes) -> bytes:
    """`before` as edits of `after`, by lines: runs of `after` it keeps, and the lines it has instead.

    Matched first on pairs of lines (each with the next), then line by line inside what differs:
    difflib matched every blank line against every other (quadratic in them: 0.37 ms a note, 2.3 s
    of a 6,300-note run); a blank line and the line after it are rarely repeated. The same edits
    come out (the same bytes on obsidian-help), a third of the time."""
    from difflib import SequenceMatcher  # (only a writing run needs it: an editor hook's start stays lighter)

    a, b = after.splitlines(keepends=True), before.splitlines(keepends=True)
    ops: list[object] = []

    def emit(tag: str, i1: int, i2: int, j1: int, j2: int) -> None:
        if tag == "equal":
            if ops and isinstance(ops[-1], list) and ops[-1][1] == i1:
                ops[-1][1] = i2
            else:
                ops.append([i1, i2])
        elif j2 > j1:
            ops.append(b"".join(b[j1:j2]).decode("latin-1"))  # (latin-1: any bytes, one char each)

    pairs_a, pairs_b = list(zip(a, a[1:] + [b""])), list(zip(b, b[1:] + [b""]))
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, pairs_a, pairs_b, autojunk=False).get_opcodes():
        if tag == "equal" or i1 == i2 or j1 == j2:  # (equal pairs: equal lines)
            emit(tag, i1, i2, j1, j2)
            continue
        for tag2, x1, x2, y1, y2 in SequenceMatcher(None, a[i1:i2], b[j1:j2], autojunk=False).get_opcodes():
            emit(tag2, i1 + x1, i1 + x2, j1 + y1, j1 + y2)
    return DELTA + zlib.compress(json.dumps(ops, separators=(",", ":")).encode("utf-8"), 6)  # (small: level 6)


def patch(after: bytes, stored: bytes) -> bytes:
    """`before` from `after` and what `delta` stored (or `stored` itself, when it is not a delta)."""
    if not stored.startswith(DELTA):
        return stored
    a = after.splitlines(keepends=True)
    out = []
    for op in json.loads(zlib.decompress(stored[len(DELTA):])):
        out.append(b"".join(a[op[0]:op[1]]) if isinstance(op, list) else op.encode("latin-1"))
    return b"".join(out)
