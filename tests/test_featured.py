"""Few properties: by default only the keys each pass features reach the frontmatter (the Properties
panel shows every key at the top of the note); `[vaultkit] properties = "all"` brings the counts back."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Callable

import pytest

from support import SAMPLE_VAULT, clean, copy_tree, default_passes, render, run_json, write_note
from vaultkit.config import VaultConfig, parse_config
from vaultkit.errors import ConfigError
from vaultkit.passes import Registered
from vaultkit_plugins.stats import StatsPass

Vk = Callable[..., tuple[int, str, str]]
SIX = "Research/LLM scaling/Diminishing returns — Perplexity chat.md"
FEATURED = {"vaultkit_frontmatter", "vaultkit_citations_problems", "vaultkit_claims_uncited",
            "vaultkit_summaries_summary", "vaultkit_duplicates_of"}


def keys(text: str) -> set[str]:
    return set(re.findall(r"(?m)^(vaultkit_\w+):", text.split("\n---\n", 1)[0]))


def test_a_run_writes_only_the_featured_properties(vk: Vk, tmp_path: Path) -> None:
    root = copy_tree(SAMPLE_VAULT, tmp_path / "vault")
    run_json(vk, "run", root, "--offline")
    most = 0
    for note in root.rglob("*.md"):
        found = keys(note.read_text(encoding="utf-8", errors="replace"))
        assert found <= FEATURED, (note, found - FEATURED)
        most = max(most, len(found))
    assert most == 5  # the six-answer chat: its four, and the mark that vaultkit made the frontmatter
    assert keys((root / SIX).read_text(encoding="utf-8")) == FEATURED


def test_every_count_comes_back_under_its_name_with_properties_all_and_goes_again(vk: Vk, tmp_path: Path) -> None:
    root = copy_tree(SAMPLE_VAULT, tmp_path / "vault")
    original = (root / SIX).read_bytes()
    (root / ".vaultkit.toml").write_text('[vaultkit]\nproperties = "all"\n', encoding="utf-8")
    run_json(vk, "run", root, "--offline")
    every = keys((root / SIX).read_text(encoding="utf-8"))
    assert {"vaultkit_stats_words", "vaultkit_claims_count", "vaultkit_citations_references"} <= every
    (root / ".vaultkit.toml").unlink()  # back to the default: a vault written with every key is rewritten once
    _, doc, _ = run_json(vk, "run", root, "--offline")
    assert keys((root / SIX).read_text(encoding="utf-8")) == FEATURED
    _, again, _ = run_json(vk, "run", root, "--offline", "--no-cache")
    assert again["summary"]["written"] == 0
    run_json(vk, "clean", root)
    assert (root / SIX).read_bytes() == original


def test_a_pass_that_features_nothing_writes_no_property_and_one_that_says_nothing_writes_all() -> None:
    raw = b"> [!ai] AI\n> One two three.\n"
    quiet = Registered("stats", StatsPass(), "installed")  # features none of its counts
    out, _, _ = render(raw, [quiet])
    assert b"vaultkit_" not in out.split(b"> [!ai]")[0]
    echo = default_passes()[0]  # a third-party pass without `featured_properties`
    out, _, _ = render(raw, [echo])
    assert {"vaultkit_echo_count", "vaultkit_echo_label", "vaultkit_echo_ratio", "vaultkit_echo_flag"} <= keys(out.decode())
    out, _, _ = render(raw, [quiet], VaultConfig(properties="all"))
    assert "vaultkit_stats_words" in keys(out.decode()) and clean(out) == raw


def test_a_citations_problem_count_is_written_only_where_there_are_problems(vk: Vk, tmp_path: Path) -> None:
    write_note(tmp_path, "ok.md", "> [!ai]+ AI\n> Scaling helps [1].\n\n[1] https://example.org/paper\n")
    write_note(tmp_path, "bad.md", "> [!ai]+ AI\n> Scaling helps [2].\n\n[1] https://example.org/paper\n")
    run_json(vk, "run", tmp_path, "--offline", "--only", "citations")
    assert "vaultkit_citations_problems" not in (tmp_path / "ok.md").read_text(encoding="utf-8")
    assert "vaultkit_citations_problems: " in (tmp_path / "bad.md").read_text(encoding="utf-8")


def test_an_unknown_properties_value_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match='properties must be "featured" or "all"'):
        parse_config({"vaultkit": {"properties": "some"}})
