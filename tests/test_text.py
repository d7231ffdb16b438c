"""text: strict decoding, BOM, newline style, and lossless line splitting."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vaultkit.errors import ParseError
from vaultkit.text import BOM, decode, encode, eol, split_lines, strip_eol


def test_decode_rejects_invalid_utf8_naming_byte_and_line() -> None:
    raw = b"first line\nsecond \xff line\n"
    with pytest.raises(ParseError) as info:
        decode(raw)
    message = str(info.value)
    bad = raw.index(b"\xff")
    assert "UTF-8" in message
    assert f"byte {bad}," in message
    assert "line 2" in message


def test_decode_rejects_truncated_multibyte_sequence_at_end() -> None:
    with pytest.raises(ParseError, match="line 1"):
        decode("café".encode("utf-8")[:-1])


def test_decode_rejects_latin1_even_with_bom() -> None:
    with pytest.raises(ParseError, match="byte 3"):
        decode(b"\xef\xbb\xbf\xe9t\xe9")


def test_decode_error_line_counts_cr_only_newlines() -> None:
    # split_lines (and markdown-it) treat a lone \r as a line break, so the third line is line 3
    with pytest.raises(ParseError, match="line 3"):
        decode(b"one\rtwo\rthr\xffee\r")


def test_bom_is_reported_and_removed_from_text_then_restored_by_encode() -> None:
    raw = BOM.encode("utf-8") + b"# Title\n"
    d = decode(raw)
    assert d.bom is True
    assert d.text == "# Title\n"
    assert encode(d.text, d.bom) == raw


def test_no_bom() -> None:
    d = decode(b"# Title\n")
    assert d.bom is False
    assert encode(d.text, d.bom) == b"# Title\n"


def test_only_a_leading_bom_counts() -> None:
    d = decode("a\ufeffb".encode("utf-8"))
    assert d.bom is False
    assert d.text == "a\ufeffb"


@pytest.mark.parametrize(
    ("raw", "newline", "final"),
    [
        (b"a\nb\n", "\n", True),
        (b"a\r\nb\r\n", "\r\n", True),
        (b"a\rb\r", "\r", True),
        (b"a\r\nb", "\r\n", False),
        (b"a", "\n", False),  # no newline at all: vaultkit adds LF lines
        (b"", "\n", False),
        (b"a\r\nb\nc\n", "\r\n", True),  # the first ending decides
        (b"a\nb\r\n", "\n", True),
        (b"\xef\xbb\xbfa\r\n", "\r\n", True),
    ],
)
def test_newline_style_and_final_newline(raw: bytes, newline: str, final: bool) -> None:
    d = decode(raw)
    assert d.newline == newline
    assert d.final_newline is final


@pytest.mark.parametrize(
    ("text", "lines"),
    [
        ("", []),
        ("a", ["a"]),
        ("a\n", ["a\n"]),
        ("a\nb", ["a\n", "b"]),
        ("\n\n", ["\n", "\n"]),
        ("a\r\nb\r\n", ["a\r\n", "b\r\n"]),
        ("a\rb", ["a\r", "b"]),
        ("a\r\r\nb", ["a\r", "\r\n", "b"]),
        ("a\n\rb", ["a\n", "\r", "b"]),
        ("\r", ["\r"]),
        ("x\u2028y\x0bz\x0c\n", ["x\u2028y\x0bz\x0c\n"]),  # only CR and LF end lines, as in markdown-it
    ],
)
def test_split_lines(text: str, lines: list[str]) -> None:
    assert split_lines(text) == lines
    assert "".join(lines) == text


@given(st.lists(st.sampled_from(["a", "é", " ", ">", "\n", "\r", "\r\n", "\u2028", "\t"])).map("".join))
def test_split_lines_round_trips(text: str) -> None:
    lines = split_lines(text)
    assert "".join(lines) == text
    # every line but the last ends with exactly one line ending, and holds no other
    for line in lines[:-1]:
        assert eol(line) in ("\n", "\r", "\r\n")
    for line in lines:
        body = strip_eol(line)
        assert "\n" not in body and "\r" not in body


@given(st.text())
def test_split_lines_round_trips_any_text(text: str) -> None:
    assert "".join(split_lines(text)) == text


@given(st.binary(max_size=200))
def test_decode_encode_round_trip_or_parse_error(raw: bytes) -> None:
    try:
        d = decode(raw)
    except ParseError:
        with pytest.raises(UnicodeDecodeError):
            raw.decode("utf-8")
        return
    assert encode(d.text, d.bom) == raw


@pytest.mark.parametrize(("line", "body", "ending"), [("a\r\n", "a", "\r\n"), ("a\r", "a", "\r"), ("a", "a", ""), ("\n", "", "\n")])
def test_strip_eol_and_eol(line: str, body: str, ending: str) -> None:
    assert strip_eol(line) == body
    assert eol(line) == ending
