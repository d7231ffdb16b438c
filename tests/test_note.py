"""note: bytes -> Note with targets in file coordinates, frontmatter read-only, bad input as ParseError."""

from __future__ import annotations

import pytest

from support import note_of, render, stats, target_rows
from vaultkit.config import VaultConfig
from vaultkit.errors import ParseError
from vaultkit.note import parse_note
from vaultkit.text import split_lines, strip_eol


@pytest.mark.parametrize("value", ["true", "True", "yes", '"true"', "'yes'"])
def test_ai_frontmatter_makes_the_whole_note_a_target(value: str) -> None:
    text = f"---\ntitle: t\nai: {value}\n---\n# Generated\n\nBody text.\n"
    assert target_rows(text) == [("note", "ai", 5, 7)]
    (t,) = note_of(text).targets
    assert t.depth == 0
    assert t.text == "# Generated\n\nBody text.\n"


@pytest.mark.parametrize("value", ["false", "no", '"maybe"', "0", "[true]"])
def test_other_ai_values_do_not(value: str) -> None:
    assert target_rows(f"---\nai: {value}\n---\nBody.\n") == []


def test_ai_key_is_configurable() -> None:
    text = "---\ngenerated: true\n---\nBody.\n"
    assert target_rows(text) == []
    assert target_rows(text, ai_key="generated") == [("note", "generated", 4, 4)]


def test_ai_note_with_callouts_has_both_kinds_of_target() -> None:
    text = "---\nai: true\n---\nIntro.\n\n> [!ai] x\n> y\n"
    assert target_rows(text) == [("note", "ai", 4, 7), ("callout", "ai", 6, 7)]


def test_ai_note_with_empty_body_has_no_target() -> None:
    assert target_rows("---\nai: true\n---\n\n  \n") == []


def test_scope_notes_makes_every_non_empty_note_a_target() -> None:
    assert target_rows("Just my text.\n", scope="notes") == [("note", "note", 1, 1)]
    assert target_rows("---\na: 1\n---\nText.\nMore.\n", scope="notes") == [("note", "note", 4, 5)]
    assert target_rows("", scope="notes") == []
    assert target_rows("\n\n", scope="notes") == []
    assert target_rows("---\na: 1\n---\n", scope="notes") == []


def test_frontmatter_is_read_and_located() -> None:
    n = note_of("---\ntitle: T\ntags: [a, b]\n---\nbody\n")
    assert n.frontmatter is not None
    assert dict(n.frontmatter.data) == {"title": "T", "tags": ["a", "b"]}
    assert (n.frontmatter.line, n.frontmatter.end_line, n.frontmatter.is_mapping) == (1, 4, True)


@pytest.mark.parametrize("fm", ["---\n---\n", "---\n# only a comment\n---\n", "---\n\n---\n"])
def test_empty_frontmatter_is_an_empty_mapping(fm: str) -> None:
    n = note_of(fm + "body\n")
    assert n.frontmatter is not None
    assert dict(n.frontmatter.data) == {} and n.frontmatter.is_mapping


def test_list_frontmatter_is_not_a_mapping() -> None:
    n = note_of("---\n- a\n- b\n---\n> [!ai] x\n> y\n")
    assert n.frontmatter is not None and n.frontmatter.is_mapping is False
    assert [t.kind for t in n.targets] == ["callout"]


def test_unclosed_frontmatter_is_body_text() -> None:
    n = note_of("---\ntitle: x\n> [!ai] y\n> z\n")
    assert n.frontmatter is None
    assert target_rows("---\ntitle: x\n\n> [!ai] y\n> z\n") == [("callout", "ai", 4, 5)]


def test_broken_yaml_raises_a_parse_error_naming_a_line() -> None:
    with pytest.raises(ParseError) as info:
        note_of("---\ntitle: [unclosed\ntags: llm\n---\nbody\n")
    message = str(info.value)
    assert "invalid YAML frontmatter" in message
    assert "line " in message
    assert "\n" not in message


def test_yaml_is_loaded_safely() -> None:
    with pytest.raises(ParseError):
        note_of("---\nx: !!python/object/apply:os.system ['true']\n---\nbody\n")


def test_invalid_utf8_raises_a_parse_error() -> None:
    with pytest.raises(ParseError, match="UTF-8"):
        parse_note(b"caf\xe9\n", "n.md", VaultConfig())


def test_bom_and_crlf_do_not_shift_target_lines() -> None:
    raw = "\ufeff---\r\na: 1\r\n---\r\ntext\r\n\r\n> [!ai] x\r\n> y\r\n".encode()
    n = parse_note(raw, "n.md", VaultConfig())
    assert [n.target_lines(t) for t in n.targets] == [(6, 7)]
    assert n.decoded.bom and n.decoded.newline == "\r\n"


def test_targets_are_in_coordinates_of_the_file_as_read_when_it_holds_vaultkit_marks() -> None:
    raw = b"# T\n\n> [!ai] one\n> a.\n\n> [!ai] two\n> b.\n\nmine\n"
    out, _, _ = render(raw, [stats()])
    n = parse_note(out, "n.md", VaultConfig(), frozenset({"stats"}))
    file_lines = [strip_eol(x) for x in split_lines(out.decode())]
    headers = [file_lines[n.target_lines(t)[0] - 1] for t in n.targets]
    assert headers == ["> [!ai] one", "> [!ai] two"]
    ends = [file_lines[n.target_lines(t)[1] - 1] for t in n.targets]
    assert ends == ["> a.", "> b."]


def test_identical_callouts_get_distinct_ids_and_their_own_blocks() -> None:
    raw = b"> [!ai] AI\n> Same answer.\n\n> [!ai] AI\n> Same answer.\n"
    n = parse_note(raw, "n.md", VaultConfig())
    assert len({t.id for t in n.targets}) == 2
    out, _, _ = render(raw, [stats()])
    text = out.decode()
    assert text.count("%% vaultkit:answer") == 2

    ids = {line.split(" t=")[1].split()[0] for line in text.splitlines() if "%% vaultkit:" in line}
    assert ids == {t.id for t in n.targets}


def test_target_id_follows_the_text() -> None:
    a = note_of("> [!ai] AI\n> one\n").targets[0].id
    b = note_of("Intro moved it down.\n\n> [!ai] AI\n> one\n").targets[0].id
    c = note_of("> [!ai] AI\n> two\n").targets[0].id
    assert a == b  # moving an answer keeps its blocks attached
    assert a != c


def test_note_hash_ignores_vaultkit_marks() -> None:
    raw = b"> [!ai] x\n> y.\n"
    out, _, _ = render(raw, [stats()])
    assert parse_note(out, "n.md", VaultConfig()).hash == parse_note(raw, "n.md", VaultConfig()).hash
    assert parse_note(b"> [!ai] x\n> z.\n", "n.md", VaultConfig()).hash != parse_note(raw, "n.md", VaultConfig()).hash


def test_empty_note() -> None:
    n = parse_note(b"", "n.md", VaultConfig())
    assert n.targets == () and n.frontmatter is None and n.text == ""


@pytest.mark.parametrize(("frontmatter", "key"), [
    ("ai-generated: true", "ai-generated"),
    ("ai_generated: yes", "ai_generated"),
    ("aiGenerated: true", "aiGenerated"),
    ("generated: true\nmodel: gpt-4o", "generated"),
    ("aiModel: gpt-5.2", "aiModel"),
    ("generated_by: Claude 3.5 Sonnet", "generated_by"),
    ("source: chatgpt", "source"),
    ("source: Perplexity export", "source"),
    ("source: claude-code", "source"),
    ("source: https://chatgpt.com/share/67a0", "source"),
    ("source: [web clipper, ChatGPT]", "source"),
])
def test_the_keys_real_exports_use_mark_an_ai_note(frontmatter: str, key: str) -> None:
    """Issue 17: the markers AI exports and plugins write, recognised without any configuration."""
    assert target_rows(f"---\n{frontmatter}\n---\nBody.\n") == [("note", key, 4 + frontmatter.count("\n"),
                                                                    4 + frontmatter.count("\n"))]


@pytest.mark.parametrize("frontmatter", [
    "generated: true",  # a generated index or a template's output: no model named
    "source: John Smith",
    "source: https://www.nature.com/articles/s41586-024-07421-0",
    "source: https://www.anthropic.com/news/claude-3-family",  # a web page about an AI tool is a web page
    "source: Wikipedia",
    "aiModel: ''",
    "generated_by: no",
    "ai: false\nsource: chatgpt",  # the person's own "no" wins
])
def test_a_note_whose_source_is_a_person_or_a_website_is_not(frontmatter: str) -> None:
    assert target_rows(f"---\n{frontmatter}\n---\nBody.\n") == []


def test_a_model_key_on_a_note_with_an_ai_callout_describes_the_callout() -> None:
    """A blog post with an AI summary on top (`aiModel: gpt-5.2` + `> [!ai]`) is the person's post."""
    text = "---\naiModel: gpt-5.2\n---\n> [!ai] ChatGPT\n> A summary.\n\nThe person's own post.\n"
    assert target_rows(text) == [("callout", "ai", 4, 5)]


def test_ai_keys_and_sources_are_configurable() -> None:
    assert target_rows("---\nwritten_by_bot: true\n---\nBody.\n", ai_keys=("written_by_bot",)) == [
        ("note", "written_by_bot", 4, 4)]
    assert target_rows("---\nai-generated: true\n---\nBody.\n", ai_keys=()) == []
    assert target_rows("---\nsource: chatgpt\n---\nBody.\n", ai_sources=()) == []
    assert target_rows("---\nsource: Kagi Assistant\n---\nBody.\n", ai_sources=("kagi",)) == [("note", "source", 4, 4)]
