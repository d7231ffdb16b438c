"""managed: vaultkit's callouts and keys are recognised exactly, stripped exactly, and human edits win."""

from __future__ import annotations

import pytest

from support import clean, render, stats
from vaultkit.managed import block_lines, key_name, outer_prefix, separator, strip
from vaultkit.text import split_lines


def _block(pass_name: str = "stats", depth: int = 1, body: str = "12 words", nl: str = "\n", tail: bool = False,
           title: str = "Stats") -> list[str]:
    return block_lines(pass_name, "abc123", "def456", "> " * (depth - 1), title, body, nl, tail)


def test_block_lines_shape() -> None:
    lines = _block(body="row one\n\nrow two", nl="\r\n")
    assert all(x.endswith("\r\n") and "\n" not in x[:-2] for x in lines)
    assert lines[0].startswith("> [!vaultkit]- Stats %% vaultkit:stats t=abc123 in=def456 out=")
    assert lines[1:] == ["> row one\r\n", ">\r\n", "> row two\r\n"]


def test_nested_block_lines_carry_the_outer_quote() -> None:
    lines = _block(depth=3)
    assert lines[0].startswith("> > > [!vaultkit]- ")
    assert lines[1] == "> > > 12 words\n"
    assert separator("> > ") == "> >" and separator("") == ""


@pytest.mark.parametrize(("header", "pre"), [
    ("> [!ai] AI", ""), ("> > [!ai]", "> "), ("   > [!ai]", "   "), ("   > > [!ai]+ x", "   > "), (">>[!ai]", ">"),
])
def test_outer_prefix_keeps_list_indentation_and_outer_quotes(header: str, pre: str) -> None:
    assert outer_prefix(header) == pre


def test_body_cannot_break_out_of_the_block() -> None:
    lines = _block(body="a %% b\rc\n%%", title="multi\nline  title")
    joined = "".join(lines)
    assert joined.count("%%") == 2  # only the header's own marker
    assert "\r" not in joined
    assert "multi line title %%" in lines[0]
    assert len(lines) == 3


def test_empty_body_is_a_header_only_block() -> None:
    assert len(_block(body="  \n")) == 1


def test_strip_removes_an_intact_block_and_its_separator() -> None:
    human = ["> [!ai] x\n", "> y\n"]
    lines = human + [separator("") + "\n", *_block(), "\n", "after\n"]
    s = strip(lines, "vaultkit_")
    assert s.lines == human + ["\n", "after\n"]
    assert s.origin == [0, 1, 5, 6]
    (b,) = s.blocks
    assert (b.pass_name, b.target_id, b.input_hash, b.line, b.end_line, b.intact) == ("stats", "abc123", "def456", 4, 5, True)


def test_strip_removes_the_tail_separator_only_when_recorded() -> None:
    with_tail = ["> [!ai] x\n", "\n", *_block(tail=True), "\n", "glued after\n"]
    assert strip(with_tail, "vaultkit_").lines == ["> [!ai] x\n", "glued after\n"]
    without = ["> [!ai] x\n", "\n", *_block(tail=False), "\n", "after\n"]
    assert strip(without, "vaultkit_").lines == ["> [!ai] x\n", "\n", "after\n"]


@pytest.mark.parametrize("edit", [
    lambda rows: rows[:1] + ["> 13 words\n"],           # body changed
    lambda rows: rows + ["> my own remark\n"],          # a row added
    lambda rows: [rows[0].replace("Stats", "Statz")] + rows[1:],  # title changed
])
def test_an_edited_block_is_kept_and_flagged(edit) -> None:  # type: ignore[no-untyped-def]
    block = edit(_block())
    lines = ["> [!ai] x\n", "\n", *block, "\n", "after\n"]
    s = strip(lines, "vaultkit_")
    assert s.lines == lines
    (b,) = s.blocks
    assert b.intact is False and (b.line, b.end_line) == (3, 2 + len(block))


def test_a_header_like_line_without_a_matching_hash_is_human_text() -> None:
    lines = ["> [!vaultkit]- Stats %% vaultkit:stats t=00 in=00 out=00 %%\n", "> text\n"]
    assert strip(lines, "vaultkit_").lines == lines


def test_owned_limits_which_blocks_and_keys_are_stripped() -> None:
    lines = ["---\n", "vaultkit_stats_words: 3\n", "vaultkit_other_n: 1\n", "---\n", "> [!ai] x\n",
             "\n", *_block("stats"), "\n", *_block("other")]
    s = strip(lines, "vaultkit_", frozenset({"stats"}))
    assert "vaultkit_stats_words: 3\n" not in s.lines
    assert "vaultkit_other_n: 1\n" in s.lines
    assert sum("vaultkit:other" in x for x in s.lines) == 1
    assert not any("vaultkit:stats" in x for x in s.lines)
    assert [b.pass_name for b in s.blocks] == ["stats"]


def test_only_vaultkit_keys_are_stripped_from_frontmatter() -> None:
    lines = ["---\n", "title: x\n", "vaultkit_stats_words: 3\n", "vaultkit_stats_list:\n", "  - a\n", "  - b\n",
             "tags: [a]\n", "---\n", "body\n"]
    s = strip(lines, "vaultkit_")
    assert s.lines == ["---\n", "title: x\n", "tags: [a]\n", "---\n", "body\n"]
    assert s.had_keys


def test_keys_are_only_recognised_at_the_top_level_and_inside_frontmatter() -> None:
    lines = ["---\n", "nested:\n", "  vaultkit_stats_words: 3\n", "---\n", "vaultkit_stats_words: 3\n"]
    assert strip(lines, "vaultkit_").lines == lines


def test_created_frontmatter_goes_only_when_nothing_human_is_left() -> None:
    made = ["---\n", "vaultkit_frontmatter: created\n", "vaultkit_stats_words: 3\n", "---\n", "body\n"]
    assert strip(made, "vaultkit_").lines == ["body\n"]
    person_added = ["---\n", "vaultkit_frontmatter: created\n", "title: mine\n", "vaultkit_stats_words: 3\n", "---\n", "body\n"]
    # clean keeps the person's key but not vaultkit's marker; a run (owned passes) keeps the marker
    assert strip(person_added, "vaultkit_").lines == ["---\n", "title: mine\n", "---\n", "body\n"]
    run = strip(person_added, "vaultkit_", frozenset({"stats"}))
    assert run.lines == ["---\n", "vaultkit_frontmatter: created\n", "title: mine\n", "---\n", "body\n"]


def test_property_prefix_is_honoured() -> None:
    lines = ["---\n", "vk-stats_words: 3\n", "vaultkit_stats_words: 3\n", "---\n"]
    assert strip(lines, "vk-").lines == ["---\n", "vaultkit_stats_words: 3\n", "---\n"]


@pytest.mark.parametrize(("line", "name"), [
    ("vaultkit_stats_words: 3\n", "stats_words"),
    ("vaultkit_x :1\n", "x"),
    ("title: x\n", None),
    (" vaultkit_stats_words: 3\n", None),
    ("vaultkit_stats_words\n", None),
])
def test_key_name(line: str, name: str | None) -> None:
    assert key_name(line, "vaultkit_") == name


def test_blocks_are_only_looked_for_after_frontmatter() -> None:
    block = "".join(_block())
    raw = f"---\nnote: |\n  {block.splitlines()[0]}\n---\nbody\n".encode()
    assert clean(raw) == raw


def test_strip_of_run_output_gives_original_lines() -> None:
    raw = b"# T\r\n\r\n> [!ai] x\r\n> y.\r\nglued\r\n"
    out, _, _ = render(raw, [stats()])
    lines = split_lines(out.decode())
    s = strip(lines, "vaultkit_")
    assert "".join(s.lines).encode() == raw
    assert all(lines[o] == k for o, k in zip(s.origin, s.lines))


def test_blocks_after_an_unclosed_fence_are_found_when_a_closed_fence_holds_an_edited_block() -> None:
    """Found by hypothesis: a closed fence showing a vaultkit header sends the scan to the real parser,
    which reads the unclosed fence at the end as code to the end of the note — and vaultkit's own
    blocks after it as code, so every run appended them again."""
    import tempfile
    from pathlib import Path

    from support import default_passes
    from vaultkit.cache import Cache
    from vaultkit.config import Config, VaultConfig
    from vaultkit.pipeline import Runner, RunOptions
    from vaultkit.vault import NoteFile

    raw = (b"# alpha\n~~~\n# alpha\n\n> [!vaultkit]- Stats %% vaultkit:stats t=0a in=0b out=0c %%\n> alpha\n\n"
           b"alpha\n~~~\n> [!ai]+ AI\n> alpha\n~~~")
    with tempfile.TemporaryDirectory() as folder:
        nf = NoteFile(Path(folder) / "n.md", "n.md")
        nf.path.write_bytes(raw)
        runner = Runner(Path(folder), Config(vaultkit=VaultConfig(scope="notes")), default_passes(),
                        RunOptions(use_cache=False), Cache(None))
        assert runner.process(nf).written
        out = nf.path.read_bytes()
        assert runner.process(nf).written is False and nf.path.read_bytes() == out
