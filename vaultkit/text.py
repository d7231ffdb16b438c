"""Bytes to lines and back, exactly: BOM, newline style and final newline survive."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from vaultkit.errors import ParseError

BOM = "\ufeff"
# markdown-it normalises \r\n, \r and \n alike, so line numbers must too.
_NEWLINE = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True, slots=True)
class Decoded:
    """A note's text with the byte-level facts needed to write it back unchanged."""

    text: str  # without the BOM
    bom: bool
    newline: str  # the style vaultkit uses for lines it adds
    final_newline: bool


def decode(raw: bytes, where: str = "") -> Decoded:
    """Strict UTF-8 decode; the note is left alone if it is not UTF-8."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = len(_NEWLINE.findall(raw[: exc.start].decode("utf-8", "replace"))) + 1
        raise ParseError(f"not valid UTF-8 (byte {exc.start}, line {line}) — re-save the note as UTF-8") from exc
    bom = text.startswith(BOM)
    if bom:
        text = text[1:]
    first = _NEWLINE.search(text)
    newline = first.group() if first else "\n"
    return Decoded(text, bom, newline, text.endswith(("\n", "\r")))


def encode(text: str, bom: bool) -> bytes:
    """The inverse of `decode`."""
    return ((BOM if bom else "") + text).encode("utf-8")


def split_lines(text: str) -> list[str]:
    """Lines with their own endings; joining them gives `text` back exactly."""
    if "\r" not in text:
        parts = text.split("\n")
        lines = [p + "\n" for p in parts[:-1]]
        if parts[-1]:
            lines.append(parts[-1])
        return lines
    lines = []
    start = 0
    for match in _NEWLINE.finditer(text):
        lines.append(text[start : match.end()])
        start = match.end()
    if start < len(text):
        lines.append(text[start:])
    return lines


def strip_eol(line: str) -> str:
    """A line without its ending."""
    return line.rstrip("\r\n")


def eol(line: str) -> str:
    """The line's own ending, '' for a last line without one."""
    return line[len(line.rstrip("\r\n")) :]


def digest(*parts: str | bytes, size: int = 8) -> str:
    """A short stable hash for cache keys and block markers."""
    h = hashlib.blake2b(digest_size=size)
    for part in parts:
        h.update(part.encode("utf-8") if isinstance(part, str) else part)
        h.update(b"\x00")
    return h.hexdigest()
