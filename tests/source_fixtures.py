"""The support pass's fixture sets (tests/fixtures/sources/{dev,heldout}): pages served on loopback as
sites serve them, one note per claim, and what the pass said of each claim against what was planted.

    with served("dev") as (server, claims):       # claims: the set's claims.json, each with its page's URL
        vault = vault_for(tmp, claims)             # one note per claim, citing its page as [1]
    verdicts(doc)                                  # claim -> the support finding (from `vaultkit run --json`)
    score(claims, verdicts)                        # counts: caught mismatches, false alarms, boilerplate evidence
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any, Iterator

from sourceserver import SourceServer

SETS = Path(__file__).parent / "fixtures" / "sources"
EXPECTED = {"found": "support-found", "mismatch": "figure-mismatch", "not-in-source": "not-in-source"}


def content_type(name: str) -> str:
    """What a site sends: plain text as such, a page labelled only by its own meta tag without a charset."""
    if name.endswith(".txt"):
        return "text/plain; charset=utf-8"
    if ".latin1." in name or ".cp1252." in name:
        return "text/html"
    return "text/html; charset=utf-8"


@contextlib.contextmanager
def served(name: str, delay: float = 0.0) -> Iterator[tuple[SourceServer, list[dict[str, Any]]]]:
    """The set's pages on a loopback server, and its claims with the URL each cites."""
    folder = SETS / name
    claims = json.loads((folder / "claims.json").read_text(encoding="utf-8"))
    with SourceServer() as server:
        server.delay = delay
        for page in sorted((folder / "pages").iterdir()):
            server.page(f"/{page.name}", page.read_bytes(), content_type(page.name))
        yield server, [{**c, "url": server.url(f"/{c['page']}")} for c in claims]


def vault_for(root: Path, claims: list[dict[str, Any]]) -> Path:
    """One note per claim (claims never share a callout), and a config that lets the pass reach loopback."""
    root.mkdir(parents=True, exist_ok=True)
    for i, c in enumerate(claims):
        (root / f"claim-{i:03d}.md").write_text(
            f"# Claim {i}\n\n> [!ai]+ Answer\n> {c['claim']}\n>\n> Sources:\n> [1] {c['url']}\n", encoding="utf-8")
    (root / ".vaultkit.toml").write_text("[net]\nallow_private = true\ntimeout = 5.0\n", encoding="utf-8")
    return root


def verdicts(doc: dict[str, Any]) -> dict[int, dict[str, Any]]:
    """Claim number -> the support pass's finding on it (claims the scorer did not pick have none)."""
    out = {}
    for note in doc["notes"]:
        name = Path(note["path"]).stem
        if not name.startswith("claim-"):
            continue
        for f in note["findings"]:
            if f["pass"] == "support" and "claim" in f["data"]:
                out[int(name.split("-")[1])] = f
    return out


def score(claims: list[dict[str, Any]], found: dict[int, dict[str, Any]]) -> dict[str, Any]:
    """The counts the issue's "done when" is about, and every claim whose verdict was not the planted one."""
    out: dict[str, Any] = {"claims": len(claims), "checked": len(found), "agree": 0, "mismatches": 0, "caught": 0,
                           "false_alarms": 0, "supported": 0, "unavailable_warnings": 0, "wrong": []}
    for i, c in enumerate(claims):
        f = found.get(i)
        kind = f["kind"] if f else "unchecked"
        want = EXPECTED[c["expect"]]
        out["agree"] += kind == want
        if c["expect"] == "mismatch":
            out["mismatches"] += 1
            out["caught"] += kind == "figure-mismatch"
        if c["expect"] == "found":
            out["supported"] += 1
            out["false_alarms"] += kind in ("figure-mismatch", "not-in-source")
        if kind == "source-unavailable" and f and f["severity"] != "info":
            out["unavailable_warnings"] += 1
        if kind != want:
            out["wrong"].append({"n": i, "page": c["page"], "expect": c["expect"], "got": kind, "claim": c["claim"],
                                 "said": (f or {}).get("data", {}).get("said"),
                                 "evidence": (f or {}).get("data", {}).get("evidence", "")[:160]})
    return out
