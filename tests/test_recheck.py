"""Old verdicts are checked again: unchanged notes whose lookups are due, a few a run; a link that was
alive is dead only after failing on two days; `run --recheck` asks everything again. Real loopback
servers, the real cache."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any, Callable

import pytest

from sourceserver import SourceServer
from support import by_path, run_json, write_note

VK = Callable[..., tuple[int, str, str]]


def _vault(tmp_path: Path, urls: list[str], extra: str = "") -> Path:
    root = tmp_path / "v"
    for i, url in enumerate(urls):
        write_note(root, f"n{i}.md", f"# Q{i}\n\n> [!ai]+ AI\n> The answer cites its source [1].\n>\n> Sources:\n"
                                     f"> [1] {url}\n")
    (root / ".vaultkit.toml").write_text(f"[net]\nallow_private = true\ntimeout = 2.0\n{extra}", encoding="utf-8")
    return root


def _links(doc: dict[str, Any], rel: str = "n0.md") -> list[tuple[str, str]]:
    return [(f["kind"], f["severity"]) for f in by_path(doc)[rel]["findings"]
            if f["pass"] == "citations" and "url" in f["data"]]


def test_a_link_that_was_alive_is_dead_only_after_failing_on_two_days(
        tmp_path: Path, vk: VK, monkeypatch: pytest.MonkeyPatch) -> None:
    from vaultkit_plugins.citations import _online

    day = [20000]
    monkeypatch.setattr(_online, "today", lambda: day[0])
    with SourceServer() as srv:
        url = srv.page("/paper", "<p>It is here.</p>")
        root = _vault(tmp_path, [url])
        only = ("--only", "citations")
        code, doc, err = run_json(vk, "run", root, *only)
        assert code == 0, err
        assert _links(doc) == []
        srv.route("/paper", 404, {"Content-Type": "text/html"}, b"<h1>Not Found</h1>")
        day[0] += 1
        code, doc, _ = run_json(vk, "run", root, *only, "--recheck")
        assert _links(doc) == [("unreachable-link", "warning")]
        finding = next(f for f in by_path(doc)["n0.md"]["findings"] if f["kind"] == "unreachable-link")
        assert "it was alive on" in finding["message"] and "404" in finding["message"]
        code, doc, _ = run_json(vk, "run", root, *only, "--recheck")  # the same day again: still not dead
        assert _links(doc) == [("unreachable-link", "warning")]
        day[0] += 1
        code, doc, _ = run_json(vk, "run", root, *only, "--recheck")
        assert _links(doc) == [("dead-link", "error")]
        srv.page("/paper", "<p>Back again.</p>")  # it comes back: alive at once
        day[0] += 1
        code, doc, _ = run_json(vk, "run", root, *only, "--recheck")
        assert _links(doc) == []


def test_a_link_never_seen_alive_is_dead_at_once(tmp_path: Path, vk: VK) -> None:
    with SourceServer() as srv:
        root = _vault(tmp_path, [srv.url("/never")])
        code, doc, err = run_json(vk, "run", root, "--only", "citations")
        assert code == 0, err
        assert _links(doc) == [("dead-link", "error")]


def _expire(cache: Path, urls: list[str], due: dict[str, float]) -> None:
    """Age the cache as days going by would: the links' answers expired, the notes' checks due."""
    with sqlite3.connect(cache) as db:
        db.executemany("UPDATE lookups_v2 SET expires = 0 WHERE key = ?", [(f"link:{u}",) for u in urls])
        db.executemany("UPDATE checks SET due = ? WHERE path = ?", [(t, p) for p, t in due.items()])


def test_unchanged_notes_are_checked_again_when_due_a_few_a_run(tmp_path: Path, vk: VK,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from vaultkit.cache import cache_path

    monkeypatch.setenv("VAULTKIT_CACHE_DIR", str(tmp_path / "cache"))
    with SourceServer() as srv:
        urls = [srv.page(f"/p{i}", f"<p>page {i}</p>") for i in range(3)]
        root = _vault(tmp_path, urls, "recheck_per_run = 2\n")
        only = ("--only", "citations")
        assert run_json(vk, "run", root, *only)[0] == 0
        first = len(srv.requests)
        assert run_json(vk, "run", root, *only)[0] == 0
        assert len(srv.requests) == first  # nothing due: an unchanged vault asks nothing
        now = time.time()
        _expire(cache_path(root), urls, {"n0.md": now - 300, "n1.md": now - 100, "n2.md": now - 200})
        run_json(vk, "run", root, *only)
        asked = {path for _, path in srv.requests[first:]}
        assert asked == {"/p0", "/p2"}  # the two longest overdue, no more
        run_json(vk, "run", root, *only)
        assert {path for _, path in srv.requests[first:]} == {"/p0", "/p1", "/p2"}  # the third the next run
        after = len(srv.requests)
        run_json(vk, "run", root, *only)
        assert len(srv.requests) == after  # each is due again only a week on
        run_json(vk, "run", root, *only, "--offline")
        assert len(srv.requests) == after


def test_recheck_cannot_be_offline(tmp_path: Path, vk: VK) -> None:
    root = _vault(tmp_path, ["https://example.org/x"])
    code, _, err = vk("run", root, "--recheck", "--offline")
    assert code == 2 and "--recheck" in err


def test_a_link_that_just_started_failing_makes_its_note_due_the_next_day(tmp_path: Path, vk: VK,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from vaultkit.cache import cache_path
    from vaultkit_plugins.citations import _online

    monkeypatch.setenv("VAULTKIT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(_online, "today", lambda: 20000)
    with SourceServer() as srv:
        url = srv.page("/paper", "<p>here</p>")
        root = _vault(tmp_path, [url])
        run_json(vk, "run", root, "--only", "citations")
        srv.route("/paper", 410, {"Content-Type": "text/html"}, b"<h1>Gone</h1>")
        monkeypatch.setattr(_online, "today", lambda: 20001)
        run_json(vk, "run", root, "--only", "citations", "--recheck")
        with sqlite3.connect(cache_path(root)) as db:
            (due,) = db.execute("SELECT due FROM checks WHERE path='n0.md'").fetchone()
        assert 0.9 * 86400 < due - time.time() <= 86400  # a day, not the usual week


def test_a_due_note_that_is_gone_or_has_nothing_online_left_stops_being_due(
        tmp_path: Path, vk: VK, monkeypatch: pytest.MonkeyPatch) -> None:
    """Such rows would come first every run and crowd out the live notes."""
    from vaultkit.cache import cache_path

    monkeypatch.setenv("VAULTKIT_CACHE_DIR", str(tmp_path / "cache"))
    with SourceServer() as srv:
        urls = [srv.page(f"/p{i}", f"<p>page {i}</p>") for i in range(3)]
        root = _vault(tmp_path, urls, "recheck_per_run = 2\n")
        only = ("--only", "citations")
        assert run_json(vk, "run", root, *only)[0] == 0
        (root / "n0.md").unlink()  # deleted
        (root / "n1.md").write_bytes(b"\xff\xfe not UTF-8")  # unreadable now
        now = time.time()
        _expire(cache_path(root), urls, {"n0.md": now - 300, "n1.md": now - 200, "n2.md": now - 100})
        run_json(vk, "run", root, *only)
        with sqlite3.connect(cache_path(root)) as db:
            rows = dict(db.execute("SELECT path, due FROM checks").fetchall())
        assert "n0.md" not in rows and "n1.md" not in rows
        assert rows["n2.md"] < time.time()  # still due: the two dead rows took this run's places
        before = len(srv.requests)
        run_json(vk, "run", root, *only)
        assert {path for _, path in srv.requests[before:]} == {"/p2"}  # and the next run reaches it
