"""render: managed callouts after targets and flat properties, all removable byte for byte."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from support import clean, default_passes, render, stats
from vaultkit.config import VaultConfig
from vaultkit.note import Note, parse_note
from vaultkit.passes import Context, Display, PassResult, Registered
from vaultkit.text import BOM, split_lines, strip_eol


PASSES = VaultConfig(layout="passes")  # one callout per pass: these tests check how each is placed


def _round_trip(raw: bytes, passes: list[Registered] | None = None, config: VaultConfig | None = None) -> bytes:
    """Run, check clean restores `raw` and a second run changes nothing; return the run's output."""
    out, _, _ = render(raw, passes, config)
    assert out != raw, "expected vaultkit to add something"
    assert clean(out, config) == raw
    again, _, _ = render(out, passes, config)
    assert again == out
    return out


def _lines(out: bytes) -> list[str]:
    return [strip_eol(x) for x in split_lines(out.decode("utf-8").removeprefix(BOM))]


def _frontmatter(out: bytes) -> dict[str, Any]:
    lines = _lines(out)
    assert lines[0] == "---"
    end = lines.index("---", 1)
    return yaml.safe_load("\n".join(lines[1:end])) or {}


def _headers(out: bytes) -> list[str]:
    return [x for x in _lines(out) if "%% vaultkit:" in x]


def test_block_goes_after_the_target_with_a_blank_line() -> None:
    raw = b"# T\n\n> [!ai] AI\n> The answer.\n\nMine.\n"
    out = _round_trip(raw, [stats()], PASSES)
    lines = _lines(out)
    at = lines.index("> The answer.")
    assert lines[at + 1] == ""
    assert lines[at + 2].startswith("> [!vaultkit]- Stats %% vaultkit:stats t=")
    assert lines[at + 3].startswith("> 2 words")
    assert lines[at + 4 :] == ["", "Mine."]


def test_crlf_note_gets_crlf_lines() -> None:
    raw = b"---\r\ntitle: x\r\n---\r\n> [!ai] AI\r\n> Answer.\r\n\r\nMine.\r\n"
    out = _round_trip(raw)
    assert out.count(b"\n") == out.count(b"\r\n")
    assert out.count(b"\r") == out.count(b"\r\n")


def test_cr_only_note_gets_cr_lines() -> None:
    raw = b"> [!ai] AI\r> Answer.\r\rMine.\r"
    out = _round_trip(raw)
    assert b"\n" not in out


def test_bom_is_kept() -> None:
    raw = BOM.encode() + b"> [!ai] AI\n> Answer.\n"
    out = _round_trip(raw)
    assert out.startswith(BOM.encode() + b"---\n")
    assert out.count(BOM.encode()) == 1


@pytest.mark.parametrize("nl", [b"\n", b"\r\n"])
def test_no_final_newline_with_the_target_on_the_last_line(nl: bytes) -> None:
    raw = b"Intro." + nl + nl + b"> [!ai] AI" + nl + b"> Last line without newline."
    out = _round_trip(raw)
    assert not out.endswith((b"\n", b"\r"))
    assert nl + b"> Last line without newline." + nl in out


def test_note_target_block_is_appended_at_the_end() -> None:
    raw = b"---\nai: true\n---\n# Generated\n\nBody text.\n"
    out = _round_trip(raw, [stats()], PASSES)
    lines = _lines(out)
    assert lines[-2].startswith("> [!vaultkit]- Stats %% vaultkit:stats")
    assert lines[-1].startswith("> 3 words")
    assert lines[: lines.index("Body text.") + 1][-3:] == ["# Generated", "", "Body text."]


def test_note_target_without_final_newline() -> None:
    raw = b"---\nai: true\n---\nBody text."
    out = _round_trip(raw)
    assert not out.endswith(b"\n")


def test_nested_targets_get_nested_blocks() -> None:
    raw = b"> [!note] N\n> talk\n>\n> > [!ai]+ Inner\n> > Inner answer.\n>\n> Outer again.\n"
    out = _round_trip(raw, [stats()], PASSES)
    lines = _lines(out)
    (header,) = _headers(out)
    assert header.startswith("> > [!vaultkit]- ")
    i = lines.index(header)
    assert lines[i - 2 : i] == ["> > Inner answer.", ">"]
    assert lines[i + 1].startswith("> > 2 words")
    assert lines[-2:] == [">", "> Outer again."]


def test_targets_ending_on_the_same_line() -> None:
    raw = b"> [!ai] Outer\n> outer text\n> > [!ai] Inner\n> > inner text\n"
    note = parse_note(raw, "n.md", VaultConfig())
    assert [(t.depth, t.end_line) for t in note.targets] == [(1, 4), (2, 4)]
    out = _round_trip(raw, None, PASSES)
    headers = _headers(out)
    assert len(headers) == 4  # two passes x two targets
    assert {h.split(" t=")[1].split()[0] for h in headers} == {t.id for t in note.targets}


def test_note_target_and_callout_target_ending_on_the_last_line() -> None:
    raw = b"---\nai: true\n---\nIntro.\n\n> [!ai] AI\n> Answer."
    out = _round_trip(raw, None, PASSES)
    assert len(_headers(out)) == 4


def test_tail_separator_when_text_follows_the_target_directly() -> None:
    raw = b"> [!note] N\n> > [!ai] AI\n> > Answer.\n> - my list item\n"
    out = _round_trip(raw, [stats()], PASSES)
    lines = _lines(out)
    (header,) = _headers(out)
    assert header.endswith(" tail %%")
    i = lines.index(header)
    assert lines[i - 1] == ">" and lines[i + 2] == ">"
    assert lines[i + 3] == "> - my list item"


def test_several_passes_on_one_target_are_separated() -> None:
    raw = b"> [!ai] AI\n> Answer.\n"
    out = _round_trip(raw, None, PASSES)
    lines = _lines(out)
    headers = _headers(out)
    assert [h.split("%% vaultkit:")[1].split()[0] for h in headers] == ["echo", "stats"]
    for h in headers:
        assert lines[lines.index(h) - 1] == ""


RICH = (
    "---\n"
    "# metadata for the reading list\n"
    'title: "Rich frontmatter: a stress test"\n'
    "aliases: ['Frontmatter test', \"FM test\"]\n"
    'tags: [llm, "to-read", scaling]  # flow list with a trailing comment\n'
    'related: "[[Some Note]]"\n'
    "summary: |\n"
    "  A multi-line block scalar.\n"
    "  > [!ai] inside the YAML block scalar, not a callout\n"
    "empty:\n"
    "created: 2026-11-18\n"
    "---\n"
    "> [!ai]+ AI\n"
    "> Answer.\n"
)


def test_existing_frontmatter_lines_are_kept_byte_identical() -> None:
    raw = RICH.encode()
    out = _round_trip(raw)
    human_fm = RICH.split("---\n")[1]
    assert out.startswith(("---\n" + human_fm).encode())
    data = _frontmatter(out)
    original = yaml.safe_load(human_fm)
    assert {k: v for k, v in data.items() if not k.startswith("vaultkit_")} == original
    assert data["vaultkit_echo_label"] == "[[Some Note]]: yes"


def test_property_values_read_back_with_their_types() -> None:
    out = _round_trip(b"> [!ai] AI\n> One two three.\n")
    data = _frontmatter(out)
    assert data == {
        "vaultkit_frontmatter": "created",
        "vaultkit_echo_count": 1,
        "vaultkit_echo_label": "[[Some Note]]: yes",
        "vaultkit_echo_ratio": 0.5,
        "vaultkit_echo_flag": True,
        "vaultkit_stats_targets": 1,
        "vaultkit_stats_words": 3,
        "vaultkit_stats_markers": 0,
    }


def test_empty_frontmatter_gets_properties_and_is_restored() -> None:
    raw = b"---\n---\n> [!ai] AI\n> Answer.\n"
    out = _round_trip(raw)
    assert out.startswith(b"---\nvaultkit_")
    assert b"vaultkit_frontmatter" not in out  # it was not created by vaultkit


def test_created_frontmatter_is_marked_and_removed_by_clean() -> None:
    raw = b"# No frontmatter\n\n> [!ai] AI\n> Answer.\n"
    out = _round_trip(raw)
    assert out.startswith(b"---\nvaultkit_frontmatter: created\n")
    assert clean(out) == raw


def test_property_prefix_config() -> None:
    config = VaultConfig(property_prefix="vk-")
    out = _round_trip(b"> [!ai] AI\n> Answer.\n", [stats()], config)
    assert set(_frontmatter(out)) == {"vk-frontmatter", "vk-stats_targets", "vk-stats_words", "vk-stats_markers"}


def test_list_frontmatter_gets_no_properties_and_a_warning() -> None:
    raw = b"---\n- a\n- b\n---\n> [!ai] AI\n> Answer.\n"
    out, _, rendered = render(raw, [stats()], PASSES)
    assert out.startswith(b"---\n- a\n- b\n---\n> [!ai] AI\n")
    assert b"vaultkit_stats" not in out
    assert len(_headers(out)) == 1
    assert [f.kind for f in rendered.findings] == ["properties-skipped"]
    assert rendered.findings[0].severity == "warning"
    assert clean(out, PASSES) == raw


def test_nan_in_frontmatter_does_not_block_properties() -> None:
    _, _, rendered = render(b"---\nscore: .nan\n---\n> [!ai] AI\n> Answer.\n", [stats()])
    assert rendered.findings == []


def test_a_hand_edited_block_is_kept_and_reported() -> None:
    raw = b"> [!ai] AI\n> Answer.\n\nMine.\n"
    out = _round_trip(raw, None, PASSES)
    edited = out.replace(b"> echo callout ai", b"> echo callout AI")  # one character in the echo block body
    assert edited != out
    lines = _lines(edited)
    start = lines.index(next(h for h in _headers(edited) if "vaultkit:echo" in h))
    block = lines[start : start + 5]
    again, note, rendered = render(edited, None, PASSES)
    # the edited block stays verbatim, and no second echo block is added for that target
    new_lines = _lines(again)
    i = new_lines.index(block[0])
    assert new_lines[i : i + 5] == block
    assert sum("vaultkit:echo" in h for h in _headers(again)) == 1
    assert sum("vaultkit:stats" in h for h in _headers(again)) == 1
    assert [b.intact for b in note.blocks if b.pass_name == "echo"] == [False]
    (f,) = [f for f in rendered.findings if f.kind == "managed-block-edited"]
    assert f.severity == "warning" and f.data["pass"] == "echo"
    # findings use the note's human-text lines; the report maps them to lines of the file as read
    assert note.file_line(f.line) == start + 1
    assert note.lines[f.line - 1].startswith("> [!vaultkit]")
    assert render(again, None, PASSES)[0] == again
    # clean removes vaultkit's intact marks but keeps the edited block
    cleaned = clean(edited, PASSES)
    assert "\n".join(block).encode() in cleaned
    assert b"vaultkit:stats" not in cleaned and b"vaultkit_" not in cleaned


@pytest.mark.parametrize("raw", [
    # an answer pasted into a block a person rewrote
    b"> [!vaultkit]- Stats %% vaultkit:stats t=00 in=00 out=00 %%\n> my own notes now\n> > [!ai] pasted\n> > alpha\n",
    # a nested answer whose lazy continuation runs into an edited block
    b"> > [!ai]\n> > answer\n> [!vaultkit]- Stats %% vaultkit:stats t=00 in=00 out=00 %%\n> edited\n",
], ids=["nested-in-edited", "lazy-into-edited"])
def test_target_overlapping_an_edited_block(raw: bytes) -> None:
    _round_trip(raw, [stats()])


def test_block_of_a_pass_that_is_not_run_stays() -> None:
    raw = b"> [!ai] AI\n> Answer.\n"
    both = _round_trip(raw, None, PASSES)
    only_stats, _, _ = render(both, [stats()], PASSES)
    assert sum("vaultkit:echo" in h for h in _headers(only_stats)) == 1
    assert "vaultkit_echo_count" in _frontmatter(only_stats)
    assert clean(only_stats, PASSES) == raw


def test_a_removed_target_takes_its_blocks_and_properties_with_it() -> None:
    raw = b"# T\n\n> [!ai] AI\n> Answer.\n"
    out = _round_trip(raw)
    lines = split_lines(out.decode())
    i = next(k for k, x in enumerate(lines) if x.startswith("> [!ai]"))
    human_edit = "".join(lines[:i] + ["> [!quote] AI\n"] + lines[i + 1 :]).encode()  # no longer AI text
    again, _, _ = render(human_edit)
    assert again == b"# T\n\n> [!quote] AI\n> Answer.\n"


class _Prefixed:
    version = "1"

    def __init__(self, value: int) -> None:
        self.value = value

    def analyze(self, note: Note, ctx: Context) -> PassResult:
        return PassResult((), tuple(Display(t, f"v{self.value}") for t in note.targets),
                          {"n": self.value} if note.targets else {})


def test_properties_of_a_pass_whose_name_extends_another_survive_only() -> None:
    raw = b"> [!ai] AI\n> Answer.\n"
    both = [Registered("stats", _Prefixed(1), "t"), Registered("stats_x", _Prefixed(2), "t")]
    out, _, _ = render(raw, both)
    only, _, _ = render(out, both[:1], installed=["stats", "stats_x"])
    assert _frontmatter(only).get("vaultkit_stats_x_n") == 2


class _Keyed:
    version = "1"

    def __init__(self, key: str) -> None:
        self.key = key

    def analyze(self, note: Note, ctx: Context) -> PassResult:
        return PassResult((), tuple(Display(t, "v") for t in note.targets), {self.key: 1} if note.targets else {})


@pytest.mark.parametrize(("pass_id", "key"), [("my.pass", "n"), ("p", "avg.len"), ("p", "two words"), ("p", "Ünïcode")])
def test_any_property_key_is_idempotent_and_cleaned(pass_id: str, key: str) -> None:
    _round_trip(b"> [!ai] AI\n> Answer.\n", [Registered(pass_id, _Keyed(key), "t")])


def test_plain_property_keys_are_idempotent_and_cleaned() -> None:
    out = _round_trip(b"> [!ai] AI\n> Answer.\n", [Registered("p-1", _Keyed("Some_key-2"), "t")])
    assert _frontmatter(out)["vaultkit_p-1_Some_key-2"] == 1


@pytest.mark.parametrize("raw", [
    b"x\r> [!ai] t\n\nmore\n",   # first ending is CR (vaultkit adds CR lines), a LF blank line follows the target
    b"a\n> [!ai] t\r\rmore\n",   # vaultkit adds LF lines, the target's last line ends in a lone CR
], ids=["cr-then-lf", "lf-then-cr"])
def test_mixed_line_endings_round_trip(raw: bytes) -> None:
    _round_trip(raw, [stats()])


def test_all_default_passes_give_each_target_one_block_each() -> None:
    raw = b"> [!ai] a\n> x\n\n> [!ai] b\n> y\n\n---\n\n> [!AI] c\n> z\n"
    out = _round_trip(raw, None, PASSES)
    assert len(_headers(out)) == 3 * len(default_passes())
