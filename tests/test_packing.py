"""The cache's packing: text round trips, and a note's earlier bytes rebuilt exactly from what vaultkit wrote
(property tests over notes and the edits vaultkit makes)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vaultkit.packing import DELTA, delta, pack, pack_state, patch, unpack, unpack_state

LINES = st.lists(st.sampled_from(["# Title\n", "My own line.\n", "> [!ai]+ AI\n", "> An answer.\n", "\n", "- item\n",
                                  "crlf line\r\n", "no newline", "ünïcödé ✓\n", "\ue000odd\n"]), max_size=30)


@given(st.text(max_size=3000))
def test_text_packs_and_unpacks_to_itself(text: str) -> None:
    assert unpack(pack(text)) == text


def test_only_text_worth_it_is_compressed() -> None:
    assert pack("short") == "short"
    big = "the same words again " * 100
    assert isinstance(pack(big), bytes) and len(pack(big)) < len(big) // 5


@settings(max_examples=300)
@given(LINES, LINES, st.integers(0, 30))
def test_a_note_before_vaultkit_wrote_is_rebuilt_byte_for_byte(person: list[str], block: list[str], at: int) -> None:
    before = "".join(person).encode("utf-8")
    after = "".join(person[:at] + block + person[at:]).encode("utf-8")  # vaultkit's block spliced in
    kept = delta(before, after)
    assert kept.startswith(DELTA)
    assert patch(after, kept) == before
    assert patch(before, delta(after, before)) == after  # (and the other way: what clean took out)


@given(st.binary(max_size=2000), st.binary(max_size=2000))
def test_any_bytes_survive(before: bytes, after: bytes) -> None:
    assert patch(after, delta(before, after)) == before


def test_a_journal_row_from_before_packing_is_its_own_bytes() -> None:
    assert patch(b"anything", b"the old bytes themselves") == b"the old bytes themselves"
    assert unpack_state(pack_state(b"\x00index\xff" * 50)) == b"\x00index\xff" * 50
    assert unpack_state(b"an old state") == b"an old state"


def test_the_difference_is_small_when_vaultkit_added_a_callout() -> None:
    person = b"".join(b"My own line number %d, with words enough to matter.\n" % i for i in range(200))
    written = person + b"\n> [!vaultkit]- vaultkit \xe2\x80\x94 nothing flagged\n> - 3 claims cite a source.\n"
    assert len(delta(person, written)) < 80 < len(person) // 100


def test_small_values_are_packed_against_the_dictionary_and_older_values_still_read() -> None:
    import zlib

    from vaultkit.packing import WORDS

    empty = '{"cacheable": true, "displays": [], "findings": [], "properties": {}, "summary": null}'
    packed = pack(empty)
    assert isinstance(packed, bytes) and len(packed) < 20 and unpack(packed) == empty
    assert int.from_bytes(packed[2:6], "big") == zlib.adler32(WORDS)  # the stream names its dictionary
    assert unpack(zlib.compress(b"written before the dictionary " * 30)) == "written before the dictionary " * 30
    other = zlib.compressobj(1, zdict=b"a dictionary this version never had")
    with pytest.raises(zlib.error):  # never read as something else
        unpack(other.compress(empty.encode()) + other.flush())
