"""Parse: bytes -> Note, everything in file coordinates, nothing lost."""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any, Mapping

from vaultkit.blocks import Callout, Region, Section, Structure, parse_blocks
from vaultkit.config import VaultConfig
from vaultkit.errors import ParseError
from vaultkit.managed import Block, frontmatter_end, strip
from vaultkit.text import Decoded, decode, digest, split_lines, strip_eol

_QUOTE = re.compile(r"^[ ]{0,3}(?:>[ ]?)")


@dataclass(frozen=True, slots=True)
class Frontmatter:
    """The YAML block at the top of a note: its data (read-only) and its lines."""

    data: Mapping[str, Any]
    line: int  # the opening `---`
    end_line: int  # the closing `---`
    is_mapping: bool  # properties can only be added to a mapping


@dataclass(frozen=True, slots=True)
class Target:
    """A unit of AI text that passes analyse: an `[!ai]` callout or a whole AI note."""

    kind: str  # "callout" or "note"
    type: str  # the callout type, or the ai_key for a note
    line: int  # file line of the header (or the note's first body line)
    end_line: int
    depth: int  # quote depth; 0 for a note
    title: str
    text: str  # the content without quote markers and without the header line
    id: str  # hash of `text`: names the target in managed blocks
    glued: bool = False


@dataclass(frozen=True, eq=False)
class Note:
    """One parsed note: its human text (vaultkit's marks stripped) with file coordinates.

    `lines` are the note's lines without vaultkit's blocks and keys. Targets,
    sections and findings use these lines (1-based): they do not move when
    vaultkit adds or removes its own blocks. `origin` maps each back to its line
    in the file as read, which is what reports show.
    """

    path: str
    raw: bytes
    decoded: Decoded
    lines: tuple[str, ...]
    origin: tuple[int, ...]
    frontmatter: Frontmatter | None
    blocks: tuple[Block, ...]
    config: VaultConfig = field(repr=False)
    had_keys: bool = False
    preparsed: Structure | None = field(default=None, repr=False)  # from an earlier parse of the same text
    # By pass: keys of the findings a person ticked off in vaultkit's callouts (`Finding.key`).
    dismissed: Mapping[str, frozenset[str]] = field(default_factory=dict)
    # Frontmatter keys of passes this run does not own, lifted out as written: (pass, lines).
    kept_keys: tuple[tuple[str, tuple[str, ...]], ...] = ()

    @property
    def text(self) -> str:
        """The human text as one string (no BOM)."""
        return "".join(self.lines)

    @property
    def body_start(self) -> int:
        """0-based index into `lines` where the body starts (after frontmatter)."""
        return self.frontmatter.end_line if self.frontmatter else 0

    @cached_property
    def hash(self) -> str:
        """Hash of the human text: the cache key for parse and pass results."""
        return digest(self.text)

    def file_line(self, line: int) -> int:
        """Map a 1-based line of `lines` to a 1-based line of the file as read."""
        if not self.origin:
            return 1
        idx = min(max(line, 1), len(self.origin)) - 1
        return self.origin[idx] + 1

    @cached_property
    def state(self) -> str:
        """What the passes' results depend on: the human text, and the findings ticked off."""
        if not self.dismissed:
            return self.hash
        return digest(self.hash, *(f"{p}:{','.join(sorted(keys))}" for p, keys in sorted(self.dismissed.items())))

    @cached_property
    def needs_structure(self) -> bool:
        """A cheap text pre-filter: only notes that could hold a target are block-parsed."""
        if self.is_ai_note or self.config.scope == "notes":
            return True
        return self._has_ai_callout_text

    @cached_property
    def structure(self) -> Structure:
        """Block structure of the body, parsed once, on first use."""
        if self.preparsed is not None:
            return self.preparsed
        body_lines = list(self.lines[self.body_start :])
        return parse_blocks("".join(body_lines), self.body_start, body_lines, self.config.callout_types)

    @property
    def callouts(self) -> tuple[Callout, ...]:
        """Every callout (any type) in the note."""
        return self.structure.callouts

    @property
    def sections(self) -> tuple[Section, ...]:
        """Heading sections, including headings inside callouts."""
        return self.structure.sections

    @property
    def regions(self) -> tuple[Region, ...]:
        """Code, math, HTML and comment lines: not prose."""
        return self.structure.regions

    @cached_property
    def is_ai_note(self) -> bool:
        """The frontmatter marks the whole note as AI-written (`ai: true`, `aiModel: …`, `source: chatgpt`)."""
        return bool(self.ai_marker)

    @cached_property
    def ai_marker(self) -> str:
        """The frontmatter key that marks the note as AI-written, or ""."""
        if not self.frontmatter:
            return ""
        return ai_marker(self.frontmatter.data, self.config, self._has_ai_callout_text)

    @cached_property
    def _has_ai_callout_text(self) -> bool:
        lowered = self.text.lower()
        return any(f"[!{t}" in lowered for t in self.config.callout_types)

    @cached_property
    def targets(self) -> tuple[Target, ...]:
        """The AI text in this note, in file coordinates, in order."""
        found: list[Target] = []
        if self.is_ai_note or self.config.scope == "notes":
            start = self.body_start
            text = "".join(self.lines[start:])
            if text.strip():
                key = self.ai_marker or "note"
                found.append(Target("note", key, start + 1, len(self.lines), 0, "", text, digest(text)))
        if self.needs_structure:
            for c in self.callouts:
                if c.type in self.config.callout_types:
                    found.append(self._callout_target(c))
        return _unique_ids(found)

    def _callout_target(self, c: Callout) -> Target:
        body = []
        for raw in self.lines[c.line : c.end_line]:
            line = strip_eol(raw)
            for _ in range(c.depth):
                m = _QUOTE.match(line)
                if not m:
                    break
                line = line[m.end() :]
            body.append(line)
        text = "\n".join(body)
        return Target("callout", c.type, c.line, c.end_line, c.depth, c.title, text, digest(c.type, c.title, text), c.glued)

    def note_line(self, file_line: int) -> int:
        """Map a 1-based line of the file as read to the 1-based line of `lines` at or after it."""
        return bisect_left(self.origin, file_line - 1) + 1

    def target_lines(self, target: Target) -> tuple[int, int]:
        """A target's range in the file as read."""
        return self.file_line(target.line), self.file_line(target.end_line)


def _unique_ids(targets: list[Target]) -> tuple[Target, ...]:
    """Identical answers in one note still need distinct ids: the n-th copy gets n in its hash."""
    seen: dict[str, int] = {}
    out = []
    for t in targets:
        n = seen.get(t.id, 0)
        seen[t.id] = n + 1
        out.append(t if n == 0 else replace(t, id=digest(t.id, str(n))))
    return tuple(out)


def parse_note(
    raw: bytes, path: str, config: VaultConfig, owned: frozenset[str] | None = None,
    known: frozenset[str] = frozenset(), structures: Mapping[str, Structure] | None = None,
) -> Note:
    """Decode, strip vaultkit's marks (of the `owned` passes; all if None) and read the frontmatter.

    `known` names every installed pass, so a key is matched to the right one. `structures`
    maps text hashes to block structures parsed before (a run's first phase), to skip the parse.
    Raises ParseError on bad input.
    """
    decoded = decode(raw, path)
    lines = split_lines(decoded.text)
    stripped = strip(lines, config.property_prefix, owned, known)
    clean = stripped.lines
    frontmatter = _frontmatter(clean)
    note = Note(
        path, raw, decoded, tuple(clean), tuple(stripped.origin), frontmatter, stripped.blocks, config,
        stripped.had_keys, dismissed=stripped.dismissed, kept_keys=stripped.keys,
    )
    known_structure = structures.get(note.hash) if structures else None
    return replace(note, preparsed=known_structure) if known_structure is not None else note


def _frontmatter(lines: list[str]) -> Frontmatter | None:
    end = frontmatter_end(lines)
    if end < 0:
        return None
    source = "".join(lines[1:end])
    if not source.strip():
        return Frontmatter({}, 1, end + 1, True)
    data = load_yaml(source, first_line=2)
    if data is None:
        return Frontmatter({}, 1, end + 1, True)
    if not isinstance(data, dict):
        return Frontmatter({}, 1, end + 1, False)
    return Frontmatter(data, 1, end + 1, True)


def load_yaml(source: str, first_line: int = 1) -> Any:
    """Safe-load YAML (never arbitrary tags); raise ParseError naming the line."""
    import yaml
    from frontmatter.default_handlers import YAMLHandler

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        return YAMLHandler().load(source, Loader=loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + first_line}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ParseError(f"{where}invalid YAML frontmatter ({problem}) — fix the YAML; the note was not changed") from exc


_TRUE = ("true", "yes")
_AI_CHAT_HOSTS = ("chatgpt.com", "chat.openai.com", "perplexity.ai", "claude.ai", "gemini.google.com",
                  "copilot.microsoft.com", "poe.com", "chat.deepseek.com", "grok.com", "chat.mistral.ai")
_URL_HOST = re.compile(r"^[a-z][a-z0-9+.-]*://(?:www\.)?([^/\s:?#]+)", re.I)
_WORDS = re.compile(r"[a-z0-9]+")


def ai_marker(data: Mapping[str, Any], config: VaultConfig, callouts: bool = False) -> str:
    """Which frontmatter key says a note is AI-written ("" if none does): a flag from `ai_keys` (or the
    old `ai_key`) that is true; or, in a note without AI callouts (`callouts`: where a model's name
    describes the callout, as on a blog post with an AI summary on top), a model named under one of
    `ai_model_keys` or a `source` naming an AI tool. `ai: false` says no, whatever else does."""
    if data.get(config.ai_key) is False:
        return ""
    for spec in (config.ai_key, *config.ai_keys):
        key, _, other = spec.partition("+")
        if _is_true(data.get(key)) and (not other or _named(data.get(other))):
            return key
    if callouts:
        return ""
    for key in config.ai_model_keys:
        if _named(data.get(key)):
            return key
    source = data.get("source")
    for value in source if isinstance(source, list) else [source]:
        if isinstance(value, str) and _names_ai_tool(value, config.ai_sources):
            return "source"
    return ""


def _is_true(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.strip().lower() in _TRUE)


def _named(value: Any) -> bool:
    """A filled-in string (a model's name), not a flag saying no."""
    return isinstance(value, str) and bool(value.strip()) and value.strip().lower() not in ("false", "no", "none", "null")


def _names_ai_tool(value: str, tools: tuple[str, ...]) -> bool:
    """`chatgpt`, `Perplexity export`, `claude-code`, `https://chatgpt.com/share/…` — not `John Smith`,
    not `https://www.nature.com/articles/…`, not `Anthropic's blog` on a news site's URL."""
    host = _URL_HOST.match(value.strip())
    if host:
        name = host.group(1).lower()
        return any(name == h or name.endswith("." + h) for h in _AI_CHAT_HOSTS)
    words = set(_WORDS.findall(value.lower()))
    return any(tool.lower() in words for tool in tools)
