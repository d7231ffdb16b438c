"""See a note the way Obsidian's Reading view shows it: Markdown to a standalone HTML page, and that
page through headless Chromium to a screenshot or to the DOM a test can read.

Usage: python tests/obsidian_view.py NOTE.md OUT_PREFIX [--open] [--height PX]

runs vaultkit on a temporary copy of the note's vault (never on the vault itself) and writes
OUT_PREFIX-before.{html,png} and OUT_PREFIX-after.{html,png}; with --open also OUT_PREFIX-open.{html,png},
the note with vaultkit's callouts unfolded, as a reader who clicks them sees it. --height crops the
screenshots to that many pixels from the top (default: the whole note).
"""

from __future__ import annotations

import datetime as dt
import html
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import OptionsDict

from vaultkit.markdown import COMMENT_TOKEN, reading_parser

ROOT = Path(__file__).resolve().parents[1]
SNIPPET = ROOT / "vaultkit" / "snippets" / "vaultkit.css"
INSTALL_HINT = "apt-get install chromium"

# Obsidian's callout header: `[!type]`, then `+` (foldable, open) or `-` (foldable, closed), then a title
# (https://help.obsidian.md/Editing+and+formatting/Callouts).
CALLOUT = re.compile(r"\[!([^\]\s]+)\]([+-]?)[ \t]*")
WIKILINK_SEPARATOR = re.compile(r"\\?\|")

BASE_CSS = (Path(__file__).with_suffix(".css")).read_text(encoding="utf-8")  # Obsidian's light theme, roughly

# After layout, copy what a person sees into the DOM, so `--dump-dom` carries it: innerText leaves out
# what is not rendered (closed <details>, display:none), which is the point. The page's height goes
# along, for a screenshot of the whole note.
VISIBLE_TEXT_SCRIPT = """
window.addEventListener("load", function () {
  var out = document.getElementById("visible-text");
  out.textContent = document.body.innerText;
  out.dataset.pageHeight = String(document.documentElement.scrollHeight);
});
"""


class ObsidianRenderer(RendererHTML):
    """markdown-it's HTML renderer plus Obsidian's inline syntax, with task boxes a reader can tick."""

    def wikilink(self, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
        """`[[target|alias]]` shows the alias; `[[note#heading]]` shows `note > heading`, as Obsidian does."""
        target, alias = _split_link(tokens[idx].content)
        shown = alias or " > ".join(p for p in target.split("#") if p)
        return f'<a class="internal-link" data-href="{html.escape(target)}" href="#">{html.escape(shown)}</a>'

    def embed(self, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
        """`![[x]]` would pull x in; a placeholder box names what."""
        target, _ = _split_link(tokens[idx].content)
        return f'<span class="internal-embed" data-src="{html.escape(target)}">{html.escape(target)}</span>'

    def highlight(self, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
        """`==x==` is a highlight."""
        return f"<mark>{html.escape(tokens[idx].content)}</mark>"

    def tag(self, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
        """`#tag` is a link to a tag search."""
        name = html.escape(tokens[idx].content)
        return f'<a class="tag" href="#{name}">#{name}</a>'

    def comment(self, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
        """`%%…%%` is never shown."""
        return ""

    def block_id(self, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
        """` ^id` is never shown."""
        return ""

    def math_inline(self, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
        """Math stays its source here (no MathJax); what matters is that it is math, not text."""
        return f'<span class="math">{html.escape(tokens[idx].content)}</span>'

    def math_block(self, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
        """`$$…$$` on its own lines: display math."""
        return f'<span class="math math-block">{html.escape(tokens[idx].content)}</span>\n'

    math_inline_double = math_block


def _split_link(content: str) -> tuple[str, str]:
    """A wikilink's target and alias; `\\|` is the pipe Obsidian accepts inside tables."""
    parts = WIKILINK_SEPARATOR.split(content, maxsplit=1)
    return parts[0].strip(), (parts[1].strip() if len(parts) > 1 else "")


def renderer() -> ObsidianRenderer:
    """A renderer of our own: the shared cached parser's renderer stays as other tests expect it."""
    own = ObsidianRenderer()
    rules = dict(reading_parser().renderer.rules)  # footnote rules come from the plugin
    rules.update({k: v for k, v in own.rules.items() if k in vars(ObsidianRenderer)})
    rules[COMMENT_TOKEN] = lambda *a: ""
    own.rules = rules
    return own


def _callout_header(tokens: list[Token], i: int) -> re.Match[str] | None:
    """The `[!type]` header of the blockquote opening at i, if its first paragraph starts with one."""
    if i + 2 >= len(tokens) or tokens[i + 1].type != "paragraph_open" or tokens[i + 2].type != "inline":
        return None
    return CALLOUT.match(tokens[i + 2].content)


def _drop_prefix(children: list[Token], length: int) -> list[Token]:
    """Inline children without the first `length` characters of their leading text (the `[!type]-`)."""
    out = list(children)
    while length and out and out[0].type == "text":
        text = out[0].content
        if len(text) > length:
            out[0].content, length = text[length:], 0
        else:
            length -= len(text)
            out.pop(0)
    return out


def _split_title(children: list[Token]) -> tuple[list[Token], list[Token]]:
    """The header line's inline tokens and the rest of the first paragraph (the body's start)."""
    for j, child in enumerate(children):
        if child.type in ("softbreak", "hardbreak"):
            return children[:j], children[j + 1:]
    return children, []


def _token(kind: str, tag: str, nesting: int, level: int, **attrs: str) -> Token:
    """A block token of the callout markup."""
    return Token(kind, tag, nesting, attrs=dict(attrs), level=level, block=True)


def _callout_open(header: re.Match[str], para: Token, inline: Token, level: int) -> list[Token]:
    """Tokens for a callout's frame, title and the start of its content, replacing the quote's first paragraph."""
    kind, fold = header.group(1).lower(), header.group(2)
    title_children, rest = _split_title(_drop_prefix(inline.children or [], header.end()))
    if all(c.type == "comment" or (c.type == "text" and not c.content.strip()) for c in title_children):
        title_children = [Token("text", "", 0, content=kind[:1].upper() + kind[1:])]
    title = Token("inline", "", 0, children=title_children, content=inline.content.split("\n", 1)[0], level=level + 2)
    frame = {"class": "callout", "data-callout": kind}
    if fold:
        if fold == "+":
            frame["open"] = ""
        out = [_token("callout_open", "details", 1, level, **frame),
               _token("callout_title_open", "summary", 1, level + 1, **{"class": "callout-title"})]
        close_title = _token("callout_title_close", "summary", -1, level + 1)
    else:
        out = [_token("callout_open", "div", 1, level, **frame),
               _token("callout_title_open", "div", 1, level + 1, **{"class": "callout-title"})]
        close_title = _token("callout_title_close", "div", -1, level + 1)
    out += [title, close_title, _token("callout_content_open", "div", 1, level + 1, **{"class": "callout-content"})]
    if rest:
        body = Token("inline", "", 0, children=rest, content=inline.content.split("\n", 1)[-1], level=level + 2)
        out += [para, body]
    return out


def callouts(tokens: list[Token]) -> list[Token]:
    """Blockquotes that open with `[!type]` become Obsidian's callout markup, nested ones too."""
    out: list[Token] = []
    closers: list[list[Token]] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        header = _callout_header(tokens, i) if tok.type == "blockquote_open" else None
        if header:
            head = _callout_open(header, tokens[i + 1], tokens[i + 2], tok.level)
            out += head
            i += 3
            if head[-1].type != "inline":  # the header was the whole paragraph: drop its close
                i += 1
            else:
                out.append(tokens[i])
                i += 1
            tag = head[0].tag
            closers.append([_token("callout_content_close", "div", -1, tok.level + 1),
                            _token("callout_close", tag, -1, tok.level)])
            continue
        if tok.type == "blockquote_open":
            closers.append([])
        if tok.type == "blockquote_close" and closers:
            out += closers.pop() or [tok]
        else:
            out.append(tok)
        i += 1
    return out


def reading_options() -> OptionsDict:
    """Renderer options as Obsidian's defaults have them: a reader can tick a task box, and with
    "Strict line breaks" off (the default) a single newline shows as a line break."""
    return OptionsDict({**reading_parser().options, "tasklists_editable": True, "breaks": True})


def split_frontmatter(markdown: str) -> tuple[str | None, str]:
    """The YAML between a first-line `---` and the next `---` line, and the body after it."""
    text = markdown.lstrip("\ufeff")
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].rstrip() != "---":
        return None, text
    for j in range(1, len(lines)):
        if lines[j].rstrip() == "---":
            return "".join(lines[1:j]), "".join(lines[j + 1:])
    return None, text


def _value_html(value: Any) -> str:
    """One property value as Obsidian shows it: lists as chips, links as links, booleans as boxes."""
    if isinstance(value, list):
        return "".join(f'<span class="metadata-chip">{_value_html(v)}</span>' for v in value)
    if isinstance(value, bool):
        return f'<input type="checkbox"{" checked" if value else ""} disabled>'
    if value is None:
        return ""
    if isinstance(value, (dt.date, dt.datetime)):
        return html.escape(value.isoformat())
    if isinstance(value, dict):
        return html.escape(yaml.safe_dump(value, default_flow_style=True, allow_unicode=True).strip())
    m = re.fullmatch(r"\[\[([^\]]+)\]\]", str(value))
    if m:
        target, alias = _split_link(m.group(1))
        return f'<a class="internal-link" data-href="{html.escape(target)}" href="#">{html.escape(alias or target)}</a>'
    return html.escape(str(value))


def properties(frontmatter: str | None) -> str:
    """The Properties panel: one row per top-level key; nothing when the YAML is broken or not a map."""
    if frontmatter is None:
        return ""
    try:
        data = yaml.safe_load(frontmatter)
    except yaml.YAMLError:
        return ""
    if not isinstance(data, dict) or not data:
        return ""
    rows = "".join(f'<tr class="metadata-property"><td class="metadata-property-key">{html.escape(str(k))}</td>'
                   f'<td class="metadata-property-value">{_value_html(v)}</td></tr>\n' for k, v in data.items())
    return (f'<div class="metadata-container"><div class="metadata-heading">Properties</div>\n'
            f'<table class="metadata-properties">\n{rows}</table></div>\n')


def body_html(markdown: str) -> str:
    """A note's body as Reading view HTML (callouts, Obsidian syntax, tickable tasks)."""
    md = reading_parser()
    env: dict[str, Any] = {}
    tokens = callouts(md.parse(markdown, env))
    return renderer().render(tokens, reading_options(), env)


def page(markdown: str, title: str = "") -> str:
    """A standalone page that shows a note roughly as Obsidian's Reading view (light theme) does."""
    frontmatter, body = split_frontmatter(markdown)
    snippet = SNIPPET.read_text(encoding="utf-8")
    heading = f'<div class="inline-title">{html.escape(title)}</div>\n' if title else ""
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        f"<title>{html.escape(title)}</title>\n<style>{BASE_CSS}</style>\n<style>\n{snippet}</style>\n</head>\n"
        f"<body>\n<div class=\"markdown-reading-view\">\n{heading}{properties(frontmatter)}"
        f"<div class=\"markdown-preview-section\">\n{body_html(body)}</div>\n</div>\n"
        f"<pre id=\"visible-text\" hidden></pre>\n<script>{VISIBLE_TEXT_SCRIPT}</script>\n</body>\n</html>\n"
    )


def chromium() -> str:
    """The Chromium binary on PATH."""
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    raise FileNotFoundError(f"no chromium on PATH (neither `chromium` nor `chromium-browser`) — {INSTALL_HINT}")


def _headless(html_path: Path | str, *flags: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run headless Chromium on a local file with its own throwaway profile (runs never share a lock)."""
    with tempfile.TemporaryDirectory(prefix="vaultkit-chromium-") as profile:
        argv = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                "--no-first-run", "--disable-dev-shm-usage", f"--user-data-dir={profile}",
                *flags, Path(html_path).resolve().as_uri()]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, cwd=profile)
    if done.returncode != 0:
        raise RuntimeError(f"chromium exited {done.returncode}: {done.stderr.strip()[-2000:]}")
    return done


def screenshot(html_path: Path | str, png_path: Path | str, width: int = 900, height: int = 1200) -> Path:
    """A PNG of the page's first width x height pixels, as a window of that size shows it."""
    png = Path(png_path).resolve()
    png.unlink(missing_ok=True)
    _headless(html_path, f"--screenshot={png}", f"--window-size={width},{height}")
    if not png.is_file():
        raise RuntimeError(f"chromium wrote no screenshot to {png}")
    return png


def dump_dom(html_path: Path | str) -> str:
    """The DOM after the page's scripts ran (so `#visible-text` is filled in)."""
    return _headless(html_path, "--dump-dom", "--virtual-time-budget=2000").stdout


def page_height(html_path: Path | str, width: int = 900, limit: int = 16000) -> int:
    """How tall the page lays out at that width (at most `limit` pixels), for a whole-note screenshot."""
    dom = _headless(html_path, "--dump-dom", "--virtual-time-budget=2000", f"--window-size={width},1200").stdout
    m = re.search(r'data-page-height="(\d+)"', dom)
    return min(int(m.group(1)), limit) if m else 1200


def vault_root(note: Path) -> Path:
    """The folder holding `.obsidian/` or `.vaultkit.toml` above the note, else the note's folder."""
    for folder in note.resolve().parents:
        if (folder / ".obsidian").is_dir() or (folder / ".vaultkit.toml").is_file():
            return folder
    return note.resolve().parent


def run_on_copy(note: Path, tmp: Path) -> Path:
    """vaultkit run --offline over a copy of the note's vault; the copied note's path."""
    root = vault_root(note)
    copy = tmp / "vault"
    shutil.copytree(root, copy, ignore=shutil.ignore_patterns(".git"), ignore_dangling_symlinks=True)
    env = {**os.environ, "VAULTKIT_CACHE_DIR": str(tmp / "cache")}
    done = subprocess.run([sys.executable, "-m", "vaultkit", "run", str(copy), "--offline"],
                          env=env, cwd=tmp, capture_output=True, text=True)
    sys.stderr.write(done.stderr)
    if done.returncode not in (0, 1):
        raise RuntimeError(f"vaultkit run exited {done.returncode}")
    return copy / note.resolve().relative_to(root)


def render_file(note: Path, html_path: Path, png_path: Path, unfold: bool = False, height: int = 0) -> None:
    """One note to its page and a screenshot of all of it (or of its top `height` pixels)."""
    text = note.read_bytes().decode("utf-8", errors="replace")
    if unfold:  # (as a reader who clicks each of vaultkit's callouts open sees the note)
        text = re.sub(r"(?m)^((?:> ?)*> \[!vaultkit\])-", r"\1+", text)
    html_path.write_text(page(text, title=note.stem), encoding="utf-8")
    screenshot(html_path, png_path, height=height or page_height(html_path))


def main(argv: list[str]) -> int:
    """`NOTE.md OUT_PREFIX [--open] [--height PX]`: before and after screenshots of one note, vaultkit
    run on a copy."""
    args = list(argv)
    unfold = "--open" in args
    if unfold:
        args.remove("--open")
    height = 0
    if "--height" in args:
        at = args.index("--height")
        height = int(args[at + 1])
        del args[at:at + 2]
    if len(args) != 2:
        print(__doc__.strip().split("\n\n")[1], file=sys.stderr)
        return 2
    note, prefix = Path(args[0]), args[1]
    Path(prefix).parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="vaultkit-view-") as tmp:
        after = run_on_copy(note, Path(tmp))
        shots = [("before", note, False), ("after", after, False)] + ([("open", after, True)] if unfold else [])
        for label, source, opened in shots:
            render_file(source, Path(f"{prefix}-{label}.html"), Path(f"{prefix}-{label}.png"), opened, height)
            print(f"{prefix}-{label}.png")
    return 0



if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
