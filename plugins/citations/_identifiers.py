"""Syntax rules for the identifiers a reference can carry: arXiv IDs, DOIs, URLs."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

_ARXIV_NEW = re.compile(r"^(\d{2})(\d{2})\.(\d{4,5})$")
# Old-style IDs (1991–2007): `hep-th/9901001`, `math.GT/0309136`.
_ARXIV_OLD = re.compile(r"^[a-z]+(?:-[a-z]+)*(?:\.[A-Z]{2})?/(\d{2})(\d{2})\d{3}$")
_DOI = re.compile(r"^10\.\d{4,9}(?:\.\d+)*/\S+$")
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$", re.I)


def arxiv_problem(ident: str) -> str | None:
    """Why an arXiv ID is malformed, or None when it is well-formed.

    New-style IDs are YYMM.NNNN from April 2007 to 2014 and YYMM.NNNNN from 2015
    (https://info.arxiv.org/help/arxiv_identifier.html).
    """
    m = _ARXIV_NEW.match(ident)
    if m:
        yy, mm, num = int(m.group(1)), int(m.group(2)), m.group(3)
        if not 1 <= mm <= 12:
            return f"month {mm:02d} does not exist"
        if (yy, mm) < (7, 4):
            return "new-style arXiv IDs start in April 2007 (0704)"
        want = 4 if yy < 15 else 5
        if len(num) != want:
            return f"IDs from 20{yy:02d} have {want} digits after the dot, not {len(num)}"
        return None
    m = _ARXIV_OLD.match(ident)
    if m:
        yy, mm = int(m.group(1)), int(m.group(2))
        if not 1 <= mm <= 12:
            return f"month {mm:02d} does not exist"
        if not (yy >= 91 or yy <= 7):
            return "old-style arXiv IDs run from 1991 to 2007"
        return None
    return "not of the form YYMM.NNNNN (or archive/YYMMNNN)"


def arxiv_date(ident: str) -> tuple[int, int] | None:
    """(year, month) an arXiv ID was issued, from the ID itself."""
    m = _ARXIV_NEW.match(ident) or _ARXIV_OLD.match(ident)
    if not m:
        return None
    yy, mm = int(m.group(1)), int(m.group(2))
    return (1900 + yy if yy >= 91 else 2000 + yy), mm


def doi_problem(doi: str) -> str | None:
    """Why a DOI is malformed (10.<4–9 digit registrant>/<suffix>), or None."""
    if _DOI.match(doi):
        return None
    if not doi.startswith("10."):
        return "a DOI starts with 10."
    if "/" not in doi or doi.endswith("/"):
        return "a DOI needs a suffix after the slash"
    return "the registrant code after 10. must be 4 to 9 digits"


def url_problem(url: str) -> str | None:
    """Why an http(s) URL cannot be right (bad host, port or shape), or None."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        return f"invalid URL ({exc})"
    if parts.scheme.lower() not in ("http", "https"):
        return "not an http(s) URL"
    host = parts.hostname or ""
    if not host:
        return "no host name"
    if port == 0:
        return "port 0"
    if host.startswith("[") or re.fullmatch(r"[\d.]+", host) or ":" in host:
        return None  # IP literals are checked by the network guard, not here
    labels = host.rstrip(".").split(".")
    if len(labels) < 2 and host != "localhost":
        return f"host '{host}' has no domain"
    try:
        ascii_labels = [lbl.encode("idna").decode("ascii") if not lbl.isascii() else lbl for lbl in labels]
    except UnicodeError:
        return f"host '{host}' is not a valid name"
    if any(not _LABEL.match(lbl) for lbl in ascii_labels):
        return f"host '{host}' is not a valid name"
    if len(labels) >= 2 and not re.fullmatch(r"[a-z]{2,63}|xn--[a-z0-9-]+", ascii_labels[-1], re.I):
        return f"'.{labels[-1]}' is not a top-level domain"
    return None
