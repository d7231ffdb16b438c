"""The support pass on its two fixture sets of realistic pages and AI-style claims (tests/fixtures/sources).

`dev` is the set the verdict's rules were tuned on: the issue's "done when" holds on it in full. `heldout`
was written by another hand and measured once before any rule looked at it (BENCHMARKS.md gives that
first figure); its floor here is today's figure, so a change that loses ground fails.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

import pytest

from source_fixtures import SETS, served, score, vault_for, verdicts
from support import run_json
from vaultkit_plugins.support._read import extract

VK = Callable[..., tuple[int, str, str]]


def _run(tmp_path: Path, vk: VK, name: str) -> tuple[list[dict[str, Any]], dict[int, dict[str, Any]]]:
    with served(name) as (_, claims):
        root = vault_for(tmp_path / name, claims)
        code, doc, err = run_json(vk, "run", root, "--only", "claims", "--only", "support")
        assert code == 0, err
    return claims, verdicts(doc)


def _main_text(name: str, page: str) -> str:
    path = SETS / name / "pages" / page
    header = "text/plain" if page.endswith(".txt") else "text/html"
    return extract(path.read_bytes(), header)


@pytest.mark.parametrize("name", ["dev", "heldout"])
def test_evidence_is_the_pages_own_words_never_its_boilerplate(tmp_path: Path, vk: VK, name: str) -> None:
    claims, found = _run(tmp_path, vk, name)
    assert len(found) >= 0.9 * len(claims)  # (the rest are sentences the claims scorer does not count as claims)
    for i, f in found.items():
        evidence = f["data"].get("evidence")
        if evidence:
            assert evidence in _main_text(name, claims[i]["page"])  # quoted exactly, from the main text
        assert f["severity"] == "info" or f["kind"] in ("figure-mismatch", "not-in-source")
    boilerplate = [i for i, c in enumerate(claims) if _boilerplate_only(c)]
    assert len(boilerplate) >= 4
    for i in boilerplate:  # a figure only in a sidebar, a script, a banner or the metadata is never support
        assert found.get(i, {}).get("kind") != "support-found", claims[i]


def _boilerplate_only(claim: dict[str, Any]) -> bool:
    why = claim.get("why", "").lower()
    return "only" in why and any(w in why for w in ("sidebar", "teaser", "script", "meta description", "banner"))


def test_dev_set_every_planted_mismatch_is_caught_and_no_supported_claim_is_flagged(tmp_path: Path, vk: VK) -> None:
    claims, found = _run(tmp_path, vk, "dev")
    s = score(claims, found)
    assert (s["caught"], s["false_alarms"]) == (s["mismatches"], 0), json.dumps(s["wrong"], indent=1)
    assert s["mismatches"] >= 15 and s["supported"] >= 20


def test_heldout_set_stays_at_its_measured_figures(tmp_path: Path, vk: VK) -> None:
    claims, found = _run(tmp_path, vk, "heldout")
    s = score(claims, found)
    assert s["false_alarms"] == 0, json.dumps(s["wrong"], indent=1)
    assert s["caught"] >= 13 and s["agree"] >= 33, json.dumps(s["wrong"], indent=1)
    missed = [w for w in s["wrong"] if w["expect"] == "mismatch"]
    assert all(w["got"] in ("not-in-source", "support-unclear") for w in missed)  # never called supported
