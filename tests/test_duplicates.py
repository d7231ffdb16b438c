"""The duplicates pass: normalisation, the MinHash/LSH engine and its exact check, incremental updates
against a fresh build, and the pass end to end through the CLI (links, properties, re-runs, clean)."""

from __future__ import annotations

import random
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from support import by_path, run_json, snapshot, write_note
from vaultkit_plugins.duplicates import _minhash as mh
from vaultkit_plugins.duplicates._index import Index, Unit
from vaultkit_plugins.text.arrays import distinct

Vk = Callable[..., tuple[int, str, str]]

DRAFT = (
    "Scaling laws promised that bigger models trained on more data would keep getting better at a "
    "predictable rate. That promise is fraying: each doubling of compute now buys a smaller gain on the "
    "benchmarks people care about, while the cost of a frontier training run has grown to hundreds of "
    "millions of dollars. Labs are therefore turning to sparse mixtures of experts, retrieval, distillation "
    "and better data curation, which deliver much of the quality for a fraction of the compute."
)
# The same section pasted elsewhere and lightly edited (a few words changed, one sentence cut short).
EDITED = (
    "Scaling laws promised that larger models trained on more data would keep getting better at a "
    "predictable rate. That promise is fraying: each doubling of compute now buys a smaller gain on the "
    "benchmarks people care about, while the price of a frontier training run has grown to hundreds of "
    "millions of dollars. Labs are therefore turning to sparse mixtures of experts, retrieval, distillation "
    "and better data curation, which deliver most of the quality."
)
# Same topic, same vocabulary, written independently: must not be reported.
SAME_TOPIC = (
    "For years the recipe was simple: add parameters, add data, add compute, and the loss curve bends down "
    "as the scaling laws predict. Recent frontier models suggest the returns on that recipe are shrinking, "
    "and training budgets in the hundreds of millions make every extra point expensive. Many labs now "
    "spend their compute on distillation, retrieval and curated data instead, and sparse expert models "
    "reach similar quality with less training."
)
FILLER = (
    "Meanwhile the history of the field shows that hardware, not algorithms, set the pace for most of "
    "the last decade. Graphics processors made dense matrix multiplication cheap, and the architectures "
    "that won were the ones that used them best. Whether that remains true is an open question, since "
    "memory bandwidth and energy now limit what a data centre can do far more than arithmetic does. "
)

CLOSING = (
    "None of this means that large models are going away. It means that the interesting engineering has "
    "moved from the size of the cluster to what happens around the model: how it is served, which parts of "
    "it run for a given request, and how much of its knowledge lives outside its weights in an index that "
    "can be updated every day without another training run."
)


def _units(*texts: str, group: str = "") -> list[Unit]:
    shingles = [mh.shingles(mh.words(t)) for t in texts]
    sig, owner = mh.signatures(shingles)
    keys = mh.band_keys(sig)
    return [Unit(i, group or f"n{i}", (1, 2), mh._numpy().unique(sh), keys[owner == i]) for i, sh in enumerate(shingles)]


def test_normalisation_ignores_quotes_list_markers_emphasis_markers_and_line_endings() -> None:
    plain = "- Scaling laws promised gains\n- Bigger models cost more\nThat is all"
    dressed = "* **Scaling** laws promised *gains*[1]\r\n+ Bigger models cost more [2, 3]\r\nThat is all."
    assert mh.words(plain) == mh.words(dressed) == mh.words(plain.upper())
    assert mh.words("東京は日本の首都") == ["東京は", "京は日", "は日本", "日本の", "本の首", "の首都"]  # character trigrams


def test_signature_rows_are_minhashes_of_the_whole_unit_or_of_its_half_overlapping_windows() -> None:
    """The vectorised signatures against a plain per-window MinHash."""
    np = mh._numpy()
    rng = random.Random(1)
    sizes = [3, 40, 89, 90, 91, 120, 121, 300, 1000]
    units = [mh.shingles([f"w{rng.randrange(300)}" for _ in range(n)]) for n in sizes]
    a, b = mh._PARAMS

    def minhash(x: Any) -> Any:
        return ((x.astype(np.uint64)[:, None] * a + b) >> np.uint64(32)).astype(np.uint32).min(axis=0)

    expected, owners = [], []
    half = mh.WINDOW // 2
    for u, sh in enumerate(units):
        if len(sh) <= mh.WINDOW + half:
            windows = [sh]
        else:
            cuts = list(range(0, len(sh) - half, half))
            windows = [sh[cuts[i]:cuts[i + 2] if i + 2 < len(cuts) else len(sh)] for i in range(len(cuts) - 1)]
        expected += [minhash(w) for w in windows]
        owners += [u] * len(windows)
    sig, owner = mh.signatures(units)
    assert np.array_equal(sig, np.array(expected)) and owner.tolist() == owners
    assert mh.shingles_many([["a", "b", "c", "d"], ["x"]])[0].tolist() == mh.shingles(["a", "b", "c", "d"]).tolist()


def test_a_lightly_edited_copy_is_found_and_same_topic_text_is_not() -> None:
    index = Index(0.7)
    index.build(_units(DRAFT, EDITED, SAME_TOPIC))
    assert set(index.pairs) == {(0, 1)}
    containment, jaccard = index.pairs[(0, 1)]
    assert 0.7 <= containment < 1.0 and jaccard < containment
    assert mh.overlap(*(u.shingles for u in _units(DRAFT, SAME_TOPIC)))[0] < 0.1  # the hard negative is far off


def test_an_excerpt_pasted_into_a_longer_section_is_found_by_containment() -> None:
    long_section = FILLER + SAME_TOPIC + " " + DRAFT + " " + CLOSING
    units = _units(DRAFT, long_section)
    assert len(units[1].rows) > 1  # the long one is indexed as windows
    index = Index(0.7)
    index.build(units)
    containment, jaccard = index.pairs[(0, 1)]
    assert containment == 1.0 and jaccard < 0.4


def test_units_of_one_group_that_overlap_are_never_paired() -> None:
    a, b = _units(DRAFT, DRAFT)
    index = Index(0.7)
    index.build([replace(a, group="n", span=(1, 20)), replace(b, group="n", span=(5, 9))])  # a section in its callout
    assert index.pairs == {}
    index.build([replace(a, group="n", span=(1, 4)), replace(b, group="n", span=(5, 9))])  # two callouts of one note
    assert set(index.pairs) == {(0, 1)}


def test_incremental_updates_end_where_a_fresh_build_does() -> None:
    rng = random.Random(5)
    vocab = [f"w{i}" for i in range(400)]
    texts = [" ".join(rng.choices(vocab, k=rng.randint(40, 160))) for _ in range(60)]
    texts += [t.replace(t.split()[3], "changed", 1) for t in texts[:15]]  # near copies
    live: dict[Any, str] = {(i, 0): t for i, t in enumerate(texts)}
    index = Index(0.7, resort_after=8)  # both lookups: sorted bands and the rows added since
    index.build(_keyed(live))
    for step in range(1, 26):
        removed = rng.sample(sorted(live), 3)
        added = {}
        for slot, _ in removed:
            if rng.random() < 0.8:  # edited (often into a copy of another unit); otherwise deleted
                src = live[rng.choice(sorted(live))]
                added[(slot, step)] = src if rng.random() < 0.5 else " ".join(rng.choices(vocab, k=80))
        for key in removed:
            del live[key]
        live.update(added)
        index.update(removed, _keyed(added))
        fresh = Index(0.7)
        fresh.build(_keyed(live))
        assert index.pairs == fresh.pairs, f"step {step}"
    assert index.pairs  # the comparison covered pairs, not only their absence


def _keyed(texts: dict[Any, str]) -> list[Unit]:
    keys = list(texts)
    units = _units(*(texts[k] for k in keys))
    return [replace(u, key=k, group=f"g{k[0]}") for u, k in zip(units, keys)]


# --- the pass through the CLI ----------------------------------------------------------------------

CHAT = f"""# Scaling chat

My question about scaling.

> [!ai]+ Draft
> Here is the revised draft.
>
> ## Where scaling stands
> {DRAFT}
"""

ARTICLE = f"""---
ai: true
title: Beyond scale
---
# Beyond scale

## Where scaling stands

{EDITED}

## Something else

{FILLER}
"""

OTHER_TOPIC = f"""---
ai: true
---
## An independent take

{SAME_TOPIC}
"""


def _dups(doc: dict[str, Any], path: str) -> list[dict[str, Any]]:
    return [f for f in by_path(doc)[path]["findings"] if f["kind"] == "duplicate-section"]


def _passes_layout(root: Path) -> None:
    """`layout = "passes"`: a Duplicates callout under each copied heading, as before the answer layout."""
    write_note(root, ".vaultkit.toml", '[vaultkit]\nlayout = "passes"\n')


@pytest.mark.parametrize("layout", ["answer", "passes"])
def test_the_pass_links_both_copies_and_rewrites_nothing_on_a_second_run(tmp_path: Path, vk: Vk, layout: str) -> None:
    root = tmp_path / "v"
    if layout == "passes":
        _passes_layout(root)
    write_note(root, "Chat.md", CHAT)
    write_note(root, "Reading/Beyond scale.md", ARTICLE)
    write_note(root, "Other.md", OTHER_TOPIC)
    before = snapshot(root)
    code, doc, err = run_json(vk, "run", root, "--offline", "--only", "duplicates")
    assert code == 0, err
    (chat,) = _dups(doc, "Chat.md")
    (article,) = _dups(doc, "Reading/Beyond scale.md")
    assert _dups(doc, "Other.md") == []
    assert chat["data"]["other"] == {"path": "Reading/Beyond scale.md", "line": 7, "heading": "Where scaling stands"}
    assert article["data"]["other"] == {"path": "Chat.md", "line": 8, "heading": "Where scaling stands"}
    assert chat["data"]["cluster"] == article["data"]["cluster"]
    assert 0.7 <= chat["data"]["similarity"] == article["data"]["similarity"] < 1
    assert chat["line"] == 8  # the heading inside the callout, in file lines
    text = (root / "Chat.md").read_text()
    assert 'vaultkit_duplicates_of: ["[[Reading/Beyond scale]]"]' in text
    article_text = (root / "Reading/Beyond scale.md").read_text()
    if layout == "passes":
        # under the heading, inside the AI callout, one level deeper
        assert "> ## Where scaling stands\n>\n> > [!vaultkit]- Duplicates" in text
        assert "> > - [[Reading/Beyond scale#Where scaling stands]]" in text
        assert "## Where scaling stands\n\n> [!vaultkit]- Duplicates" in article_text
        assert "[[Chat#Where scaling stands]]" in article_text
    else:
        # after the answer, nothing inside it: a box to tick per copy, the copied heading linked
        assert f"> {DRAFT}\n\n> [!vaultkit]- vaultkit — duplicate of 1 note %% vaultkit:answer" in text
        # one row per note repeated, each copy linked to the heading it opens, shown by its name
        assert ("\n> - [ ] Repeats [[Reading/Beyond scale]]: [[Reading/Beyond scale#Where scaling stands|Where "
                "scaling stands]] 88% similar %%vk:") in text
        assert article_text.count("[!vaultkit]") == 1 and "> ## " not in article_text
        assert "> - [ ] Repeats [[Chat]]: [[Chat#Where scaling stands|Where scaling stands]] 88% similar" in article_text
    after = snapshot(root)
    code, doc, _ = run_json(vk, "run", root, "--offline", "--only", "duplicates")
    assert code == 0 and not any(n["written"] for n in doc["notes"]) and snapshot(root) == after
    vk("clean", root)
    assert snapshot(root) == before


def test_an_edit_that_ends_the_copy_updates_both_notes(tmp_path: Path, vk: Vk) -> None:
    root = tmp_path / "v"
    write_note(root, "Chat.md", CHAT)
    write_note(root, "Beyond.md", ARTICLE)
    run_json(vk, "run", root, "--offline", "--only", "duplicates")
    (root / "Beyond.md").write_text(ARTICLE.replace(EDITED, SAME_TOPIC))
    code, doc, _ = run_json(vk, "run", root, "--offline", "--only", "duplicates")
    assert code == 0
    assert _dups(doc, "Chat.md") == [] and _dups(doc, "Beyond.md") == []
    assert by_path(doc)["Chat.md"]["written"]  # its callout and property went, though it did not change
    text = (root / "Chat.md").read_text()
    assert "[!vaultkit]- vaultkit — nothing flagged" in text and "Beyond" not in text and "duplicates_of" not in text


def test_two_callouts_of_one_note_answering_alike_are_paired(tmp_path: Path, vk: Vk) -> None:
    root = tmp_path / "v"
    write_note(root, "Twice.md", f"Are the citations correct?\n\n> [!ai]+ First\n> {DRAFT}\n\n"
                                 f"Again?\n\n> [!ai]+ Second\n> {EDITED}\n")
    code, doc, _ = run_json(vk, "run", root, "--offline", "--only", "duplicates")
    assert code == 0
    found = _dups(doc, "Twice.md")
    assert sorted((f["line"], f["data"]["other"]["line"]) for f in found) == [(3, 8), (8, 3)]
    assert all(f["data"]["other"]["path"] == "Twice.md" for f in found)
    text = (root / "Twice.md").read_text()
    lines = text.split("\n")
    first, second = (lines.index(f"> [!ai]+ {title}") + 1 for title in ("First", "Second"))
    assert (first, second) != (3, 8)  # (vaultkit's block above moved the second one down)
    # callouts without headings: named by line, the line of the file as written
    assert f"Repeats this note: the whole answer (line {second}) 88% similar" in text
    assert f"Repeats this note: the whole answer (line {first}) 88% similar" in text
    assert "vaultkit_duplicates_of" not in text  # no other note


def test_short_sections_are_ignored_and_min_words_is_an_option(tmp_path: Path, vk: Vk) -> None:
    root = tmp_path / "v"
    short = "Scaling laws promised that bigger models trained on more data would keep getting better."
    write_note(root, "A.md", f"> [!ai]+ A\n> {short}\n")
    write_note(root, "B.md", f"> [!ai]+ B\n> {short}\n")
    code, doc, _ = run_json(vk, "run", root, "--offline", "--only", "duplicates")
    assert _dups(doc, "A.md") == []
    config = tmp_path / "c.toml"
    config.write_text("[passes.duplicates]\nmin_words = 10\n")
    code, doc, _ = run_json(vk, "run", root, "--offline", "--only", "duplicates", "--config", config)
    assert [f["data"]["similarity"] for f in _dups(doc, "A.md")] == [1.0]


@pytest.mark.parametrize("threshold", [0.5, 0.95])
def test_the_threshold_decides_what_is_reported(tmp_path: Path, vk: Vk, threshold: float) -> None:
    root = tmp_path / "v"
    write_note(root, "Chat.md", CHAT)
    write_note(root, "Beyond.md", ARTICLE)
    config = tmp_path / "c.toml"
    config.write_text(f"[passes.duplicates]\nthreshold = {threshold}\n")
    code, doc, _ = run_json(vk, "run", root, "--offline", "--only", "duplicates", "--config", config)
    assert bool(_dups(doc, "Chat.md")) is (threshold < 0.9)


def test_an_answer_pasted_into_a_persons_own_draft_is_found_and_human_pairs_are_not(tmp_path: Path, vk: Vk) -> None:
    """The seed case: an answer's revised draft reappears, edited and without `> `, in a clean note."""
    root = tmp_path / "v"
    write_note(root, "Chat.md", CHAT)
    draft = f"# My essay\n\nSome words of my own.\n\n## Where scaling stands\n\n{EDITED}\n\n## Next\n\nMore.\n"
    write_note(root, "Draft.md", draft)
    write_note(root, "Copy of draft.md", draft)  # a person's own copy of their own note: not vaultkit's business
    before = snapshot(root)
    code, doc, _ = run_json(vk, "run", root, "--offline", "--only", "duplicates")
    assert code == 0
    (mine,) = _dups(doc, "Draft.md")
    assert mine["data"]["other"] == {"path": "Chat.md", "line": 8, "heading": "Where scaling stands"}
    assert sorted(f["data"]["other"]["path"] for f in _dups(doc, "Chat.md")) == ["Copy of draft.md", "Draft.md"]
    text = (root / "Draft.md").read_text()
    assert text.startswith('---\nvaultkit_frontmatter: created\nvaultkit_duplicates_of: ["[[Chat]]"]\n---\n# My essay')
    assert "[!vaultkit]" not in text  # a person's own note gets the property, never a callout
    assert "Copy of draft" not in text  # the human-human pair is left out
    chat = (root / "Chat.md").read_text()
    assert "- [ ] Repeats [[Draft]]: [[Draft#Where scaling stands|Where scaling stands]] 88% similar" in chat

    vk("clean", root)
    assert snapshot(root) == before


def test_a_duplicated_lead_gets_its_callout_right_under_it(tmp_path: Path, vk: Vk) -> None:
    """Text before a note's first heading (or a note without headings) has no heading to sit under."""
    root = tmp_path / "v"
    _passes_layout(root)
    write_note(root, "A.md", f"---\nai: true\n---\n{DRAFT}\n")
    write_note(root, "B.md", f"---\nai: true\n---\n{EDITED}\n\n## Later\n\n{FILLER}\n")
    code, doc, _ = run_json(vk, "run", root, "--offline", "--only", "duplicates")
    assert code == 0 and [f["severity"] for f in by_path(doc)["B.md"]["findings"]] == ["warning"]
    b = (root / "B.md").read_text()
    assert b.index("> [!vaultkit]- Duplicates") < b.index("## Later")
    assert (root / "A.md").read_text().rstrip().endswith("— 88% similar")


def test_an_unchanged_vault_skips_the_vault_step_and_a_deletion_does_not(tmp_path: Path, vk: Vk,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from vaultkit_plugins.duplicates import DuplicatesPass

    calls: list[int] = []
    real = DuplicatesPass.combine
    monkeypatch.setattr(DuplicatesPass, "combine", lambda self, s, ctx: calls.append(len(s)) or real(self, s, ctx))
    root = tmp_path / "v"
    write_note(root, "Chat.md", CHAT)
    write_note(root, "Beyond.md", ARTICLE)
    run_json(vk, "run", root, "--offline", "--only", "duplicates")
    code, doc, _ = run_json(vk, "run", root, "--offline", "--only", "duplicates")
    assert calls == [2] and len(_dups(doc, "Chat.md")) == 1  # the second run took the stored results
    (root / "Beyond.md").unlink()
    code, doc, _ = run_json(vk, "run", root, "--offline", "--only", "duplicates")
    assert calls == [2, 1] and _dups(doc, "Chat.md") == [] and by_path(doc)["Chat.md"]["written"]
    assert "[!vaultkit]- vaultkit — nothing flagged" in (root / "Chat.md").read_text()


def test_a_long_running_pass_gives_what_a_fresh_one_gives_after_every_change() -> None:
    """The daemon keeps one pass: after each note's change, its (partly recomputed) results must be
    exactly a fresh pass's, clusters and all."""
    from support import note_of
    from vaultkit_plugins.duplicates import DuplicatesPass

    class Ctx:
        options: dict[str, Any] = {}
        dismissed: frozenset[str] = frozenset()
        layout = "answer"


    def summary(text: str) -> Any:
        return DuplicatesPass().analyze(note_of(f"# Note\n\n> [!ai]+ Answer\n> {text}\n"), Ctx()).summary  # type: ignore[arg-type]

    bodies = [DRAFT, EDITED, SAME_TOPIC, FILLER * 2, CLOSING, DRAFT + " " + CLOSING]
    summaries = {f"n{i}.md": summary(b) for i, b in enumerate(bodies)}
    kept = DuplicatesPass()
    kept.combine(summaries, Ctx())  # type: ignore[arg-type]
    rng = random.Random(5)
    for _ in range(25):
        path = f"n{rng.randrange(8)}.md"
        if rng.random() < 0.2:
            summaries.pop(path, None)
        else:
            summaries[path] = summary(rng.choice(bodies) + (" Extra words here." if rng.random() < 0.5 else ""))
        assert kept.combine(dict(summaries), Ctx()) == DuplicatesPass().combine(dict(summaries), Ctx())  # type: ignore[arg-type]


@given(st.lists(st.integers(0, 2**32 - 1), max_size=200))
def test_distinct_is_numpys_unique(values: list[int]) -> None:
    """`distinct` stands in for `np.unique` (which imports numpy.ma at each hook start)."""
    import numpy as np

    a = np.array(values, dtype=np.uint32)
    assert distinct(a).tolist() == np.unique(a).tolist()
    assert distinct(a).dtype == a.dtype


def _vault_of_copies(root: Path) -> None:
    """Notes that share sections (exact and edited copies), a human note holding a pasted copy, and
    filler notes enough that a hook's lookup has a vault to skip."""
    bodies = {"a.md": DRAFT, "b.md": EDITED, "c.md": SAME_TOPIC, "d.md": DRAFT + "\n>\n> " + CLOSING,
              "e.md": CLOSING}
    for rel, body in bodies.items():
        write_note(root, rel, f"# {rel}\n\n> [!ai]+ Answer\n> {body}\n")
    write_note(root, "human.md", f"# Mine\n\n## Pasted\n\n{DRAFT}\n")
    for i in range(30):
        write_note(root, f"filler/f{i}.md", f"# Filler {i}\n\n## Part\n\nNote {i} says: {FILLER} Number {i * 7919}.\n")


def _hook(vk: Vk, root: Path, rel: str) -> tuple[list[Any], bytes]:
    """`run --file` on one note: its findings (clusters and all) and its bytes afterwards."""
    code, doc, err = run_json(vk, "run", root, "--file", root / rel, "--offline")
    assert code == 0, err
    return by_path(doc)[rel]["findings"], (root / rel).read_bytes()


@given(st.lists(st.tuples(st.sampled_from(["a.md", "b.md", "c.md", "d.md", "e.md", "human.md", "filler/f3.md"]),
                          st.sampled_from(["hook", "edit-other", "delete-other", "paste"])), min_size=1, max_size=5))
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_a_hook_reading_the_saved_index_writes_what_a_hook_rebuilding_it_writes(
        vk: Vk, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch,
        steps: list[tuple[str, str]]) -> None:
    """The index a full run saves stands in for rebuilding it from every note's summary: after any
    edits (the hook's note, other notes changed or deleted on disk since), a hook writes the same
    bytes with it as without it."""
    base = tmp_path_factory.mktemp("hooked")
    with_index, without = base / "with", base / "without"
    for root in (with_index, without):
        _vault_of_copies(root)
        monkeypatch.setenv("VAULTKIT_CACHE_DIR", str(base / f"cache-{root.name}"))
        code, _, err = vk("run", root, "--offline")
        assert code == 0, err
    from vaultkit.cache import Cache, cache_path

    hooked: list[Any] = []
    for i, (rel, step) in enumerate(steps):
        for root in (with_index, without):
            monkeypatch.setenv("VAULTKIT_CACHE_DIR", str(base / f"cache-{root.name}"))
            if root is without:  # no saved index: the pass rebuilds it from the summaries
                cache = Cache(cache_path(root))
                assert cache.db is not None
                cache.db.execute("DELETE FROM states")
                cache.close()
            other = root / ("e.md" if rel != "e.md" else "c.md")
            if step == "edit-other" and other.exists():
                other.write_text(other.read_text(encoding="utf-8") + f"\n> {DRAFT} Edit {i}.\n", encoding="utf-8")
            elif step == "delete-other" and other.exists():
                other.unlink()
            elif step == "paste" and (root / rel).exists():
                (root / rel).write_text((root / rel).read_text(encoding="utf-8") + f"\n> [!ai]+ More\n> {CLOSING}\n",
                                        encoding="utf-8")
            hooked.append(_hook(vk, root, rel) if (root / rel).exists() else None)
        assert hooked[-1] == hooked[-2]
        assert snapshot(with_index) == snapshot(without)


def test_a_hook_in_a_big_vault_reads_only_the_summaries_it_needs(
        vk: Vk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No vault-wide work for one note: with the index a full run saved, the hook reads the summaries
    of the note's candidates alone, and still links the copy in another note."""
    from vaultkit.cache import Cache

    _vault_of_copies(tmp_path)
    code, _, err = vk("run", tmp_path, "--offline")
    assert code == 0, err
    asked: list[list[str] | None] = []
    real = Cache.summaries

    def counting(self: Cache, name: str, fingerprint: str, paths: Any = None) -> dict[str, Any]:
        asked.append(None if paths is None else list(paths))
        return real(self, name, fingerprint, paths)

    monkeypatch.setattr(Cache, "summaries", counting)
    note = tmp_path / "b.md"
    note.write_text(note.read_text(encoding="utf-8").replace("larger models", "much larger models"), encoding="utf-8")
    out = _hook(vk, tmp_path, "b.md")[1].decode("utf-8")
    assert "[[a]]" in out and "[[human]]" in out  # the copies elsewhere are still found
    assert None not in asked  # never every note's summaries
    read = {p for paths in asked if paths for p in paths}
    assert read and not any(p.startswith("filler/") for p in read) and len(read) <= 5


@pytest.mark.parametrize("deleted, kept", [(EDITED, DRAFT), (DRAFT, EDITED)])
def test_a_note_deleted_since_the_index_was_saved_is_in_no_pair_or_cluster_of_the_hook(
        vk: Vk, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch, deleted: str, kept: str) -> None:
    """z pairs with y in the saved index; z is deleted, then a hook on x (a copy of y) must name the
    cluster as a rebuild does, without z (whichever of the two texts names it)."""
    from vaultkit.cache import Cache, cache_path

    out = []
    for use_index in (True, False):
        root = tmp_path_factory.mktemp("vault")
        monkeypatch.setenv("VAULTKIT_CACHE_DIR", str(root.parent / f"cache-{root.name}"))
        write_note(root, "y.md", f"# Y\n\n> [!ai]+ Answer\n> {kept}\n")
        write_note(root, "z.md", f"# Z\n\n> [!ai]+ Answer\n> {deleted}\n")
        write_note(root, "x.md", "# X\n\nNothing yet.\n")
        assert vk("run", root, "--offline")[0] == 0
        (root / "z.md").unlink()
        (root / "x.md").write_text(f"# X\n\n> [!ai]+ Answer\n> {kept}\n", encoding="utf-8")
        if not use_index:
            cache = Cache(cache_path(root))
            assert cache.db is not None
            cache.db.execute("DELETE FROM states")
            cache.close()
        code, doc, err = run_json(vk, "run", root, "--file", root / "x.md", "--offline")
        assert code == 0, err
        out.append((by_path(doc)["x.md"]["findings"], (root / "x.md").read_bytes()))
    assert out[0] == out[1]
    clusters = {f["data"]["cluster"] for f in out[0][0] if f["kind"] == "duplicate-section"}
    assert len(clusters) == 1 and b"[[y]]" in out[0][1] and b"[[z]]" not in out[0][1]


def test_a_snapshot_reads_back_what_it_saved_and_finds_a_copy_by_its_band_keys() -> None:
    from vaultkit_plugins.duplicates._snapshot import Snapshot

    np = mh._numpy()
    texts = [DRAFT, EDITED, SAME_TOPIC, CLOSING]
    shingles = [mh.shingles(mh.words(t)) for t in texts]
    sig, owner = mh.signatures(shingles)
    keys = mh.band_keys(sig)
    units = [Unit((f"h{i}", f"n{i}.md", 3), f"n{i}.md", (3, 4), distinct(sh), keys[owner == i])
             for i, sh in enumerate(shingles)]
    index = Index(0.7)
    index.build(units)
    rows = {u.key: (u.group, ["callout", 3, 4, "", "t", "", u.key[0], "sig", "sh"]) for u in units}  # type: ignore[index]
    snap = Snapshot.of(index, {f"n{i}.md": f"d{i}" for i in range(5)}, rows)
    back = Snapshot.from_bytes(snap.to_bytes())
    assert back is not None and Snapshot.from_bytes(b"something else") is None
    whole = snap.to_bytes()
    assert Snapshot.from_bytes(whole[:-5]) is None and Snapshot.from_bytes(whole[:60]) is None  # damaged: not used
    assert back.digests == snap.digests and back.paths == snap.paths and back.rows == snap.rows
    for name in Snapshot._ARRAYS:
        assert np.array_equal(getattr(back, name), getattr(snap, name))
    assert set(back.rows) == {0, 1}  # DRAFT and EDITED pair; their rows are kept, less shingles
    assert back.rows[0][-1] == "h0" and back.links(set(), [0]) == index.links and back.links({0}, [1]) == {} and back.links(set(), [2]) == {}
    probe = keys[owner == 1]
    assert {back.key(i) for i in back.lookup(probe)} >= {("h0", "n0.md", 3), ("h1", "n1.md", 3)}


def test_the_written_out_constants_are_the_draws_they_name() -> None:
    """MinHash's and the word hash's constants were drawn once from numpy.random and written out
    (importing it cost every hook 9 ms): a wrong digit changes every signature."""
    import numpy as np

    from vaultkit_plugins.duplicates import _constants
    from vaultkit_plugins.summaries._constants import WORD_MULTIPLIERS
    from vaultkit_plugins.text.arrays import array

    rng = np.random.default_rng(20261123)
    a = rng.integers(1, 2**63, size=mh.PERMS, dtype=np.uint64) | np.uint64(1)
    b = rng.integers(0, 2**63, size=mh.PERMS, dtype=np.uint64)
    words = np.random.default_rng(20261125).integers(1, 2**63, size=66, dtype=np.uint64) | np.uint64(1)
    assert np.array_equal(array(_constants.MINHASH_A), a)
    assert np.array_equal(array(_constants.MINHASH_B), b)
    assert np.array_equal(array(WORD_MULTIPLIERS), words)
    mh._numpy()
    assert np.array_equal(mh._PARAMS[0], a) and mh._PARAMS[0].dtype == np.uint64


def test_a_hook_on_many_notes_still_pairs_them_with_the_rest_of_the_vault(vk: Vk, tmp_path: Path) -> None:
    """Over 64 `--file`s a run sweeps and writes at once; the notes not named are still read (as
    cached) for the vault step."""
    write_note(tmp_path, "a.md", f"# A\n\n> [!ai]+ Answer\n> {DRAFT}\n")
    files = [write_note(tmp_path, f"f/f{i}.md", f"# F{i}\n\nNote {i}: {FILLER} Number {i * 7919}.\n") for i in range(70)]
    assert vk("run", tmp_path, "--offline")[0] == 0
    for i, f in enumerate(files):  # every one changed: more than 64 to process
        f.write_text(f.read_text(encoding="utf-8") + f"\nEdited {i}.\n", encoding="utf-8")
    files[0].write_text(f"# F0\n\n> [!ai]+ Answer\n> {EDITED}\n", encoding="utf-8")
    code, _, err = vk("run", tmp_path, "--offline", *[a for f in files for a in ("--file", f)])
    assert code == 0, err
    assert "[[a]]" in files[0].read_text(encoding="utf-8")


def test_a_damaged_saved_index_is_rebuilt_not_trusted(vk: Vk, tmp_path_factory: pytest.TempPathFactory,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from vaultkit.cache import Cache, cache_path

    out = []
    for damage in (False, True):
        root = tmp_path_factory.mktemp("vault")
        monkeypatch.setenv("VAULTKIT_CACHE_DIR", str(root.parent / f"cache-{root.name}"))
        _vault_of_copies(root)
        assert vk("run", root, "--offline")[0] == 0
        if damage:
            cache = Cache(cache_path(root))
            assert cache.db is not None
            cache.db.execute("UPDATE states SET value = substr(value, 1, 100)")
            cache.close()
        (root / "b.md").write_text((root / "b.md").read_text(encoding="utf-8").replace("larger", "much larger"),
                                   encoding="utf-8")
        out.append(_hook(vk, root, "b.md"))
    assert out[0] == out[1] and b"[[a]]" in out[1][1]


@settings(max_examples=50, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.integers(0, (1 << mh.HASH_BITS) - 1), max_size=300))
def test_kept_shingles_read_back_as_they_were(values: list[int]) -> None:
    from vaultkit_plugins.duplicates._units import pack, unpack

    np = mh._numpy()
    back = unpack(pack(np.array(values, dtype=np.uint32)))
    assert back.dtype == np.uint32 and back.tolist() == values
    assert len(pack(np.zeros(100, dtype=np.uint32))) == 400  # three bytes a shingle, in base64


def test_shingle_hashes_fit_the_bits_the_cache_keeps() -> None:
    hashes = mh.shingles(mh.words(DRAFT + " " + CLOSING))
    assert int(hashes.max()) < 1 << mh.HASH_BITS and len(distinct(hashes)) == len(hashes)  # no chance meetings here


def test_band_keys_read_back_from_a_saved_index_find_the_pairs_a_fresh_build_finds() -> None:
    """A full build takes an unchanged note's band keys from the index the last one saved: per band
    the same keys (a unit's windows may come back re-paired across bands, which LSH never compares)."""
    from vaultkit_plugins.duplicates._snapshot import Snapshot

    np = mh._numpy()
    texts = [DRAFT, EDITED, SAME_TOPIC, FILLER + SAME_TOPIC + " " + DRAFT + " " + CLOSING, CLOSING]
    shingles = [mh.shingles(mh.words(t)) for t in texts]
    sig, owner = mh.signatures(shingles)
    keys = mh.band_keys(sig)
    units = [Unit((f"h{i}", f"n{i}.md", 3), f"n{i}.md", (3, 4), sh, keys[owner == i]) for i, sh in enumerate(shingles)]
    assert len(units[3].rows) > 2  # windows: several rows to re-pair
    index = Index(0.7)
    index.build(units)
    snap = Snapshot.from_bytes(Snapshot.of(index, {u.group: "d" for u in units}, {}).to_bytes())
    assert snap is not None
    saved = snap.band_rows()
    assert set(saved) == {u.group for u in units}
    for u in units:
        back = saved[u.group][u.key]  # type: ignore[index]
        assert back.shape == u.rows.shape
        assert all(sorted(back[:, b].tolist()) == sorted(u.rows[:, b].tolist()) for b in range(mh.BANDS))
    again = Index(0.7)
    again.build([replace(u, rows=saved[u.group][u.key]) for u in units])  # type: ignore[index]
    assert again.pairs == index.pairs and len(index.pairs) >= 2  # the edited copy, and the excerpt in the long one


def test_a_run_after_an_edit_reads_unchanged_notes_band_keys_from_the_saved_index_and_agrees_with_a_fresh_cache(
        vk: Vk, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    out = []
    for fresh in (False, True):
        root = tmp_path_factory.mktemp("vault")
        monkeypatch.setenv("VAULTKIT_CACHE_DIR", str(root.parent / f"cache-{root.name}"))
        write_note(root, "a.md", f"# A\n\n> [!ai]+ Answer\n> {DRAFT}\n\n## Later\n\n{FILLER} {CLOSING}\n")
        write_note(root, "b.md", f"# B\n\n> [!ai]+ Answer\n> {SAME_TOPIC}\n")
        write_note(root, "c.md", f"# C\n\n{CLOSING} {FILLER}\n")
        if not fresh:
            assert vk("run", root, "--offline")[0] == 0
        (root / "b.md").write_text(f"# B\n\n> [!ai]+ Answer\n> {EDITED}\n", encoding="utf-8")
        made: list[int] = []
        real = mh.signatures
        monkeypatch.setattr(mh, "signatures", lambda units, *a, **k: (made.append(len(units)), real(units, *a, **k))[1])
        code, doc, err = run_json(vk, "run", root, "--offline")
        monkeypatch.setattr(mh, "signatures", real)
        assert code == 0, err
        out.append(({p: [f for f in n["findings"] if f["pass"] == "duplicates"] for p, n in by_path(doc).items()},
                    {p: (root / p).read_bytes() for p in ("a.md", "b.md", "c.md")}, made))
    (found, files, made), (found_fresh, files_fresh, made_fresh) = out
    assert found == found_fresh and files == files_fresh
    assert any(found.values()) and b"[[a]]" in files["b.md"]
    assert made == [2] and sum(made_fresh) > 4  # b's two units (its section and its callout) only
