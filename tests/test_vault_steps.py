"""What vault steps are given: summaries read from the cache only when a pass asks, and a store
for a pass's own bytes between runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import pytest

from vaultkit.cache import Cache, StateStore
from vaultkit.pipeline.summaries_view import Summaries


def test_summaries_are_read_only_when_asked_for_and_all_at_once_when_iterated() -> None:
    loads: list[list[str] | None] = []
    stored = {f"n{i}.md": {"i": i} for i in range(40)}

    def load(paths: list[str] | None) -> dict[str, Any]:
        loads.append(paths)
        return {p: v for p, v in stored.items() if paths is None or p in paths}

    view = Summaries({"new.md": {"i": -1}}, {p: f"d{p}" for p in stored}, pending=stored, load=load,
                     exists=lambda p: p != "n7.md", changed=["new.md"], wanted=["new.md"])
    assert view.digests.get("new.md", "") == "" and view.digests["n3.md"] == "dn3.md"
    assert view["new.md"] == {"i": -1} and loads == []
    assert view.get("n3.md") == {"i": 3} and loads == [["n3.md"]]
    view.read(["n4.md", "n5.md", "n3.md"])
    assert loads[-1] == ["n4.md", "n5.md"]  # what was read is not read again
    assert view.get("n7.md") is None and "n7.md" not in view.digests  # deleted since: dropped
    assert len(view) == 40 and loads[-1] is None  # the rest in one query
    assert dict(view)["n39.md"] == {"i": 39} and "n7.md" not in dict(view)
    assert view.changed == view.wanted == frozenset({"new.md"})


def test_an_eager_view_is_a_plain_mapping_wanting_every_note() -> None:
    values, digests = {"a.md": 1, "b.md": 2}, {"a.md": "x"}
    view = Summaries(values, digests)
    assert dict(view) == {"a.md": 1, "b.md": 2} and view.wanted is None
    assert view.digests.get("b.md", "") == ""
    assert view._values is values and view.digests is digests  # (a daemon's save copies no dict of the vault)


def test_summaries_round_trip_through_the_cache_by_pass_and_fingerprint(tmp_path: Path) -> None:
    cache = Cache(tmp_path / "c.sqlite")
    cache.put_summaries("f1", [("a.md", "ha", {"dup": {"units": [1]}, "claims": [2]}), ("b.md", "hb", {"dup": {}})])
    assert cache.summaries("dup", "f1") == {"a.md": {"units": [1]}, "b.md": {}}
    assert cache.summaries("dup", "f1", ["b.md"]) == {"b.md": {}}
    assert cache.summary_digests("claims", "f1") == {"a.md": "ha"}
    assert cache.summaries("dup", "f2") == {}
    cache.put_summaries("f1", [("a.md", "ha2", {"claims": [3]})])  # a.md has no `dup` summary any more
    assert cache.summaries("dup", "f1") == {"b.md": {}} and cache.summary_digests("claims", "f1") == {"a.md": "ha2"}


def test_a_pass_state_is_kept_under_its_fingerprint_and_replaced_by_a_newer_one(tmp_path: Path) -> None:
    cache = Cache(tmp_path / "c.sqlite")
    one, other = StateStore(cache, "dup", "f1"), StateStore(cache, "claims", "f1")
    one.save("index", b"\x00first")
    other.save("index", b"claims'")
    assert one.load("index") == b"\x00first" and one.load("other") is None
    assert StateStore(cache, "dup", "f2").load("index") is None  # other options: never read back
    StateStore(cache, "dup", "f2").save("index", b"second")
    assert one.load("index") is None and other.load("index") == b"claims'"  # the old one is gone
    assert cache.db is not None and cache.db.execute("SELECT COUNT(*) FROM states").fetchone()[0] == 2


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_big_cold_run_writes_each_note_once(tmp_path: Path, vk: Callable[..., tuple[int, str, str]],
                                              monkeypatch: pytest.MonkeyPatch, jobs: str) -> None:
    """Past the collect-first size, the sweep holds each write until the vault steps are done: a note
    that a vault step then gives results (a duplicate) is written once, with them."""
    import collections

    import vaultkit.pipeline.runner as runner_module
    from support import write_note as put

    shared = ("The tidal barrage at La Rance has generated electricity since 1966 and produces about "
              "500 gigawatt-hours a year, enough for a town of two hundred thousand people on the coast. "
              "Its twenty-four turbines sit in a dam across the estuary, and they run on both the rising "
              "and the falling tide, which made it the largest tidal plant in the world for forty-five "
              "years, until the Sihwa Lake station in South Korea opened with a slightly larger capacity.")
    root = tmp_path / "v"
    for i in range(80):  # (more than COLLECT_FIRST notes)
        body = shared if i % 10 == 0 else f"Answer number {i} talks about topic {i * 7} in its own words only."
        put(root, f"n{i:02d}.md", f"# Q{i}\n\nMy own line {i}.\n\n> [!ai]+ AI\n> {body}\n")
    real = runner_module.replace_note
    writes: collections.Counter[str] = collections.Counter()

    def counting(path: Path, expected: bytes, new: bytes) -> bool:
        done = real(path, expected, new)
        writes[path.name] += done
        return done

    monkeypatch.setattr(runner_module, "replace_note", counting)
    code, _, err = vk("run", root, "--offline", "--jobs", jobs, "--only", "duplicates", "--only", "claims")
    assert code == 0, err
    assert len(writes) == 80 and max(writes.values()) == 1, writes.most_common(3)
    assert "[[n10]]" in (root / "n00.md").read_text(encoding="utf-8")  # the duplicate found, in the one write
