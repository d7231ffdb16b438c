"""config: defaults < .vaultkit.toml < flags; every mistake is a ConfigError that names it."""

from __future__ import annotations

from pathlib import Path

import pytest

from support import stats
from vaultkit.config import Config, VaultConfig, load_config, parse_config, with_overrides
from vaultkit.errors import ConfigError
from vaultkit.passes import Registered, select


def _load(tmp_path: Path, toml: str) -> Config:
    (tmp_path / ".vaultkit.toml").write_text(toml, encoding="utf-8")
    return load_config(tmp_path)


def test_defaults_without_a_file(tmp_path: Path) -> None:
    config = load_config(tmp_path)
    assert config.vaultkit == VaultConfig()
    assert config.vaultkit.callout_types == ("ai",)
    assert config.vaultkit.scope == "callouts"


def test_file_values_are_read_and_types_lowercased(tmp_path: Path) -> None:
    config = _load(tmp_path, """
[vaultkit]
callout_types = ["AI", "Note"]
scope = "notes"
exclude = ["Templates/**", "Private"]
max_bytes = 100
property_prefix = "vk-"

[net]
timeout = 3

[passes.stats]
enabled = false
threshold = 2
""")
    vk = config.vaultkit
    assert vk.callout_types == ("ai", "note")
    assert vk.scope == "notes"
    assert vk.exclude == ("Templates/**", "Private")
    assert vk.max_bytes == 100
    assert vk.property_prefix == "vk-"
    assert config.net.timeout == 3.0
    assert config.pass_options("stats") == {"threshold": 2}
    assert config.pass_enabled("stats") is False
    assert config.pass_enabled("other") is True
    assert str(tmp_path) in config.source


@pytest.mark.parametrize(("toml", "named"), [
    ("[vaultkit]\ncallout_type = ['ai']\n", "callout_type"),
    ("[vaultkit]\nmaxbytes = 1\n", "maxbytes"),
    ("[net]\nproxy = 'x'\n", "proxy"),
    ("[llm]\nkey = 'x'\n", "key"),
    ("[watch]\nquiet = 1\n", "quiet"),
    ("[vault]\nscope = 'notes'\n", "[vault]"),
    ("top = 1\n", "top"),
])
def test_unknown_keys_and_tables_are_errors_naming_them(tmp_path: Path, toml: str, named: str) -> None:
    with pytest.raises(ConfigError) as info:
        _load(tmp_path, toml)
    assert named in str(info.value)
    assert ".vaultkit.toml" in str(info.value)


@pytest.mark.parametrize(("toml", "named"), [
    ("[vaultkit]\ncallout_types = 'ai'\n", "callout_types"),
    ("[vaultkit]\ncallout_types = [1]\n", "callout_types"),
    ("[vaultkit]\nmax_bytes = '100'\n", "max_bytes"),
    ("[vaultkit]\nmax_bytes = true\n", "max_bytes"),
    ("[vaultkit]\nmax_bytes = 1.5\n", "max_bytes"),
    ("[vaultkit]\nmax_bytes = 0\n", "max_bytes"),
    ("[vaultkit]\nscope = 'everything'\n", "scope"),
    ("[vaultkit]\ncallout_types = []\n", "callout_types"),
    ("[vaultkit]\nproperty_prefix = 'has space'\n", "property_prefix"),
    ("[vaultkit]\nproperty_prefix = ''\n", "property_prefix"),
    ("[net]\nallow_private = 'yes'\n", "allow_private"),
    ("[net]\ntimeout = true\n", "timeout"),
    ("vaultkit = 3\n", "vaultkit"),
    ("[passes]\nstats = 1\n", "passes"),
])
def test_bad_values_are_errors_naming_the_key(tmp_path: Path, toml: str, named: str) -> None:
    with pytest.raises(ConfigError, match=named):
        _load(tmp_path, toml)


def test_empty_callout_types_are_fine_when_every_note_is_a_target(tmp_path: Path) -> None:
    assert _load(tmp_path, "[vaultkit]\ncallout_types = []\nscope = 'notes'\n").vaultkit.callout_types == ()


def test_invalid_toml_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="invalid TOML"):
        _load(tmp_path, "[vaultkit\n")


def test_explicit_config_path_must_exist(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path, tmp_path / "missing.toml")


def test_explicit_config_path_wins_over_the_vault_file(tmp_path: Path) -> None:
    (tmp_path / ".vaultkit.toml").write_text("[vaultkit]\nmax_bytes = 1\n")
    other = tmp_path / "other.toml"
    other.write_text("[vaultkit]\nmax_bytes = 7\n")
    assert load_config(tmp_path, other).vaultkit.max_bytes == 7


def test_overrides_win_over_the_file(tmp_path: Path) -> None:
    config = _load(tmp_path, "[vaultkit]\nmax_bytes = 10\nscope = 'notes'\n")
    over = with_overrides(config, max_bytes=20)
    assert over.vaultkit.max_bytes == 20 and over.vaultkit.scope == "notes"


def test_parse_config_accepts_a_mapping() -> None:
    assert parse_config({"vaultkit": {"callout_types": ["X"]}}).vaultkit.callout_types == ("x",)


def test_pass_table_for_an_unknown_pass_is_an_error() -> None:
    config = parse_config({"passes": {"nope": {}}}, "vault/.vaultkit.toml")
    with pytest.raises(ConfigError, match="nope"):
        select([stats()], config=config)


def test_select_by_only_skip_and_enabled() -> None:
    a, b = stats(), Registered("other", object(), "tests")
    assert [r.name for r in select([a, b])] == ["stats", "other"]
    assert [r.name for r in select([a, b], only=["other"])] == ["other"]
    assert [r.name for r in select([a, b], skip=["other"])] == ["stats"]
    disabled = parse_config({"passes": {"other": {"enabled": False}}})
    assert [r.name for r in select([a, b], config=disabled)] == ["stats"]
    assert [r.name for r in select([a, b], only=["other"], config=disabled)] == ["other"]  # --only wins
    with pytest.raises(ConfigError, match="'missing'"):
        select([a, b], only=["missing"])
    with pytest.raises(ConfigError, match="'missing'"):
        select([a, b], skip=["missing"])
