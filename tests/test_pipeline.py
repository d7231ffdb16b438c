"""pipeline: every note processed or reported, bad input left alone, passes isolated, writes idempotent."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import pytest

from support import (
    BoomPass, EchoPass, by_path, mtimes, run_json, snapshot, stats, write_note,
)
import vaultkit.passes
from vaultkit.note import Note
from vaultkit.passes import Context, Display, Finding, PassResult, Registered

VK = Callable[..., tuple[int, str, str]]

# The --json contract as README.md documents it (keys may be added, never renamed: update here when added).
NOTE_KEYS = {"path", "status", "written", "changed", "targets", "findings"}  # + "error" when status is not ok
SUMMARY_KEYS = {"notes", "written", "changed", "skipped", "errors", "targets", "findings", "dismissed"}

AI = "# Title\n\n> [!ai]+ AI\n> One answer with 7 words here.\n\nMine.\n"


def _vault(tmp_path: Path, notes: Mapping[str, str | bytes], toml: str | None = None) -> Path:
    root = tmp_path / "vault"
    root.mkdir(parents=True)
    for rel, data in notes.items():
        write_note(root, rel, data)
    if toml is not None:
        (root / ".vaultkit.toml").write_text(toml, encoding="utf-8")
    return root


# --- the --json contract ---------------------------------------------------------------------------


def test_json_report_shape(tmp_path: Path, vk: VK) -> None:
    root = _vault(tmp_path, {"a.md": AI, "b.md": "Plain.\n", "bad.md": b"caf\xe9\n"})
    code, doc, _ = run_json(vk, "run", root, "--offline", "--only", "stats")  # one pass: exact findings
    assert code == 0
    assert set(doc) == {"vaultkit", "vault", "notes", "summary"}
    assert isinstance(doc["vaultkit"], str) and doc["vaultkit"]
    assert Path(doc["vault"]) == root.resolve()
    assert [n["path"] for n in doc["notes"]] == ["a.md", "b.md", "bad.md"]
    for n in doc["notes"]:
        extra = {"error"} if n["status"] != "ok" else set()
        assert set(n) == NOTE_KEYS | extra
        assert n["status"] in ("ok", "skipped", "error")
        assert isinstance(n["written"], bool) and isinstance(n["changed"], bool)
        for t in n["targets"]:
            assert set(t) == {"kind", "type", "line", "end_line"}
        for f in n["findings"]:
            assert set(f) == {"pass", "kind", "severity", "line", "end_line", "message", "data", "id", "dismissed"}
            assert f["id"].startswith(f["pass"] + ":") and f["dismissed"] is False
            assert f["severity"] in ("error", "warning", "info")
            assert isinstance(f["data"], dict) and isinstance(f["line"], int) and isinstance(f["end_line"], int)
    a = by_path(doc)["a.md"]
    assert a["status"] == "ok" and a["written"] is True
    assert a["targets"] == [{"kind": "callout", "type": "ai", "line": 3, "end_line": 4}]
    (f,) = a["findings"]
    assert (f["pass"], f["kind"], f["severity"], f["line"], f["end_line"]) == ("stats", "stats", "info", 3, 4)
    assert f["data"] == {"words": 6, "sentences": 1, "citation_markers": 0}
    assert by_path(doc)["b.md"]["targets"] == [] and by_path(doc)["b.md"]["written"] is False
    assert by_path(doc)["bad.md"]["status"] == "error" and by_path(doc)["bad.md"]["error"]
    s = doc["summary"]
    assert set(s) == SUMMARY_KEYS
    assert (s["notes"], s["written"], s["changed"], s["skipped"], s["errors"], s["targets"]) == (3, 1, 1, 0, 1, 1)
    assert s["findings"] == {"error": 0, "warning": 0, "info": 1}


# --- bad input ---------------------------------------------------------------------------------------


BAD_INPUTS: dict[str, bytes] = {
    "encoding.md": b"# Caf\xe9\n\n> [!ai] x\n> y\n",
    "yaml.md": b"---\ntitle: [unclosed\ntags: llm\n---\n> [!ai] x\n> y\n",
    "big.md": b"> [!ai] AI\n> " + b"word " * 40 + b"\n",
}


def test_bad_input_is_left_alone_and_the_run_goes_on(tmp_path: Path, vk: VK) -> None:
    root = _vault(tmp_path, {**BAD_INPUTS, "good.md": AI}, "[vaultkit]\nmax_bytes = 100\n")
    before = snapshot(root)
    code, doc, err = run_json(vk, "run", root, "--offline")
    assert code == 0
    notes = by_path(doc)
    expected = {"encoding.md": "error", "yaml.md": "error", "big.md": "skipped"}
    for rel, status in expected.items():
        n = notes[rel]
        assert n["status"] == status, n
        assert n["written"] is False and n["targets"] == [] and n["findings"] == []
        assert n["error"] and "\n" not in n["error"]
        assert f"{rel}: {n['error']}" in err.splitlines()
        assert (root / rel).read_bytes() == before[rel]
    assert "UTF-8" in notes["encoding.md"]["error"] and "byte 5, line 1" in notes["encoding.md"]["error"]
    assert "YAML" in notes["yaml.md"]["error"]
    assert "max_bytes" in notes["big.md"]["error"]
    assert notes["good.md"]["status"] == "ok" and notes["good.md"]["written"] is True
    assert (doc["summary"]["errors"], doc["summary"]["skipped"]) == (2, 1)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root can read a chmod 000 file")
def test_unreadable_note_is_an_error_and_the_run_goes_on(tmp_path: Path, vk: VK) -> None:
    root = _vault(tmp_path, {"locked.md": AI, "good.md": AI})
    locked = root / "locked.md"
    locked.chmod(0)
    try:
        code, doc, err = run_json(vk, "run", root, "--offline")
    finally:
        locked.chmod(0o644)
    assert code == 0
    n = by_path(doc)["locked.md"]
    assert n["status"] == "error" and "\n" not in n["error"]
    assert f"locked.md: {n['error']}" in err
    assert locked.read_bytes() == AI.encode()
    assert by_path(doc)["good.md"]["written"] is True


def test_read_failure_is_an_error_and_the_run_goes_on(tmp_path: Path, vk: VK, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same as the chmod test, for runs as root: the read itself fails."""
    root = _vault(tmp_path, {"locked.md": AI, "good.md": AI})
    real = Path.read_bytes

    def read_bytes(self: Path) -> bytes:
        if self.name == "locked.md":
            raise PermissionError(13, "Permission denied", str(self))
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    code, doc, err = run_json(vk, "run", root, "--offline", "--no-cache")
    monkeypatch.undo()
    assert code == 0
    n = by_path(doc)["locked.md"]
    assert n["status"] == "error" and "Permission denied" in n["error"] and "\n" not in n["error"]
    assert f"locked.md: {n['error']}" in err
    assert (root / "locked.md").read_bytes() == AI.encode()
    assert by_path(doc)["good.md"]["written"] is True


def test_empty_note_and_a_huge_single_line_are_processed(tmp_path: Path, vk: VK) -> None:
    line = ("word " * 40_000).rstrip()  # 200 KB on one line
    root = _vault(tmp_path, {"empty.md": b"", "huge.md": f"> [!ai] AI\n> {line}\n"})
    code, doc, _ = run_json(vk, "run", root, "--offline")
    assert code == 0
    empty, huge = by_path(doc)["empty.md"], by_path(doc)["huge.md"]
    assert empty["status"] == "ok" and empty["written"] is False
    assert (root / "empty.md").read_bytes() == b""
    assert huge["status"] == "ok" and huge["written"] is True
    assert huge["findings"][0]["data"]["words"] == 40_000
    assert huge["targets"] == [{"kind": "callout", "type": "ai", "line": 1, "end_line": 2}]


@pytest.mark.parametrize("frontmatter", ["{title: x}", "title: x\n..."], ids=["flow-mapping", "document-end"])
def test_frontmatter_that_cannot_take_properties_does_not_stop_the_run(tmp_path: Path, vk: VK, frontmatter: str) -> None:
    root = _vault(tmp_path, {"a.md": f"---\n{frontmatter}\n---\n> [!ai] x\n> y.\n", "b.md": AI})
    code, doc, _ = run_json(vk, "run", root, "--offline")
    assert code == 0
    a = by_path(doc)["a.md"]
    assert a["status"] in ("ok", "error")
    assert by_path(doc)["b.md"]["written"] is True


# --- idempotence, dry run, stat cache ----------------------------------------------------------------


def test_second_run_writes_nothing_and_keeps_mtimes(tmp_path: Path, vk: VK) -> None:
    root = _vault(tmp_path, {"a.md": AI, "sub/b.md": "---\nai: true\n---\nGenerated text.\n", "c.md": "Plain.\n"})
    code, first, _ = run_json(vk, "run", root, "--offline")
    assert code == 0 and first["summary"]["written"] == 2
    after_first, times = snapshot(root), mtimes(root)
    for extra in ([], ["--no-cache"]):
        code, second, _ = run_json(vk, "run", root, "--offline", *extra)
        assert code == 0
        assert second["summary"]["written"] == 0
        assert all(n["written"] is False for n in second["notes"])
        assert snapshot(root) == after_first
        assert mtimes(root) == times


def test_dry_run_writes_nothing_but_reports_what_would_change(tmp_path: Path, vk: VK) -> None:
    root = _vault(tmp_path, {"a.md": AI, "c.md": "Plain.\n"})
    before, times = snapshot(root), mtimes(root)
    code, doc, err = run_json(vk, "run", root, "--offline", "--dry-run")
    assert code == 0
    assert snapshot(root) == before and mtimes(root) == times
    assert doc["summary"]["written"] == 0
    assert by_path(doc)["a.md"]["written"] is False and by_path(doc)["a.md"]["findings"]
    assert "1 would change" in err
    # and a real run afterwards still writes (the dry run did not poison the cache)
    code, doc, _ = run_json(vk, "run", root, "--offline")
    assert by_path(doc)["a.md"]["written"] is True


def test_a_human_edit_after_a_run_is_picked_up(tmp_path: Path, vk: VK) -> None:
    root = _vault(tmp_path, {"a.md": "> [!ai] AI\n> apple pie.\n"})
    run_json(vk, "run", root, "--offline")
    written = (root / "a.md").read_bytes()
    # a same-size edit: only the bytes can tell the cache that the note changed
    edited = written.replace(b"> apple pie.", b"> apple, pi.")
    assert len(edited) == len(written) and edited != written
    (root / "a.md").write_bytes(edited)
    code, doc, _ = run_json(vk, "run", root, "--offline")
    assert by_path(doc)["a.md"]["findings"][0]["data"]["words"] == 2
    text = (root / "a.md").read_text()
    # the answer's callout follows the answer's new text (its t= is the new text's hash)
    assert "> apple, pi." in text and text.count("%% vaultkit:answer") == 1 and text != written.decode()
    assert [line.split(" t=")[1][:16] for line in text.splitlines() if "vaultkit:answer" in line] != \
        [line.split(" t=")[1][:16] for line in written.decode().splitlines() if "vaultkit:answer" in line]


def test_a_cached_report_equals_a_fresh_one(tmp_path: Path, vk: VK) -> None:
    root = _vault(tmp_path, {"a.md": AI})
    run_json(vk, "run", root, "--offline")
    _, cached, _ = run_json(vk, "run", root, "--offline")
    _, fresh, _ = run_json(vk, "run", root, "--offline", "--no-cache")
    assert cached["notes"] == fresh["notes"]


def test_cached_pass_findings_use_the_current_file_lines(tmp_path: Path, vk: VK) -> None:
    root = _vault(tmp_path, {"a.md": AI})
    run_json(vk, "run", root, "--offline")
    _, doc, _ = run_json(vk, "run", root, "--offline", "--diff")  # --diff bypasses the stat cache only
    n = by_path(doc)["a.md"]
    (t,) = n["targets"]
    (f,) = [f for f in n["findings"] if f["pass"] == "stats"]
    assert (f["line"], f["end_line"]) == (t["line"], t["end_line"])


def test_diff_prints_a_unified_diff_and_writes_nothing_with_dry_run(tmp_path: Path, vk: VK) -> None:
    root = _vault(tmp_path, {"a.md": AI, "c.md": "Plain.\n"})
    before = snapshot(root)
    code, out, _ = vk("run", root, "--offline", "--dry-run", "--diff")
    assert code == 0
    assert snapshot(root) == before
    assert out.startswith("--- a/a.md\n+++ b/a.md\n@@ ")
    assert "c.md" not in out
    added = [x[1:] for x in out.splitlines() if x.startswith("+") and not x.startswith("+++")]
    removed = [x for x in out.splitlines() if x.startswith("-") and not x.startswith("---")]
    assert removed == []
    assert any(x.startswith("> [!vaultkit]- vaultkit — ") and "%% vaultkit:answer" in x for x in added)


# --- glued callouts and edited blocks, end to end ----------------------------------------------------


def test_glued_callout_warning_names_the_line(tmp_path: Path, vk: VK) -> None:
    root = _vault(tmp_path, {"g.md": "# Q\n\nPrompt:\n> 1. Explain.\n> [!ai]+ AI\n> Answer.\n\nMine.\n"})
    code, doc, _ = run_json(vk, "run", root, "--offline")
    n = by_path(doc)["g.md"]
    assert n["targets"] == [{"kind": "callout", "type": "ai", "line": 5, "end_line": 6}]
    (w,) = [f for f in n["findings"] if f["kind"] == "glued-callout"]
    assert (w["severity"], w["line"], w["end_line"], w["pass"]) == ("warning", 5, 5, "vaultkit")
    assert "blank line before" in w["message"]
    code, _, _ = vk("run", root, "--offline", "--check", "--fail-on", "warning", "--no-cache")
    assert code == 1


def test_edited_block_is_reported_by_run_and_kept_by_clean(tmp_path: Path, vk: VK) -> None:
    root = _vault(tmp_path, {"a.md": AI})
    run_json(vk, "run", root, "--offline")
    path = root / "a.md"
    written = path.read_bytes()
    edited = written.replace(b"[!vaultkit]- vaultkit \xe2\x80\x94 ", b"[!vaultkit]- my own words \xe2\x80\x94 ")
    assert edited != written
    path.write_bytes(edited)
    _, doc, _ = run_json(vk, "run", root, "--offline")
    kinds = [f["kind"] for f in by_path(doc)["a.md"]["findings"]]
    assert "managed-block-edited" in kinds
    assert path.read_bytes().count(b"[!vaultkit]") == 1 and b"my own words" in path.read_bytes()
    code, doc, _ = run_json(vk, "clean", root)
    assert code == 0
    (f,) = by_path(doc)["a.md"]["findings"]
    assert f["kind"] == "managed-block-edited" and f["severity"] == "warning"
    cleaned = path.read_bytes()
    assert b"my own words" in cleaned and b"vaultkit_" not in cleaned


def test_only_leaves_blocks_of_other_passes(tmp_path: Path, vk: VK, registry: Callable[..., None]) -> None:
    registry(Registered("echo", EchoPass(), "tests"), stats())
    root = _vault(tmp_path, {"a.md": AI})
    run_json(vk, "run", root, "--offline")
    text = (root / "a.md").read_text()
    assert "%%vaultkit:echo%%" in text and "vaultkit_stats_words" in text
    (root / "a.md").write_text(text.replace("7 words here", "8 words here"))  # force a fresh run of stats
    code, doc, _ = run_json(vk, "run", root, "--offline", "--only", "stats")
    assert code == 0
    after = (root / "a.md").read_text()
    echo_section = [x for x in text.splitlines() if x.startswith("> ") and "[!" not in x and "7 words" not in x]
    assert echo_section and all(x in after.splitlines() for x in echo_section)  # kept as written
    assert "vaultkit_echo_count: 1" in after
    vk("clean", root)
    assert (root / "a.md").read_text() == AI.replace("7 words here", "8 words here")


# --- passes: isolation, crashes, vault passes --------------------------------------------------------


def test_a_crashing_pass_is_an_error_finding_and_the_run_goes_on(tmp_path: Path, vk: VK,
                                                                  registry: Callable[..., None]) -> None:
    registry(Registered("boom", BoomPass(), "tests"), stats())
    root = _vault(tmp_path, {"a.md": AI, "b.md": AI, "plain.md": "Plain.\n"})
    code, doc, _ = run_json(vk, "run", root, "--offline")
    assert code == 0
    for rel in ("a.md", "b.md"):
        n = by_path(doc)[rel]
        assert n["status"] == "ok"
        errors = [f for f in n["findings"] if f["kind"] == "pass-error"]
        assert len(errors) == 1
        assert errors[0]["severity"] == "error" and errors[0]["data"]["pass"] == "boom"
        assert "boom" in errors[0]["message"] and "RuntimeError" in errors[0]["message"]
        assert any(f["kind"] == "stats" for f in n["findings"])  # the other pass still ran
    assert by_path(doc)["plain.md"]["findings"] == []
    code, _, _ = vk("run", root, "--offline", "--check")
    assert code == 1


class _Flaky:
    """Works until told to fail."""

    version = "1"
    fail = False

    def analyze(self, note: Note, ctx: Context) -> PassResult:
        if _Flaky.fail:
            raise ValueError("flaky today")
        return PassResult((), tuple(Display(t, "flaky was here") for t in note.targets), {"ok": True})


def test_a_crash_does_not_erase_what_the_pass_wrote_before(tmp_path: Path, vk: VK, registry: Callable[..., None],
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    registry(Registered("flaky", _Flaky(), "tests"), stats())
    root = _vault(tmp_path, {"a.md": AI, "other.md": "> [!ai] x\n> y.\n"})
    run_json(vk, "run", root, "--offline")
    assert "flaky was here" in (root / "a.md").read_text()
    monkeypatch.setattr(_Flaky, "fail", True)
    code, doc, _ = run_json(vk, "run", root, "--offline", "--no-cache")
    assert code == 0
    assert [f["kind"] for f in by_path(doc)["a.md"]["findings"]].count("pass-error") == 1
    text = (root / "a.md").read_text()
    assert "flaky was here" in text and "vaultkit_flaky_ok: true" in text


def test_a_pass_returning_the_wrong_type_is_a_pass_error(tmp_path: Path, vk: VK, registry: Callable[..., None]) -> None:
    class Wrong:
        version = "1"

        def analyze(self, note: Note, ctx: Context) -> Any:
            return {"findings": []}

    registry(Registered("wrong", Wrong(), "tests"))
    root = _vault(tmp_path, {"a.md": AI})
    code, doc, _ = run_json(vk, "run", root, "--offline")
    assert code == 0
    (f,) = by_path(doc)["a.md"]["findings"]
    assert f["kind"] == "pass-error" and f["data"]["pass"] == "wrong"
    assert (root / "a.md").read_text() == AI


def test_a_pass_that_failed_to_load_is_reported(tmp_path: Path, vk: VK, registry: Callable[..., None]) -> None:
    registry(Registered("broken", ImportError("no module named fancy"), "fancy 1.0 (fancy:Pass)"), stats())
    root = _vault(tmp_path, {"a.md": AI})
    code, doc, _ = run_json(vk, "run", root, "--offline")
    assert code == 0
    kinds = [f["kind"] for f in by_path(doc)["a.md"]["findings"]]
    assert "pass-load-error" in kinds and "stats" in kinds
    code, out, _ = vk("passes")
    assert "broken" in out and "BROKEN" in out and "no module named fancy" in out


class _Census:
    """A vault pass: sees every note, answers for the first one."""

    version = "1"
    scope = "vault"

    def __init__(self) -> None:
        self.seen: list[str] = []

    def analyze_vault(self, notes: Sequence[Note], ctx: Context) -> Mapping[str, PassResult]:
        self.seen = [n.path for n in notes]
        first = next(n for n in notes if n.targets)
        t = first.targets[0]
        finding = Finding("census", "info", *first.target_lines(t), f"{len(notes)} notes in the vault", {"n": len(notes)})
        return {first.path: PassResult((finding,), (Display(t, f"{len(notes)} notes"),), {"notes": len(notes)})}


def test_a_vault_pass_sees_every_note(tmp_path: Path, vk: VK, registry: Callable[..., None]) -> None:
    census = _Census()
    registry(Registered("census", census, "tests"), stats())
    root = _vault(tmp_path, {"a.md": AI, "b/c.md": "Plain.\n", "d.md": "> [!ai] x\n> y.\n", "bad.md": b"\xff\n",
                             ".obsidian/x.md": "hidden\n"})
    code, doc, _ = run_json(vk, "run", root, "--offline")
    assert code == 0
    assert sorted(census.seen) == ["a.md", "b/c.md", "d.md"]  # every parsed note, bad input excluded
    (f,) = [f for f in by_path(doc)["a.md"]["findings"] if f["pass"] == "census"]
    assert f["data"] == {"n": 3}
    text = (root / "a.md").read_text()
    assert "vaultkit:census" in text and "> 3 notes" in text and "vaultkit_census_notes: 3" in text
    assert "vaultkit:census" not in (root / "d.md").read_text()
    vk("clean", root)
    assert (root / "a.md").read_text() == AI


def test_a_crashing_vault_pass_is_reported_on_notes_with_targets(tmp_path: Path, vk: VK,
                                                                  registry: Callable[..., None]) -> None:
    class Bad:
        version = "1"
        scope = "vault"

        def analyze_vault(self, notes: Sequence[Note], ctx: Context) -> Mapping[str, PassResult]:
            raise KeyError("vault pass bug")

    registry(Registered("badvault", Bad(), "tests"), stats())
    root = _vault(tmp_path, {"a.md": AI, "plain.md": "Plain.\n"})
    code, doc, _ = run_json(vk, "run", root, "--offline")
    assert code == 0
    kinds = [(f["kind"], f["data"].get("pass")) for f in by_path(doc)["a.md"]["findings"]]
    assert ("pass-error", "badvault") in kinds
    assert by_path(doc)["a.md"]["written"] is True  # the note passes still wrote their results


def test_pass_options_come_from_the_config(tmp_path: Path, vk: VK, registry: Callable[..., None]) -> None:
    got: list[dict[str, Any]] = []

    class Opts:
        version = "1"

        def analyze(self, note: Note, ctx: Context) -> PassResult:
            got.append(dict(ctx.options))
            assert ctx.offline is True
            return PassResult()

    registry(Registered("opts", Opts(), "tests"))
    root = _vault(tmp_path, {"a.md": AI}, "[passes.opts]\nlevel = 3\nenabled = true\n")
    vk("run", root, "--offline")
    assert got == [{"level": 3}]


def test_a_note_changed_during_the_run_is_not_overwritten(tmp_path: Path, vk: VK,
                                                          registry: Callable[..., None]) -> None:
    root = _vault(tmp_path, {"a.md": AI, "b.md": AI})

    class Saver:
        """Simulates the person saving the note while vaultkit works on it."""

        version = "1"

        def analyze(self, note: Note, ctx: Context) -> PassResult:
            if note.path == "a.md":
                (root / "a.md").write_text(AI + "typed meanwhile\n")
            return PassResult((), tuple(Display(t, "x") for t in note.targets))

    registry(Registered("saver", Saver(), "tests"))
    code, doc, err = run_json(vk, "run", root, "--offline")
    assert code == 0
    a = by_path(doc)["a.md"]
    assert a["status"] == "error" and a["written"] is False and "changed" in a["error"]
    assert "a.md: " in err
    assert (root / "a.md").read_text() == AI + "typed meanwhile\n"
    assert by_path(doc)["b.md"]["written"] is True


def test_parallel_jobs_give_the_same_result(tmp_path: Path, vk: VK) -> None:
    notes: dict[str, str | bytes] = {f"n{i:03}.md": AI.replace("One", f"Answer {i}") for i in range(60)}
    notes["bad.md"] = b"\xff"
    one = _vault(tmp_path / "one", notes)
    two = _vault(tmp_path / "two", notes)
    code1, doc1, _ = run_json(vk, "run", one, "--offline", "--no-cache")
    code2, doc2, _ = run_json(vk, "run", two, "--offline", "--no-cache", "--jobs", "2")
    assert code1 == code2 == 0
    assert doc1["notes"] == doc2["notes"]
    assert snapshot(one) == snapshot(two)


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_a_symlinked_note_inside_the_vault_stays_a_symlink(tmp_path: Path, vk: VK) -> None:
    root = _vault(tmp_path, {"real.md": AI})
    os.symlink("real.md", root / "alias.md")
    vk("run", root, "--offline")
    assert (root / "alias.md").is_symlink()


def test_run_keeps_the_note_mode(tmp_path: Path, vk: VK) -> None:
    root = _vault(tmp_path, {"a.md": AI})
    (root / "a.md").chmod(0o640)
    vk("run", root, "--offline")
    assert "%% vaultkit:answer" in (root / "a.md").read_text()

    assert stat.S_IMODE((root / "a.md").stat().st_mode) == 0o640
    assert sorted(p.name for p in root.iterdir()) == ["a.md"]


# --- the cache never hides a change and never lives in the vault --------------------------------------


def test_a_config_change_is_not_hidden_by_the_cache(tmp_path: Path, vk: VK) -> None:
    root = _vault(tmp_path, {"a.md": "Plain human text.\n"})
    _, doc, _ = run_json(vk, "run", root, "--offline")
    assert by_path(doc)["a.md"]["targets"] == []
    (root / ".vaultkit.toml").write_text("[vaultkit]\nscope = \"notes\"\n")
    _, doc, _ = run_json(vk, "run", root, "--offline")
    assert by_path(doc)["a.md"]["targets"] == [{"kind": "note", "type": "note", "line": 1, "end_line": 1}]
    assert by_path(doc)["a.md"]["written"] is True


class _Versioned:
    version = "1"

    def analyze(self, note: Note, ctx: Context) -> PassResult:
        return PassResult((), tuple(Display(t, f"output of version {self.version}") for t in note.targets))


def test_a_new_pass_version_is_not_hidden_by_the_cache(tmp_path: Path, vk: VK, registry: Callable[..., None]) -> None:
    impl = _Versioned()
    registry(Registered("ver", impl, "tests"))
    root = _vault(tmp_path, {"a.md": AI})
    run_json(vk, "run", root, "--offline")
    assert "output of version 1" in (root / "a.md").read_text()
    impl.version = "2"
    _, doc, _ = run_json(vk, "run", root, "--offline")
    assert by_path(doc)["a.md"]["written"] is True
    assert "output of version 2" in (root / "a.md").read_text()


def test_the_cache_lives_in_vaultkit_cache_dir_not_in_the_vault(tmp_path: Path, vk: VK, cache_dir: Path) -> None:
    root = _vault(tmp_path, {"a.md": AI})
    vk("run", root, "--offline")
    assert [p.name for p in root.iterdir()] == ["a.md"]
    assert list(cache_dir.glob("*.sqlite"))


def test_a_corrupt_cache_only_costs_speed(tmp_path: Path, vk: VK, cache_dir: Path) -> None:
    from vaultkit.cache import cache_path

    root = _vault(tmp_path, {"a.md": AI})
    path = cache_path(root)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"this is not an SQLite database" * 100)
    code, doc, _ = run_json(vk, "run", root, "--offline")
    assert code == 0
    assert by_path(doc)["a.md"]["written"] is True
    code, doc, _ = run_json(vk, "run", root, "--offline")
    assert code == 0 and doc["summary"]["written"] == 0
