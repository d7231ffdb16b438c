"""cli: exit codes (0 ok, 1 findings under --check, 2 usage/config, 4 a note the system would not let be
written), help, passes, python -m."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Callable

import click
import pytest

from support import by_path, run_json, snapshot, write_note
from vaultkit.cli import cli

VK = Callable[..., tuple[int, str, str]]

AI = "> [!ai]+ AI\n> An answer.\n"
GLUED = "> 1. Prompt\n> [!ai]+ AI\n> An answer.\n"


@pytest.fixture
def vault(tmp_path: Path) -> Path:
    root = tmp_path / "vault"
    write_note(root, "a.md", AI)
    write_note(root, "plain.md", "Just text.\n")
    return root


@pytest.mark.parametrize(("args", "code"), [
    ([], 0),
    (["--check"], 0),                          # only info findings
    (["--check", "--fail-on", "error"], 0),
    (["--check", "--fail-on", "warning"], 0),
    (["--check", "--fail-on", "info"], 1),
    (["--fail-on", "info"], 0),                # without --check findings never fail
])
def test_check_exit_codes_info(vault: Path, vk: VK, args: list[str], code: int) -> None:
    assert vk("run", vault, "--offline", "--no-cache", *args)[0] == code


def test_check_exit_codes_warning(tmp_path: Path, vk: VK) -> None:
    root = tmp_path / "v"
    write_note(root, "g.md", GLUED)
    assert vk("run", root, "--offline", "--check", "--dry-run")[0] == 0
    assert vk("run", root, "--offline", "--check", "--fail-on", "warning", "--dry-run")[0] == 1
    assert vk("run", root, "--offline", "--check", "--fail-on", "info", "--dry-run")[0] == 1


def test_check_fails_on_a_note_that_could_not_be_read(tmp_path: Path, vk: VK) -> None:
    root = tmp_path / "v"
    write_note(root, "bad.md", b"\xff\xfe")
    assert vk("run", root, "--offline")[0] == 0
    assert vk("run", root, "--offline", "--check")[0] == 1


def test_check_with_dry_run_writes_nothing(vault: Path, vk: VK) -> None:
    before = snapshot(vault)
    assert vk("run", vault, "--offline", "--check", "--fail-on", "info", "--dry-run")[0] == 1
    assert snapshot(vault) == before


@pytest.mark.parametrize("flag", ["--only", "--skip"])
def test_unknown_pass_name_is_a_usage_error(vault: Path, vk: VK, flag: str) -> None:
    before = snapshot(vault)
    code, out, err = vk("run", vault, flag, "nosuchpass")
    assert code == 2
    assert "nosuchpass" in err and "stats" in err
    assert out == ""
    assert snapshot(vault) == before


@pytest.mark.parametrize(("toml", "named"), [
    ("[vaultkit]\ncallout_typez = ['ai']\n", "callout_typez"),
    ("[passes.nosuchpass]\nx = 1\n", "nosuchpass"),
    ("[vaultkit\n", "TOML"),
])
def test_bad_config_is_a_usage_error_naming_the_problem(vault: Path, vk: VK, toml: str, named: str) -> None:
    (vault / ".vaultkit.toml").write_text(toml)
    before = snapshot(vault)
    code, _, err = vk("run", vault, "--offline")
    assert code == 2
    assert named in err
    assert err.count("\n") == 1  # printed once
    assert snapshot(vault) == before


def test_missing_config_file_and_vault_and_note_are_usage_errors(vault: Path, tmp_path: Path, vk: VK) -> None:
    assert vk("run", vault, "--config", tmp_path / "nope.toml")[0] == 2
    code, _, err = vk("run", tmp_path / "no-such-vault")
    assert code == 2 and "no-such-vault" in err
    code, _, err = vk("run", vault, "--file", vault / "missing.md")
    assert code == 2 and "missing.md" in err


@pytest.mark.parametrize("args", [["run", "--bogus"], ["run", "--fail-on", "fatal"], ["run", "--jobs", "-1"], ["nosuchcommand"]])
def test_bad_flags_are_usage_errors(vault: Path, vk: VK, args: list[str]) -> None:
    code, _, err = vk(*args)
    assert code == 2
    assert err


def test_file_option_processes_only_that_note(tmp_path: Path, vk: VK) -> None:
    root = tmp_path / "v"
    write_note(root, "a.md", AI)
    write_note(root, "b.md", AI)
    (root / ".vaultkit.toml").write_text("")
    code, doc, _ = run_json(vk, "run", "--file", root / "a.md", "--offline")
    assert code == 0
    assert [n["path"] for n in doc["notes"]] == ["a.md"]
    assert "%% vaultkit:answer" in (root / "a.md").read_text()
    assert (root / "b.md").read_text() == AI


def test_clean_restores_and_dry_run_diff_shows_removals(vault: Path, vk: VK) -> None:
    before = snapshot(vault)
    assert vk("run", vault, "--offline")[0] == 0
    written = snapshot(vault)
    assert written != before
    code, out, err = vk("clean", vault, "--dry-run", "--diff")
    assert code == 0
    assert snapshot(vault) == written
    assert out.startswith("--- a/a.md\n+++ b/a.md\n")
    assert not [x for x in out.splitlines() if x.startswith("+") and not x.startswith("+++")]
    code, doc, err = run_json(vk, "clean", vault)
    assert code == 0
    assert snapshot(vault) == before
    assert doc["summary"]["written"] == 1
    # clean of a clean vault writes nothing
    assert run_json(vk, "clean", vault)[1]["summary"]["written"] == 0


def test_summary_line_on_stderr(vault: Path, vk: VK) -> None:
    code, out, err = vk("run", vault, "--offline")
    assert code == 0
    assert out == ""  # stdout is for --json and --diff only
    (line,) = err.splitlines()
    assert "2 notes" in line and "1 written" in line and "0 errors" in line


def test_passes_lists_stats(vk: VK) -> None:
    code, out, _ = vk("passes")
    assert code == 0
    (row,) = [x for x in out.splitlines() if x.split()[0] == "stats"]
    assert "vaultkit_plugins.stats:StatsPass" in row
    code, out, _ = vk("passes", "--json")
    assert code == 0
    (entry,) = [p for p in json.loads(out) if p["name"] == "stats"]
    assert entry["scope"] == "note" and entry["error"] is None and entry["version"]


def test_python_dash_m_vaultkit(tmp_path: Path) -> None:
    env = {**os.environ, "VAULTKIT_CACHE_DIR": str(tmp_path)}
    proc = subprocess.run([sys.executable, "-m", "vaultkit", "passes"], capture_output=True, text=True,
                          cwd=tmp_path, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert any(x.split()[:1] == ["stats"] for x in proc.stdout.splitlines())
    proc = subprocess.run([sys.executable, "-m", "vaultkit", "run", str(tmp_path / "missing")], capture_output=True,
                          text=True, cwd=tmp_path, env=env, timeout=120)
    assert proc.returncode == 2
    assert "missing" in proc.stderr


def _commands() -> list[tuple[str, click.Command]]:
    assert isinstance(cli, click.Group)
    return [("vaultkit", cli), *((f"vaultkit {n}", c) for n, c in sorted(cli.commands.items()))]


@pytest.mark.parametrize(("name", "command"), _commands(), ids=[n for n, _ in _commands()])
def test_every_command_has_help_with_an_example(name: str, command: click.Command, vk: VK) -> None:
    args = name.split()[1:]
    code, out, _ = vk(*args, "--help")
    assert code == 0
    assert "Example:" in out
    assert "Usage:" in out
    for param in command.params:
        if isinstance(param, click.Option) and not param.hidden:
            assert param.help, f"{name} {param.opts[0]} has no help text"


def test_expected_commands_exist() -> None:
    assert {"run", "clean", "passes"} <= set(cli.commands)


def test_version(vk: VK) -> None:
    from vaultkit import __version__

    code, out, _ = vk("--version")
    assert code == 0 and __version__ in out


def test_run_without_a_vault_uses_the_current_folder(vault: Path, vk: VK, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(vault)
    code, doc, _ = run_json(vk, "run", "--offline")
    assert code == 0
    assert by_path(doc)["a.md"]["written"] is True



# --- editor hooks: --format text and --line ------------------------------------------------------

HOOK_NOTE = (
    "# Two answers\n\nMy notes.\n\n"
    "> [!ai]+ First\n> Groq's LPU delivers 750 tokens per second on Llama models.\n\n"
    "Between the answers.\n\n"
    "> [!ai]+ Second\n> Microsoft deployed RWKV to 1.5 billion Windows machines in 2024.\n"
)


def _text_rows(out: str) -> list[tuple[str, int, str, str, str]]:
    """`path:line: severity [pass] message` rows, split."""
    rows = []
    for row in out.splitlines():
        head, message = row.split("] ", 1)
        location, rest = head.rsplit(": ", 1)
        path, line = location.rsplit(":", 1)
        severity, name = rest.split(" [")
        rows.append((path, int(line), severity, name, message))
    return rows


def test_format_text_prints_one_problem_line_per_finding_in_the_written_files_lines(tmp_path: Path, vk: VK) -> None:
    note = write_note(tmp_path, "a.md", HOOK_NOTE)
    code, out, err = vk("run", tmp_path, "--offline", "--only", "claims", "--only", "stats", "--format", "text")
    assert code == 0, err
    rows = _text_rows(out)
    _, doc, _ = run_json(vk, "run", tmp_path, "--offline", "--only", "claims", "--only", "stats")
    assert len(rows) == len(by_path(doc)["a.md"]["findings"]) and "vaultkit:" not in out  # the summary is on stderr
    written = note.read_text(encoding="utf-8").splitlines()
    assert written[0] == "---"  # vaultkit added properties, so every line moved down
    claims = [r for r in rows if r[3] == "claims"]
    assert {r[2] for r in claims} == {"warning"} and len(claims) == 2
    for path, line, _, _, message in claims:
        assert path == str(tmp_path / "a.md")
        assert message.removeprefix("uncited claim: ") in written[line - 1]  # the line as the editor shows it


def test_line_reports_only_the_answer_under_the_cursor(tmp_path: Path, vk: VK) -> None:
    note = write_note(tmp_path, "a.md", HOOK_NOTE)
    assert vk("run", tmp_path, "--offline", "--only", "claims")[0] == 0  # (both answers have their callouts)
    second = note.read_text(encoding="utf-8").splitlines().index("> [!ai]+ Second") + 1
    code, out, err = vk("run", "--file", note, "--offline", "--only", "claims", "--format", "text",
                        "--line", f"{second + 1}:4")
    assert code == 0, err
    messages = [r[4] for r in _text_rows(out)]
    assert messages == ["uncited claim: Microsoft deployed RWKV to 1.5 billion Windows machines in 2024."]
    # On the callouts vaultkit wrote under the first answer: still the first answer.
    lines = note.read_text(encoding="utf-8").splitlines()
    under_first = next(i for i, row in enumerate(lines, 1) if row.startswith("> [!vaultkit]- vaultkit"))
    code, out, _ = vk("run", "--file", note, "--offline", "--only", "claims", "--format", "text", "--line", under_first)
    assert [r[4] for r in _text_rows(out)] == ["uncited claim: Groq's LPU delivers 750 tokens per second on Llama models."]
    code, out, _ = vk("run", "--file", note, "--offline", "--only", "claims", "--format", "text", "--line", 1)
    assert out == ""  # above every answer: nothing to report


def test_line_works_on_the_answer_under_the_cursor_and_leaves_the_others_as_they_are(tmp_path: Path, vk: VK) -> None:
    """An editor hook on a note of several answers: only the one at the cursor is analysed and its
    callouts rewritten; the others' callouts and the frontmatter stay byte for byte, the person's
    edits everywhere are kept, and the next full run brings the rest up to date."""
    note = write_note(tmp_path, "a.md", HOOK_NOTE)
    assert vk("run", tmp_path, "--offline")[0] == 0
    before = note.read_text(encoding="utf-8")
    edited = before.replace("750 tokens", "800 tokens", 1).replace("1.5 billion", "2 billion", 1)  # both answers
    note.write_text(edited, encoding="utf-8")
    lines = edited.splitlines(keepends=True)
    second = next(i for i, row in enumerate(lines, 1) if row.startswith("> [!ai]+ Second"))
    code, out, err = vk("run", "--file", note, "--offline", "--format", "text", "--line", second + 1)
    assert code == 0, err
    after = note.read_text(encoding="utf-8")
    first_stretch = "".join(lines[:second - 1])  # the frontmatter, the first answer and its callouts
    assert after.startswith(first_stretch) and "- [ ] Groq's LPU delivers 750 tokens per second" in after  # not redone
    line = next(i for i, row in enumerate(after.splitlines(), 1) if "Microsoft deployed RWKV to 2 billion" in row)
    assert f"> - [ ] Microsoft deployed RWKV to 2 billion Windows machines in 2024. (line {line})" in after  # the
    # second one is, its line reference naming the line of the file as written (above it, the first answer's callout)

    assert [r[3] for r in _text_rows(out)].count("claims") == 1
    copy = write_note(tmp_path / "copy", "a.md", edited)
    assert vk("run", "--file", copy, "--offline", "--only", "claims")[0] == 0
    code, cleaned, _ = vk("clean", tmp_path, "--dry-run")
    assert vk("clean", tmp_path)[0] == 0 and vk("clean", tmp_path / "copy")[0] == 0
    assert note.read_text(encoding="utf-8") == copy.read_text(encoding="utf-8")  # the same human text, edits kept
    assert vk("run", tmp_path, "--offline")[0] == 0 and vk("run", tmp_path / "copy", "--offline")[0] == 0
    assert note.read_text(encoding="utf-8") == copy.read_text(encoding="utf-8")  # and a full run catches up


def test_line_in_a_note_of_one_answer_or_nested_answers_works_on_the_whole_note(tmp_path: Path, vk: VK) -> None:
    nested = "# N\n\n> [!ai]+ Outer\n> Groq's LPU delivers 750 tokens per second.\n>\n> > [!ai]+ Inner\n> > It ran 3 models in 2024.\n"
    for name, text, at in (("one.md", AI, 2), ("nested.md", nested, 7)):
        note = write_note(tmp_path / "with-line", name, text)
        whole = write_note(tmp_path / "whole", name, text)
        assert vk("run", "--file", note, "--offline", "--line", at)[0] == 0
        assert vk("run", "--file", whole, "--offline")[0] == 0
        assert note.read_bytes() == whole.read_bytes(), name


def test_line_needs_one_file_and_a_line_number(tmp_path: Path, vk: VK) -> None:
    note = write_note(tmp_path, "a.md", HOOK_NOTE)
    code, _, err = vk("run", tmp_path, "--offline", "--line", "3")
    assert code == 2 and "--line needs exactly one --file" in err
    code, _, err = vk("run", "--file", note, "--offline", "--line", "x")
    assert code == 2 and "is not a line number" in err


def test_where_a_pass_came_from_is_read_only_when_shown() -> None:
    """Reading a distribution's metadata costs an editor hook milliseconds it never prints."""
    from vaultkit import __version__
    from vaultkit.passes import discover

    stats = next(r for r in discover() if r.name == "stats")
    assert "source" not in vars(stats)
    assert stats.source == f"vaultkit {__version__} (vaultkit_plugins.stats:StatsPass)"


@pytest.mark.parametrize("notes, collecting", [(1, False), (65, True)])
def test_the_collector_stays_off_for_a_hook_and_comes_back_for_a_long_run(
        vk: VK, tmp_path: Path, notes: int, collecting: bool) -> None:
    """`main` starts with the garbage collector off (a hook's start-up has nothing to collect); a
    run over more than a few notes turns it back on, so a vault-wide run's memory stays bounded."""
    import gc

    for i in range(notes):
        (tmp_path / f"n{i}.md").write_text(f"> [!ai]+ AI\n> Answer {i}.\n", encoding="utf-8")
    gc.disable()
    try:
        code, _, err = vk("run", tmp_path, "--offline", "--no-cache")
        assert code == 0, err
        assert gc.isenabled() is collecting
    finally:
        gc.enable()
        gc.unfreeze()


REAL_REPLACE = os.replace


def _failing_replace(monkeypatch: pytest.MonkeyPatch, name: str, err: int) -> list[str]:
    """os.replace fails with `err` for the note called `name` (a full disk, a read-only file system)."""
    import errno as _errno  # noqa: F401  (the caller passes errno values)

    real = REAL_REPLACE
    tried: list[str] = []

    def replace(src: str, dst: str, *a: object, **kw: object) -> None:
        if Path(dst).name == name:
            tried.append(str(dst))
            raise OSError(err, os.strerror(err))
        real(src, dst, *a, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "replace", replace)
    return tried


@pytest.mark.parametrize("err", [28, 30, 13])  # ENOSPC, EROFS, EACCES
def test_a_note_the_system_will_not_let_be_written_exits_4_after_the_others(
        tmp_path: Path, vk: VK, monkeypatch: pytest.MonkeyPatch, err: int) -> None:
    root = tmp_path / "v"
    for name in ("a.md", "b.md", "c.md"):
        write_note(root, name, AI)
    before = snapshot(root)
    tried = _failing_replace(monkeypatch, "b.md", err)
    code, out, errs = vk("run", root, "--offline")
    assert code == 4, errs
    assert tried and os.strerror(err) in errs and "could not be written" in errs
    after = snapshot(root)
    assert after["b.md"] == before["b.md"]  # left byte-identical
    assert after["a.md"] != before["a.md"] and after["c.md"] != before["c.md"]  # the others were done
    assert not [p for p in root.rglob("*") if p.name.endswith(".vaultkit-tmp")]
    code, _, _ = vk("run", root, "--offline", "--check", "--fail-on", "info")
    assert code == 4  # 4 wins over --check's 1: what failed is the system
    monkeypatch.setattr(os, "replace", REAL_REPLACE)  # (not monkeypatch.undo(): the cache folder is patched too)
    assert vk("run", root, "--offline")[0] == 0  # the cause gone, the next run writes it
    _failing_replace(monkeypatch, "a.md", err)
    code, _, errs = vk("clean", root)
    assert code == 4 and "a.md" in errs
    assert snapshot(root)["c.md"] == before["c.md"]  # cleaned all the same


def test_undo_that_cannot_write_exits_4(tmp_path: Path, vk: VK, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "v"
    write_note(root, "a.md", AI)
    assert vk("run", root, "--offline")[0] == 0
    _failing_replace(monkeypatch, "a.md", 28)
    code, _, errs = vk("undo", root)
    assert code == 4 and "No space left on device" in errs


def test_a_note_skipped_for_its_content_keeps_exit_0_or_1(tmp_path: Path, vk: VK) -> None:
    root = tmp_path / "v"
    write_note(root, "a.md", AI)
    (root / "bad.md").write_bytes(b"\xff\xfe not utf-8 \x80")
    assert vk("run", root, "--offline")[0] == 0
    assert vk("run", root, "--offline", "--check")[0] == 1


def test_a_note_that_vanishes_before_its_write_exits_4_and_one_a_person_saved_does_not(
        tmp_path: Path, vk: VK, monkeypatch: pytest.MonkeyPatch) -> None:
    import vaultkit.write as write

    root = tmp_path / "v"
    write_note(root, "gone.md", AI)
    write_note(root, "saved.md", AI)
    real = write.replace_note
    meddle = {"saved.md"}

    def meanwhile(path: Path, expected: bytes, new: bytes) -> bool:
        if path.name in meddle and path.name == "gone.md":
            path.unlink()  # deleted (or moved away by a sync client) while vaultkit worked
        if path.name in meddle and path.name == "saved.md":
            path.write_text(AI + "typed meanwhile\n", encoding="utf-8")
        return real(path, expected, new)

    monkeypatch.setattr("vaultkit.pipeline.runner.replace_note", meanwhile)
    code, _, errs = vk("run", root, "--offline")
    assert code == 0 and "saved.md" in errs  # the person's save won: named, and not a failure
    assert (root / "saved.md").read_text(encoding="utf-8") == AI + "typed meanwhile\n"
    meddle.clear()
    (root / "gone.md").write_text(AI + "another answer\n", encoding="utf-8")
    meddle.add("gone.md")
    code, _, errs = vk("run", root, "--offline")
    assert code == 4 and "gone.md" in errs and "1 note could not be written" in errs
