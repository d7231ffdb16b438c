"""The README is the user's manual: every command, flag, config key and pass it must name, it names."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import click
import pytest

from vaultkit.cli import cli
from vaultkit.config import LlmConfig, NetConfig, VaultConfig, WatchConfig
from vaultkit.passes import discover

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_every_command_is_documented_with_help_and_example(name: str) -> None:
    command = cli.commands[name]
    assert f"vaultkit {name}" in README
    assert command.help and "Example:" in command.help
    for param in command.params:
        if isinstance(param, click.Option) and not param.hidden:
            assert param.help, f"{name} {param.opts} has no help"
            assert any(opt in README for opt in param.opts), f"README does not mention {name} {param.opts}"


@pytest.mark.parametrize("section", [VaultConfig, NetConfig, LlmConfig, WatchConfig])
def test_every_config_key_is_documented(section: type) -> None:
    for f in fields(section):
        assert f"{f.name} =" in README, f"README does not document config key {f.name}"


def test_every_installed_pass_is_documented() -> None:
    for p in discover():
        assert f"`{p.name}`" in README, f"README does not document pass {p.name}"


def test_readme_commands_use_python_311_and_sample_vault() -> None:
    assert "vaultkit run sample_vault" in README
    assert ".venv/bin/pytest" in README
    ci = (Path(__file__).resolve().parents[1] / ".ci" / "run").read_text(encoding="utf-8")
    assert "pip install -q -e '.[test]' && .venv/bin/pytest -q" in ci


def test_the_service_files_in_the_readme_parse_and_run_the_daemon() -> None:
    """The systemd unit and the launchd plist users paste must be valid and start `vaultkit watch`."""
    import configparser
    import plistlib
    import re

    unit = re.search(r"```ini\n(.*?)```", README, re.S)
    plist = re.search(r"```xml\n(.*?)```", README, re.S)
    assert unit and plist
    parser = configparser.ConfigParser(interpolation=None)
    parser.read_string(unit.group(1))
    assert " watch " in parser["Service"]["ExecStart"] and parser["Service"]["KillSignal"] == "SIGTERM"
    agent = plistlib.loads(plist.group(1).encode())
    assert agent["ProgramArguments"][1:3] == ["watch", "/Users/you/Notes"] and agent["RunAtLoad"] is True


def test_the_text_tools_example_in_the_readme_runs() -> None:
    """The README shows third-party passes how to reuse the shared text tools: its code must run."""
    import re

    from support import note_of

    code = next(block for block in re.findall(r"```python\n(.*?)```", README, re.S) if "vaultkit_plugins.text" in block)
    note = note_of("> [!ai]+ AI\n> The Danube is about 2,850 km long [2]. It flows through ten countries.\n"
                   ">\n> [2] https://example.org/danube\n")
    scope: dict[str, object] = {"note": note}
    exec(compile(code, "README.md", "exec"), scope)
    assert [s.text for s in scope["bare"]] == ["It flows through ten countries."]  # type: ignore[attr-defined]
    assert [m.number for m in scope["cites"].markers] == [2]  # type: ignore[attr-defined]


def test_the_third_party_pass_in_the_readme_writes_a_section_a_title_and_a_box_to_tick() -> None:
    """The README's example pass, as a pass author copies it: its section, its words in the title, and
    a tick that dismisses its finding."""
    import re

    from support import render
    from vaultkit.passes import Registered

    code = next(block for block in re.findall(r"```python\n(.*?)```", README, re.S) if "class ShoutyPass" in block)
    scope: dict[str, object] = {}
    exec(compile(code, "README.md", "exec"), scope)
    shouty = Registered("shouty", scope["ShoutyPass"](), "README")  # type: ignore[operator]
    out, _, _ = render(b"> [!ai]+ AI\n> ALL OF THIS IS LOUD.\n", [shouty])
    text = out.decode()
    assert "vaultkit_shouty_shouting: 1" in text and "vaultkit \u2014 shouts %%" in text
    assert "> **Shouty** %%vaultkit:shouty%%\n> - [ ] This answer is written in capitals. %%vk:" in text
    ticked, _, _ = render(out.replace(b"- [ ] This", b"- [x] This"), [shouty])
    assert b"vaultkit_shouty_shouting: 0" in ticked and "vaultkit \u2014 nothing flagged \u00b7 1 dismissed".encode() in ticked
