"""Helpers shared by the test modules: fake passes, in-memory run/clean, vault snapshots."""

from __future__ import annotations

import json
import os
import shutil
import stat
from pathlib import Path
from typing import Any, Callable, Sequence

from vaultkit.cache import Cache
from vaultkit.config import Config, VaultConfig
from vaultkit.note import Note, parse_note
from vaultkit.passes import Context, Display, PassResult, Registered
from vaultkit.pipeline import Runner, RunOptions
from vaultkit.render import Rendered, compose
from vaultkit.text import encode
from vaultkit_plugins.stats import StatsPass

REPO = Path(__file__).resolve().parents[1]
SAMPLE_VAULT = REPO / "sample_vault"
CORPUS = REPO.parent / "shared" / "corpora" / "obsidian-help"


class EchoPass:
    """A note pass whose callouts have several rows, `%%`, a CR and links; properties of every scalar type."""

    version = "1"

    def analyze(self, note: Note, ctx: Context) -> PassResult:
        displays = tuple(
            Display(t, f"echo {t.kind} {t.type}\n\n- a [[link]] and %% not a comment %%\n- a stray\rCR", "Echo  title\nwith newline")
            for t in note.targets
        )
        props: dict[str, Any] = {}
        if note.targets:
            props = {"count": len(note.targets), "label": "[[Some Note]]: yes", "ratio": 0.5, "flag": True}
        return PassResult((), displays, props)


class AnchorPass:
    """A callout under every heading, the line above it and every callout header, in AI text or not; a list property."""

    version = "1"

    def analyze(self, note: Note, ctx: Context) -> PassResult:
        displays = []
        lines = {s.line for s in note.sections} | {c.line for c in note.callouts} | {s.line - 1 for s in note.sections}
        lines.discard(0)
        for line in sorted(lines):
            owner = next((t for t in note.targets if t.line <= line <= t.end_line), None)
            # (a line outside AI text gets a callout of the note's own: target None)
            displays.append(Display(owner, f"under line {line}\n- [[a link#Heading]]", "Anchor", line))
        props: dict[str, Any] = {"of": ["[[A]]", "[[B c]]"]} if note.targets else {}
        return PassResult((), tuple(displays), props)


class BoomPass:
    """Raises on every note."""

    version = "1"

    def analyze(self, note: Note, ctx: Context) -> PassResult:
        raise RuntimeError("boom goes the pass")


def stats() -> Registered:
    """The stats pass with every property written: frontmatter tests need a pass that writes some
    (the installed one features none, so a run writes its counts only with `properties = "all"`)."""
    impl = StatsPass()
    impl.featured_properties = None  # type: ignore[assignment]
    return Registered("stats", impl, "tests")


def default_passes() -> list[Registered]:
    return [Registered("echo", EchoPass(), "tests"), stats()]


def note_of(text: str | bytes, **config: Any) -> Note:
    """Parse one note (run-mode view: every mark stripped) with a VaultConfig built from `config`."""
    raw = text.encode("utf-8") if isinstance(text, str) else text
    return parse_note(raw, "note.md", VaultConfig(**config))


def target_rows(text: str | bytes, **config: Any) -> list[tuple[str, str, int, int]]:
    """(kind, type, line, end_line) of every target, in file lines."""
    n = note_of(text, **config)
    return [(t.kind, t.type, *n.target_lines(t)) for t in n.targets]


def render(raw: bytes, passes: Sequence[Registered] | None = None,
           config: VaultConfig | None = None, installed: Sequence[str] = ()) -> tuple[bytes, Note, Rendered]:
    """What `run` would write for `raw` (no files, no cache); `installed` names passes not run."""
    passes = list(passes) if passes is not None else default_passes()
    config = config or VaultConfig()
    note = parse_note(raw, "note.md", config, frozenset(p.name for p in passes), frozenset(installed))
    runner = Runner(Path("."), Config(vaultkit=config), passes, RunOptions(use_cache=False), Cache(None))
    outputs, findings, crashed = runner.analyze(note)
    assert not crashed, findings
    rendered = compose(note, outputs)
    return encode(rendered.text, note.decoded.bom), note, rendered


def clean(raw: bytes, config: VaultConfig | None = None) -> bytes:
    """What `clean` would write for `raw`."""
    note = parse_note(raw, "note.md", config or VaultConfig())
    return encode(note.text, note.decoded.bom)


def snapshot(root: Path) -> dict[str, bytes]:
    """Every regular file under `root` (dot-folders too), by posix path."""
    out = {}
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            p = Path(dirpath) / name
            if p.is_symlink() or not p.is_file():
                continue
            out[p.relative_to(root).as_posix()] = p.read_bytes()
    return out


def mtimes(root: Path) -> dict[str, int]:
    """st_mtime_ns of every regular file under `root`."""
    return {rel: (root / rel).stat().st_mtime_ns for rel in snapshot(root)}


def copy_tree(src: Path, dst: Path) -> Path:
    """Copy a (possibly read-only) tree and make the copy writable."""
    shutil.copytree(src, dst, symlinks=True)
    for dirpath, dirs, files in os.walk(dst):
        os.chmod(dirpath, 0o755)
        for name in files:
            p = os.path.join(dirpath, name)
            if not os.path.islink(p):
                os.chmod(p, stat.S_IMODE(os.stat(p).st_mode) | stat.S_IWUSR | stat.S_IRUSR)
    return dst


def write_note(root: Path, rel: str, data: str | bytes) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    path.write_bytes(data)
    return path


def run_json(vk: Callable[..., tuple[int, str, str]], *args: object) -> tuple[int, dict[str, Any], str]:
    """`vaultkit <args> --json` -> (exit code, parsed report, stderr)."""
    code, out, err = vk(*args, "--json")
    assert out.strip(), f"no JSON on stdout (exit {code}); stderr: {err}"
    return code, json.loads(out), err


def note_findings(vk: Callable[..., tuple[int, str, str]], root: Path, *args: object,
                  path: str = "a.md") -> list[dict[str, Any]]:
    """`vaultkit run ROOT ARGS --json` -> the findings of one note, which must have been processed."""
    code, doc, err = run_json(vk, "run", root, *args)
    assert code == 0, err
    note = by_path(doc)[path]
    assert note["status"] == "ok", note
    return list(note["findings"])


def by_path(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {n["path"]: n for n in doc["notes"]}


def is_subsequence(needles: Sequence[str], haystack: Sequence[str]) -> bool:
    it = iter(haystack)
    return all(any(n == h for h in it) for n in needles)
