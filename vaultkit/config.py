"""`.vaultkit.toml`: defaults < file < CLI flags; unknown keys are errors, named."""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Mapping

from vaultkit.errors import ConfigError

CONFIG_NAME = ".vaultkit.toml"


@dataclass(frozen=True)
class VaultConfig:
    """`[vaultkit]`: what counts as AI text and which files are notes."""

    callout_types: tuple[str, ...] = ("ai",)
    scope: str = "callouts"  # "callouts" or "notes" (every note is a target)
    exclude: tuple[str, ...] = ()
    ai_key: str = "ai"  # (kept for old configs: it is one more of `ai_keys`)
    # Frontmatter keys that mark a whole note as AI-written when true; `key+other` when true and
    # `other` is filled in (`generated: true` only with a `model:`).
    ai_keys: tuple[str, ...] = ("ai", "ai-generated", "ai_generated", "aiGenerated", "ai-written", "ai_written",
                                "generated+model")
    # Keys that mark it when they name a model or tool (`aiModel: gpt-5.2`, `generated_by: Claude`).
    ai_model_keys: tuple[str, ...] = ("aiModel", "ai_model", "ai-model", "generated_by", "generated-by", "generatedBy")
    # Words in a `source:` value that name an AI tool (`source: chatgpt`, `source: Perplexity export`);
    # a source that names a person or a web page is not one (a URL counts only on an AI chat's own host).
    ai_sources: tuple[str, ...] = ("chatgpt", "openai", "gpt", "claude", "anthropic", "perplexity", "gemini",
                                   "bard", "copilot", "llama", "mistral", "deepseek", "grok", "qwen", "ollama",
                                   "llm", "ai")
    property_prefix: str = "vaultkit_"
    properties: str = "featured"  # "featured": the few keys each pass features; "all": every pass's counts
    layout: str = "answer"  # "answer": one callout per AI answer; "passes": one per pass, summaries under headings
    max_bytes: int = 5_000_000  # larger notes are skipped, byte-identical


@dataclass(frozen=True)
class NetConfig:
    """`[net]`: the shared HTTP client's limits."""

    allow_private: bool = False
    timeout: float = 10.0
    max_per_host: int = 2
    max_total: int = 64  # requests in flight at once, over every host (each host still max_per_host)
    user_agent: str = "vaultkit (+https://github.com/vaultkit/vaultkit)"
    recheck_per_run: int = 200  # unchanged notes an online run takes up again to re-check their lookups


@dataclass(frozen=True)
class LlmConfig:
    """`[llm]`: an optional OpenAI-compatible server; the key comes from the environment."""

    base_url: str = ""
    model: str = ""
    api_key_env: str = "OPENAI_API_KEY"
    timeout: float = 60.0  # seconds per request; a slow local model needs more than a link check


@dataclass(frozen=True)
class WatchConfig:
    """`[watch]`: how long a note must stay unchanged before vaultkit writes it."""

    quiet_seconds: float = 5.0


@dataclass(frozen=True)
class UndoConfig:
    """`[undo]`: how much of its own writing vaultkit keeps so that `vaultkit undo` can take it back."""

    keep_runs: int = 20  # the most recent writing runs kept in the journal
    max_mb: float = 200.0  # the journal's size; a run past it is kept only in part


@dataclass(frozen=True)
class Config:
    """The whole configuration; `passes` maps a pass id to its own option table."""

    vaultkit: VaultConfig = field(default_factory=VaultConfig)
    net: NetConfig = field(default_factory=NetConfig)
    llm: LlmConfig = field(default_factory=LlmConfig)
    watch: WatchConfig = field(default_factory=WatchConfig)
    undo: UndoConfig = field(default_factory=UndoConfig)
    passes: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    source: str = "defaults"

    def pass_options(self, name: str) -> dict[str, Any]:
        """A pass's own table, without the generic `enabled` key."""
        return {k: v for k, v in self.passes.get(name, {}).items() if k != "enabled"}

    def pass_enabled(self, name: str) -> bool:
        """Installed passes run unless their table says `enabled = false`."""
        return self.passes.get(name, {}).get("enabled", True) is not False


_SECTIONS: dict[str, type] = {
    "vaultkit": VaultConfig,
    "net": NetConfig,
    "llm": LlmConfig,
    "watch": WatchConfig,
    "undo": UndoConfig,
}


def _coerce(where: str, key: str, value: Any, default: Any) -> Any:
    """Check one value against its default's type; lists become tuples."""
    if isinstance(default, tuple):
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{where}: '{key}' must be a list of strings")
        return tuple(value)
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise ConfigError(f"{where}: '{key}' must be true or false")
        return value
    if isinstance(default, float):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{where}: '{key}' must be a number")
        return float(value)
    if isinstance(default, int):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{where}: '{key}' must be an integer")
        return value
    if not isinstance(value, str):
        raise ConfigError(f"{where}: '{key}' must be a string")
    return value


def _section(where: str, cls: type, table: Any) -> Any:
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: must be a table")
    defaults = cls()
    known = {f.name for f in fields(cls)}
    values = {}
    for key, value in table.items():
        if key not in known:
            raise ConfigError(
                f"{where}: unknown key '{key}' — known keys: {', '.join(sorted(known))}"
            )
        values[key] = _coerce(where, key, value, getattr(defaults, key))
    return replace(defaults, **values)


def parse_config(data: Mapping[str, Any], source: str = "<config>") -> Config:
    """Validate a TOML document's tables into a Config."""
    kwargs: dict[str, Any] = {"source": source}
    for key, table in data.items():
        if key in _SECTIONS:
            kwargs[key] = _section(f"{source}: [{key}]", _SECTIONS[key], table)
        elif key == "passes":
            if not isinstance(table, dict) or not all(isinstance(t, dict) for t in table.values()):
                raise ConfigError(f"{source}: [passes] must hold one table per pass, e.g. [passes.stats]")
            for name, t in table.items():
                if not isinstance(t.get("enabled", True), bool):
                    raise ConfigError(f"{source}: [passes.{name}] 'enabled' must be true or false")
            kwargs["passes"] = {name: dict(t) for name, t in table.items()}
        else:
            raise ConfigError(
                f"{source}: unknown table '[{key}]' — known: "
                + ", ".join(f"[{k}]" for k in [*_SECTIONS, "passes.<name>"])
            )
    config = Config(**kwargs)
    vk = config.vaultkit
    if vk.scope not in ("callouts", "notes"):
        raise ConfigError(f"{source}: [vaultkit] scope must be \"callouts\" or \"notes\", not {vk.scope!r}")
    if not vk.callout_types and vk.scope == "callouts":
        raise ConfigError(f"{source}: [vaultkit] callout_types is empty — name at least one type, e.g. [\"ai\"]")
    if not vk.property_prefix or not vk.property_prefix.replace("_", "").replace("-", "").isalnum():
        raise ConfigError(f"{source}: [vaultkit] property_prefix must be letters, digits, '_' or '-'")
    if vk.properties not in ("featured", "all"):
        raise ConfigError(f"{source}: [vaultkit] properties must be \"featured\" or \"all\", not {vk.properties!r}")
    if vk.layout not in ("answer", "passes"):
        raise ConfigError(f"{source}: [vaultkit] layout must be \"answer\" or \"passes\", not {vk.layout!r}")
    if vk.max_bytes <= 0:
        raise ConfigError(f"{source}: [vaultkit] max_bytes must be positive")
    types = tuple(t.lower() for t in vk.callout_types)
    return replace(config, vaultkit=replace(vk, callout_types=types))


def load_config(vault: Path, path: Path | None = None) -> Config:
    """Read `.vaultkit.toml` at the vault root (or `path`); defaults when absent."""
    target = path if path is not None else vault / CONFIG_NAME
    if not target.is_file():
        if path is not None:
            raise ConfigError(f"{path}: config file not found")
        return Config()
    import tomllib  # (and datetime with it: 4 ms a hook in a vault without a config file never pays)

    try:
        data = tomllib.loads(target.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{target}: cannot read config — {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{target}: invalid TOML — {exc}") from exc
    return parse_config(data, str(target))


def with_overrides(config: Config, **vaultkit: Any) -> Config:
    """Apply CLI flags on top of the file (flags win)."""
    return replace(config, vaultkit=replace(config.vaultkit, **vaultkit))
