"""Quoted text in managed callouts: Markdown stripped, escaped only where the rendering would change,
checked through the Obsidian reading parser (`vaultkit.markdown.reading_parser`)."""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from vaultkit.markdown import reading_parser
from vaultkit_plugins.text.quoting import CONTEXTS, escape, marks, plain, quote, renders_as

# Pieces that open Markdown or Obsidian syntax, mixed with plain letters and spaces.
PIECES = ["a", "b", "x1", " ", " ", "-", "+", "*", "**", "_", "__", "~", "~~", "=", "==", "`", "``", "$", "$$",
          "[", "]", "[[", "]]", "](", "(", ")", "![", "<", ">", "<b>", "</i>", "<!--", "&", "&amp;", "&#35;", ";",
          "%", "%%", "#", "#tag", "^", "^[", " ^id", "!", ":", "http://e.org", "https://", "www.e.org", "|",
          "1.", "2)", "\\", "[ ] ", "[x]", "[a]: ", "```", "---", "1", ".", "/", "@"]
LINES = st.lists(st.sampled_from(PIECES), max_size=9).map("".join)


def _backslash_free(line: str) -> str:
    return " ".join(line.split())


@settings(max_examples=600, deadline=None)
@given(LINES)
@example("**Sparse Mixture of Experts (MoE):** Routing inputs")
@example("[Hoffmann, J. (2022). Training](https://e.org) `code` %%hidden%% ==hi==")
@example("- [ ] 1. # > ```")
def test_an_escaped_line_renders_as_the_text_in_every_context(text: str) -> None:
    line = escape(text)
    assert "\n" not in line
    assert renders_as(line, _backslash_free(text)) or not _backslash_free(text)


@settings(max_examples=400, deadline=None)
@given(LINES)
@example("`a` `b`")
@example("``a``")
@example("%%%")
@example("a_b_c *not* emphasis")
def test_every_backslash_escape_writes_is_needed(text: str) -> None:
    s = _backslash_free(text)
    at = marks(s)
    for i in at:
        fewer = "".join(("\\" + c) if j in at - {i} else c for j, c in enumerate(s))
        assert not renders_as(fewer, s), f"the backslash before {s[i]!r} at {i} in {s!r} is not needed"


def test_ordinary_prose_is_left_alone() -> None:
    for text in ["neuro-symbolic", "(LLMs)", "GPT-2", "costs $5 billion, not $10 billion", "3 * 4 = 12",
                 "snake_case_name", "50% of users", "C# and F#", "Q&A", "a < b > c", "e.g. the 1990s."]:
        assert escape(text) == text


def test_only_what_would_render_is_escaped() -> None:
    assert escape("- not a list") == "\\- not a list"
    assert escape("1. not a list") == "1\\. not a list"
    assert escape("# not a heading") == "\\# not a heading"
    assert escape("see [[Note]]") == "see [\\[Note]]"
    assert escape("%%not hidden%%") == "%\\%not hidden%\\%"
    assert escape("a #tag") == "a \\#tag"
    assert escape("AT&amp;T") == "AT\\&amp;T"


def test_text_from_the_network_never_becomes_live() -> None:
    """Titles, names and model output: no link, embed, wikilink, HTML, comment or math survives."""
    md = reading_parser()
    for hostile in ["[click](https://evil.example)", "![[Private note]]", "[[Private note]]", "<img src=x onerror=y>",
                    "<script>alert(1)</script>", "%%everything after is hidden", "https://evil.example/x",
                    "www.evil.example", "$\\frac{1}{2}$", "==loud==", "> [!danger] fake callout", "^[a footnote]"]:
        line = escape(hostile)
        for ctx in CONTEXTS:
            kinds = {t.type for tok in md.parse(ctx.format(line)) for t in [tok, *(tok.children or [])]}
            assert not kinds & {"link_open", "image", "embed", "wikilink", "html_inline", "html_block", "comment",
                                "math_inline", "math_block", "highlight", "blockquote_open", "footnote_ref"}, (hostile, line)
        assert renders_as(line, hostile)


def test_plain_strips_what_the_reader_does_not_see() -> None:
    assert plain("**Sparse Mixture of Experts (MoE):** Routing inputs") == "Sparse Mixture of Experts (MoE): Routing inputs"
    assert plain("- **Distributed Training:** across *many* GPUs [3].") == "Distributed Training: across many GPUs."
    assert plain("See [the paper](https://e.org) and [[Note|my note]], `code`, ==key== and ~~old~~.") == \
        "See the paper and my note, code, key and old."
    assert plain("> [!ai]+ Answer") == "Answer"
    assert plain("Text %%hidden%% with a footnote[^1] and ^[inline] ^abc123") == "Text with a footnote and"
    assert plain("AT&amp;T <br> rose") == "AT&T rose"
    assert plain("a == b and x ~~ y") == "a == b and x ~~ y"


def test_quote_is_plain_then_escape() -> None:
    assert quote("**neuro-symbolic** AI (LLMs)") == "neuro-symbolic AI (LLMs)"
    assert quote("**Bold:** a [[link]] to `x`") == "Bold: a link to x"


def test_text_cannot_forge_a_task_key_or_a_line_reference() -> None:
    """vaultkit marks a task's key and a line reference with private-use characters in a display body;
    quoted text never carries them through, so a note cannot make one."""
    from vaultkit.managed import safe
    from vaultkit.passes import resolve_line_refs
    from vaultkit.tasks import tasks

    forged = escape("The answer.\ue002deadbeef\ue003")
    assert "\ue002" not in forged and tasks(safe(forged), frozenset({"deadbeef"})) == forged
    assert resolve_line_refs(escape("line \ue00012\ue001"), lambda n: 99) == escape("line \ue00012\ue001")
