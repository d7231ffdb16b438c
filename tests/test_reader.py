"""What a reader gets (issue 16's bar), on the sample vault and on real notes from public vaults
(tests/real_notes, held out: SOURCES.md says where each came from): one callout right after each AI
answer and nowhere else, at most 5 vaultkit properties on a note, notes at most 25 % larger, no
needless backslash, every heading link opening exactly one heading, no link twice in a list."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Callable

import pytest

from reader_checks import Seen, measure
from support import REPO, SAMPLE_VAULT, snapshot
from vaultkit.config import load_config

REAL = REPO / "tests" / "real_notes"
VK = Callable[..., tuple[int, str, str]]


def _run(vk: VK, source: Path, vault: Path, config: str = "") -> Seen:
    shutil.copytree(source, vault, ignore=shutil.ignore_patterns("SOURCES.md"))
    if config:
        (vault / ".vaultkit.toml").write_text(config, encoding="utf-8")
    before = snapshot(vault)
    code, out, err = vk("run", vault, "--offline", "--json")
    assert code == 0, err
    ok = [n["path"] for n in json.loads(out)["notes"] if n["status"] == "ok"]
    seen = measure(source, vault, ok, load_config(vault))
    assert vk("clean", vault)[0] == 0 and snapshot(vault) == before  # and all of it comes out again
    return seen


def _holds(seen: Seen) -> None:
    assert seen.targets and seen.callouts == seen.targets and seen.misplaced == 0
    assert seen.most_properties <= 5
    assert seen.growth <= 0.25
    assert seen.needless == 0
    assert seen.bad_links == 0 and seen.repeated_links == 0


def test_the_sample_vault_reads_well(vk: VK, tmp_path: Path) -> None:
    seen = _run(vk, SAMPLE_VAULT, tmp_path / "v")
    _holds(seen)
    assert seen.targets == 19


@pytest.mark.parametrize("scope", ["callouts", "notes"])
def test_real_notes_read_well(vk: VK, tmp_path: Path, scope: str) -> None:
    """`callouts`: their `[!ai]` (and `[!chatgpt]`, `[!assistant]`) callouts; `notes`: every note as AI
    text, for the whole-note answers and reports (agents', pasted chats') among them."""
    config = f'[vaultkit]\nscope = "{scope}"\ncallout_types = ["ai", "chatgpt", "gpt", "assistant"]\n'
    seen = _run(vk, REAL, tmp_path / "v", config)
    _holds(seen)
    assert seen.targets >= (3 if scope == "callouts" else 11)
