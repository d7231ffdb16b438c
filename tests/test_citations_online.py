"""The citations pass online: links checked through real loopback servers, cached, guarded, and never when offline."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any, Callable

import pytest

from linkserver import LinkServer, closed_port, loopback_only
from support import by_path, run_json, write_note

VK = Callable[..., tuple[int, str, str]]


def _note(urls: list[str]) -> str:
    refs = "\n".join(f"[{i}] Source number {i} {u}" for i, u in enumerate(urls, 1))
    markers = "".join(f"[{i}]" for i in range(1, len(urls) + 1))
    return f"# Q\n\n> [!ai]+ AI\n> The answer cites everything{markers}.\n\nCitations:\n{refs}\n"


def _vault(tmp_path: Path, urls: list[str], allow_private: bool = True) -> Path:
    root = tmp_path / "v"
    write_note(root, "a.md", _note(urls))
    (root / ".vaultkit.toml").write_text(
        f"[net]\nallow_private = {'true' if allow_private else 'false'}\ntimeout = 2.0\n", encoding="utf-8")
    return root


def _links(doc: dict[str, Any]) -> dict[str, tuple[str, str, int]]:
    return {f["data"]["url"]: (f["kind"], f["severity"], f["line"])
            for f in by_path(doc)["a.md"]["findings"] if "url" in f["data"] and f["pass"] == "citations"}


def test_links_are_checked_and_the_rerun_makes_no_request(tmp_path: Path, vk: VK,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    loopback_only(monkeypatch)
    with LinkServer() as srv:
        urls = [srv.url(p) for p in ("/ok", "/missing", "/gone", "/forbidden", "/loop/a", "/redirect/2")]
        root = _vault(tmp_path, urls)
        code, doc, err = run_json(vk, "run", root)
        assert code == 0, err
        links = _links(doc)
        assert links[srv.url("/missing")][:2] == ("dead-link", "error")
        assert links[srv.url("/gone")][:2] == ("dead-link", "error")
        assert links[srv.url("/forbidden")][:2] == ("unreachable-link", "warning")
        assert links[srv.url("/loop/a")][:2] == ("broken-redirect", "error")
        assert srv.url("/ok") not in links and srv.url("/redirect/2") not in links
        assert links[srv.url("/missing")][2] == 8  # the line of the entry that holds the URL
        text = (root / "a.md").read_text()
        assert "dead\\-link" not in text and "- [ ] dead link: " in text  # shown in the managed callout, a box to tick
        before = len(srv.requests)
        code, doc, _ = run_json(vk, "run", root)  # unchanged note: nothing is fetched again
        assert len(srv.requests) == before
        with (root / "a.md").open("a") as fh:  # a human edit: the pass runs again, links come from the cache
            fh.write("\nMy own remark.\n")
        code, doc, _ = run_json(vk, "run", root)
        assert len(srv.requests) == before
        assert {u: k[:2] for u, k in _links(doc).items()} == {u: k[:2] for u, k in links.items()}


def test_offline_makes_no_connection_attempt(tmp_path: Path, vk: VK, monkeypatch: pytest.MonkeyPatch) -> None:
    attempts: list[Any] = []

    def refuse(*args: Any, **kw: Any) -> Any:
        attempts.append(args)
        raise AssertionError("--offline tried to connect")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    root = _vault(tmp_path, ["http://127.0.0.1:9/x", "https://example.org/paper"])
    code, doc, err = run_json(vk, "run", root, "--offline")
    assert code == 0, err
    assert attempts == [] and _links(doc) == {}


def test_private_addresses_are_blocked_without_a_request(tmp_path: Path, vk: VK,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    loopback_only(monkeypatch)
    with LinkServer() as srv:
        root = _vault(tmp_path, [srv.url("/ok")], allow_private=False)
        code, doc, _ = run_json(vk, "run", root)
        assert _links(doc)[srv.url("/ok")][:2] == ("blocked-link", "info")
        assert srv.requests == []


def test_no_network_is_one_notice_not_dead_links(tmp_path: Path, vk: VK, monkeypatch: pytest.MonkeyPatch) -> None:
    loopback_only(monkeypatch)
    port = closed_port()
    root = _vault(tmp_path, [f"http://127.0.0.1:{port}/a", f"http://127.0.0.1:{port}/b"])
    code, doc, err = run_json(vk, "run", root)
    kinds = [f["kind"] for f in by_path(doc)["a.md"]["findings"] if f["pass"] == "citations"]
    assert kinds.count("network-unavailable") == 1 and "dead-link" not in kinds
    assert err.count("no network") == 1


def test_a_dead_link_ticked_off_stays_dismissed_through_an_offline_run(tmp_path: Path, vk: VK,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """The daemon writes offline results first: a run that cannot see the dead link must not lose the
    reader's tick on it (the callout keeps the key unlisted), so the next online run finds it dismissed."""
    loopback_only(monkeypatch)
    with LinkServer() as srv:
        root = _vault(tmp_path, [srv.url("/missing")])
        run_json(vk, "run", root)
        note = root / "a.md"
        note.write_text(note.read_text().replace("- [ ] dead link: ", "- [x] dead link: "))
        code, doc, _ = run_json(vk, "run", root, "--offline")
        offline = note.read_text()
        assert "dead link" not in offline and " x=citations:" in offline  # not listed, still held
        code, doc, _ = run_json(vk, "run", root)
        (dead,) = [f for f in by_path(doc)["a.md"]["findings"] if f["kind"] == "dead-link"]
        assert dead["dismissed"] is True
        text = note.read_text()
        assert "- [x] dead link: " in text and " x=" not in text  # listed again, ticked
        code, doc, _ = run_json(vk, "run", root, "--check")
        assert code == 0  # nothing left that is not dismissed (the marker and its entry are fine)
