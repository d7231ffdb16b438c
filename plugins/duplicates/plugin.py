"""`duplicates`: sections and callouts of AI text that repeat across the vault, exactly or lightly edited.

Each note's analysis keeps, per unit of at least `min_words` words, its shingles and the LSH band
keys of its MinHash signature in the pass's summary (cached with the note, so an unchanged note is never re-read);
the vault step pairs units through LSH banding and an exact containment check, and links every
member of a pair to the other copies. The person's own sections are units too (an answer pasted
into a clean draft is still a copy), but a pair needs AI text on at least one side.
"""

from __future__ import annotations

import hashlib
from typing import Any, Callable, Hashable, Mapping, NamedTuple, Sequence

from vaultkit import Context, Display, Finding, Note, PassResult, line_ref, task

from vaultkit_plugins.text.headings import heading_paths, link_name, note_link
from vaultkit_plugins.text.quoting import plain, quote

from vaultkit_plugins.text.units import units

from . import _minhash as mh
from ._index import Index, Unit
from ._snapshot import Snapshot
from ._units import Key, pack, units as _units
from ._units import key as _key

OPTIONS = {"threshold": 0.7, "min_words": 40, "max_links": 10}


class DuplicatesPass:
    """Finds sections and callouts repeated across the vault; links each copy to the others."""

    version = "4"
    featured_properties = ("of",)  # what the Properties panel shows by default
    options = OPTIONS
    every_note = True  # a person's own note can hold a pasted copy of an answer

    def __init__(self) -> None:
        self._index: Index | None = None
        self._seen: dict[str, Any] = {}  # the summaries the index holds, by note
        self._rows: dict[Key, tuple[str, list[Any]]] = {}  # every unit's note and row, by key
        self._out: dict[str, PassResult] = {}  # the last results, by note
        self._max_links = 0
        self._answer = True

    def analyze(self, note: Note, ctx: Context) -> PassResult:
        """Shingles and band keys of the note's units, kept for the vault step; no findings of its own."""
        min_words = int(ctx.options.get("min_words", OPTIONS["min_words"]))
        kept: list[tuple[Any, list[str]]] = []
        for unit in units(note, everything=True):
            words = mh.words(unit.text)
            if len(words) >= min_words:
                kept.append((unit, words))
        if not kept:
            return PassResult(summary={"units": [], "dismissed": sorted(ctx.dismissed)} if ctx.dismissed else None)
        shingles = mh.shingles_many([words for _, words in kept])
        rows: list[Any] = []
        paths = heading_paths(note) if any(unit.kind == "section" for unit, _ in kept) else {}
        for (unit, words), sh in zip(kept, shingles):
            rows.append([unit.kind, unit.line, unit.end_line, unit.heading, unit.target.id if unit.target else None,
                         unit.anchor, _hash(words), pack(sh), paths.get(unit.line, "") if unit.kind == "section" else ""])
        # (what the person ticked off: the vault step leaves it out of the note's headline and property)
        return PassResult(summary={"units": rows, **({"dismissed": sorted(ctx.dismissed)} if ctx.dismissed else {})})

    def headline(self, findings: Sequence[Finding], dismissed: Sequence[Finding] = ()) -> str:
        """"duplicate of 2 notes", or "repeats itself" where every copy is in the same note."""
        notes = {f.data["other"]["path"] for f in findings if not f.data.get("here")}
        words = [f"duplicate of {len(notes)} note{'s' if len(notes) != 1 else ''}"] if notes else []
        if any(f.data.get("here") for f in findings):
            words.append("repeats this note")
        return ", ".join(words)

    def combine(self, summaries: Mapping[str, Any], ctx: Context) -> Mapping[str, PassResult]:
        """Pair the units of every note (incrementally after the first call) and report each pair."""
        threshold = float(ctx.options.get("threshold", OPTIONS["threshold"]))
        max_links = int(ctx.options.get("max_links", OPTIONS["max_links"]))
        how = _How(getattr(ctx, "layout", "answer") == "answer", lambda p: _dismissed(summaries.get(p)))
        store = getattr(ctx, "store", None)
        if self._index is None and getattr(summaries, "wanted", None) is not None and store is not None:
            quick = self._from_snapshot(summaries, store, threshold, max_links, how)
            if quick is not None:
                return quick
        index, seen = self._index, self._seen
        # A daemon's summaries are mostly the very objects of the last call: an identity check each,
        # and rows compared only where it fails (a save, or a cached run's equal copies).
        changed = [p for p, s in summaries.items() if s is not seen.get(p) and s != seen.get(p)]
        changed += seen.keys() - summaries.keys()
        if (index is None or index.threshold != threshold or max_links != self._max_links or how.answer != self._answer
                or len(changed) > max(16, len(summaries) // 10)):
            index = Index(threshold)
            index.build(_units(((path, _rows(s)) for path, s in summaries.items()), _saved(summaries, store)))
            self._rows = {_key(path, row): (path, row) for path, s in summaries.items() for row in _rows(s)}
            self._out = _results(index, self._rows, max_links, list(index.links), how)
            digests = getattr(summaries, "digests", None)
            if store is not None and digests is not None:  # for later hooks: see `_from_snapshot`
                store.save("index", Snapshot.of(index, digests, self._rows).to_bytes())
        elif changed:
            # Only the notes whose pairs or clusters the change touches get new results (a save in a
            # big vault must not cost a pass over every unit).
            old = [key for p in changed for key in _keys(p, _rows(seen.get(p)))]
            touched = _component(index, old)
            index.update(old, _units((p, _rows(summaries.get(p))) for p in changed))
            for key in old:
                self._rows.pop(key, None)
            for p in changed:
                self._rows.update((_key(p, row), (p, row)) for row in _rows(summaries.get(p)))
            touched |= _component(index, [key for p in changed for key in _keys(p, _rows(summaries.get(p)))])
            paths = set(changed) | {key[1] for key in touched}
            keys = [_key(p, row) for p in paths for row in _rows(summaries.get(p))]
            fresh = _results(index, self._rows, max_links, keys, how)
            for p in paths:
                if p in fresh:
                    self._out[p] = fresh[p]
                else:
                    self._out.pop(p, None)
        self._index, self._seen, self._max_links, self._answer = index, dict(summaries), max_links, how.answer
        return dict(self._out)

    def _from_snapshot(self, summaries: Any, store: Any, threshold: float, max_links: int, how: _How
                       ) -> Mapping[str, PassResult] | None:
        """An editor hook's vault step: the pairs of the notes it wants, from the index the last full
        build saved, reading only the changed notes' and the candidates' summaries. None where there
        is no such index, or too much changed since it was saved (the caller builds one)."""
        data = store.load("index")
        snap = Snapshot.from_bytes(data) if data else None
        if snap is None or snap.threshold != threshold:
            return None
        digests: Mapping[str, str] = summaries.digests
        changed = set(summaries.changed) | (snap.digests.keys() - digests.keys())
        changed |= {p for p, d in digests.items() if not d or snap.digests.get(p) != d}
        if len(changed) > max(16, len(digests) // 10):
            return None
        np = mh._numpy()
        summaries.read(changed)
        touched = np.zeros(len(snap.paths), dtype=bool)
        touched[[i for i, p in enumerate(snap.paths) if p in changed or p in summaries.wanted]] = True
        mine = touched[snap.unit_path]  # the units of changed notes (gone) and of wanted ones
        gone = {i for i in np.nonzero(mine)[0].tolist() if snap.paths[int(snap.unit_path[i])] in changed}
        rows: dict[Key, tuple[str, list[Any]]] = {
            snap.key(i): (snap.paths[int(snap.unit_path[i])], row) for i, row in snap.rows.items() if i not in gone}
        added = _units((p, _rows(summaries.get(p))) for p in sorted(changed))
        near: list[Unit] = []
        number: dict[Key, int] = {}
        if added:
            found = snap.lookup(np.concatenate([u.rows for u in added])) - gone
            number = {snap.key(i): i for i in found}
            paths = sorted({k[1] for k in number})
            summaries.read(paths)
            # (their band keys made again from their shingles: a few units, where taking them out of
            # the saved index would sort all of its keys)
            near = _units((p, [r for r in _rows(summaries.get(p)) if _key(p, r) in number]) for p in paths)
        for p in {*changed, *summaries.wanted, *(u.group for u in near)}:
            rows.update((_key(p, row), (p, row)) for row in _rows(summaries.get(p)))
        index = Index(threshold)
        index.build(near)
        index.update([], added)
        # The saved pairs that can matter: those reached from the wanted notes' units, or from the
        # candidates the changed notes now pair with (a cluster is named by its smallest key).
        seeds = [number[k] for k in index.links if k in number] + (np.nonzero(mine)[0].tolist())
        for a, others in snap.links(gone, seeds).items():
            index.links.setdefault(a, {}).update(others)
        keys = [_key(p, row) for p in summaries.wanted for row in _rows(summaries.get(p))]
        # Notes deleted since the index was saved leave its pairs (and clusters) here, not in a rebuild.
        reach = _component(index, keys)
        summaries.read({key[1] for key in reach})
        for dead in [key for key in reach if key[1] not in summaries]:
            for other in index.links.pop(dead, {}):
                index.links.get(other, {}).pop(dead, None)
        return {p: r for p, r in _results(index, rows, max_links, keys, how).items() if p in summaries.wanted}


class _How(NamedTuple):
    """How a note's results are written: as sections of its answers' callouts, and what it dismissed."""

    answer: bool
    dismissed: Callable[[str], frozenset[str]]


def _dismissed(summary: Any) -> frozenset[str]:
    return frozenset(summary.get("dismissed", ())) if isinstance(summary, dict) else frozenset()


def _rows(summary: Any) -> list[Any]:
    """A note's unit rows from its summary (none for a note without one)."""
    return summary.get("units", []) if isinstance(summary, dict) else []


def _hash(words: list[str]) -> str:
    """The unit's text, normalised, as a short hash: equal hashes are exact copies."""
    return hashlib.blake2b(" ".join(words).encode("utf-8"), digest_size=6).hexdigest()


def _saved(summaries: Any, store: Any) -> Callable[[str], dict[Key, Any]] | None:
    """Band keys of the notes unchanged since the last full build, from the index it saved."""
    digests = getattr(summaries, "digests", None)
    if store is None or digests is None:
        return None
    data = store.load("index")
    snap = Snapshot.from_bytes(data) if data else None
    return _unchanged_keys(snap, digests) if snap is not None else None


def _unchanged_keys(snap: Snapshot, digests: Mapping[str, str]) -> Callable[[str], dict[Key, Any]]:
    """A note's units' band keys as `snap` holds them, where the note is as it was then (else none)."""
    rows: dict[str, dict[Key, Any]] | None = None

    def known(path: str) -> dict[Key, Any]:
        nonlocal rows
        made_from = digests.get(path)
        if not made_from or snap.digests.get(path) != made_from:
            return {}
        if rows is None:
            rows = snap.band_rows()
        return rows.get(path, {})
    return known


def _keys(path: str, rows: list[Any]) -> list[Key]:
    return [_key(path, row) for row in rows]


def _component(index: Index, keys: list[Key]) -> set[Any]:
    """Every unit linked to these, directly or through others (whose cluster ids they share)."""
    seen: set[Hashable] = set()
    todo: list[Hashable] = [k for k in keys if k in index.links]
    while todo:
        key = todo.pop()
        if key not in seen:
            seen.add(key)
            todo.extend(index.links.get(key, {}))
    return seen


def _results(index: Index, rows_by_key: Mapping[Any, tuple[str, list[Any]]], max_links: int,
             keys: list[Any], how: _How) -> dict[str, PassResult]:
    """The findings and callouts of the notes these units belong to (every unit of those notes)."""
    by_path: dict[str, list[tuple[list[Any], list[tuple[str, list[Any], float, float]], str]]] = {}
    for key in keys:
        if key not in rows_by_key or key not in index.links:
            continue
        path, row = rows_by_key[key]
        ai = row[4] is not None
        partners = [(rows_by_key[o][0], rows_by_key[o][1], c, j) for o, c, j in index.partners(key)
                    if o in rows_by_key and (ai or rows_by_key[o][1][4] is not None)  # one side is AI text
                    and not _explained(index, key, o, rows_by_key)][:max_links]
        if partners:
            cluster = str(index.cluster(key)[0])  # type: ignore[index]  # keys are `Key` tuples
            by_path.setdefault(path, []).append((row, partners, cluster))
    return {path: _note_result(path, found, how) for path, found in by_path.items()}



def _explained(index: Index, key: Hashable, other: Hashable, rows: Mapping[Any, tuple[str, list[Any]]]) -> bool:
    """A callout pairs with a section because a section inside it does: report the inner pair only."""
    for a, b in ((key, other), (other, key)):
        path, row = rows[a]
        for inner in index.links.get(b, {}):
            if inner != a and inner in rows:
                inner_path, inner_row = rows[inner]
                if inner_path == path and row[1] <= inner_row[1] and inner_row[2] <= row[2] and inner_row != row:
                    return True
    return False


def _note_result(path: str, found: list[tuple[list[Any], list[tuple[str, list[Any], float, float]], str]],
                 how: _How) -> PassResult:
    findings: list[Finding] = []
    displays: list[Display] = []
    notes: set[str] = set()
    dismissed = how.dismissed(path)
    # layout "answer": each answer's one row per note it repeats, naming every copy there once
    rows: dict[str, dict[str, tuple[Finding, list[str]]]] = {}
    for row, partners, cluster in sorted(found, key=lambda f: (f[0][1], f[0][2], f[0][0])):
        kind, line, end_line, heading, target_id, anchor = row[:6]
        copies: dict[str, list[str]] = {}  # one entry per note, naming each copy in it once
        listed: set[str] = set()
        for other_path, other, containment, jaccard in partners:
            name = f"«{other[3]}»" if other[3] else f"the {other[0]} at line {other[1]}"
            here = other_path == path
            # (what a reader ticks off is "this note repeats that one": every copy there shares the key)
            found_one = Finding(
                "duplicate-section", "warning", line, end_line,
                f"{_what(kind, heading)} repeats {name} in {'this note' if here else other_path} ({containment:.0%} similar)",
                {"other": {"path": other_path, "line": other[1], "heading": other[3]},
                 "similarity": round(containment, 3), "jaccard": round(jaccard, 3), "cluster": cluster, "here": here},
                about=other_path)
            findings.append(found_one)
            label = "exact copy" if jaccard >= 0.999 else f"{containment:.0%} similar"
            link = _link(other_path, other, path)
            if link not in listed:
                listed.add(link)
                copies.setdefault(other_path, []).append(f"{link} — {label}")
                if how.answer and target_id is not None:
                    mine = rows.setdefault(target_id, {}).setdefault(other_path, (found_one, []))
                    mine[1].append(_copy(kind, heading, other_path, other, path, label))
            if not here and (not dismissed or found_one.key not in dismissed):
                notes.add(other_path)
        if not how.answer:
            lines = [f"- {'; '.join(entries)}" for entries in copies.values()]
            displays.append(Display(target_id, "Also in:\n" + "\n".join(lines), "Duplicates", anchor))
    if how.answer:  # (a copy in the person's own text: in --json and the property only)
        displays = [Display(t, "\n".join(task(f, f"Repeats {_note(p, path)}: {', '.join(items)}")
                                         for p, (f, items) in by_note.items()), "Duplicates", section="duplicates")
                    for t, by_note in rows.items()]
    props: dict[str, Any] = {"of": [f"[[{note_link(p)}]]" for p in sorted(notes)]} if notes else {}
    return PassResult(tuple(findings), tuple(displays), props)


def _note(other_path: str, here: str) -> str:
    return "this note" if other_path == here else f"[[{note_link(other_path)}]]"


def _copy(kind: str, heading: str, path: str, other: list[Any], here: str, label: str) -> str:
    """One copy in a row of an answer's callout: the copy, linked where the link opens exactly it
    (shown by its heading), what of this answer it copies when that has another name, and how close."""
    own = "the whole answer" if kind == "callout" else (quote(heading) if heading else "the opening text")
    if other[0] == "section" and len(other) > 8 and other[8]:
        # (a link's alias ends at `]]` or `|`: a heading's name shown there goes as a link names it)
        shown = link_name(plain(other[3]))
        copy = f"[[{note_link(path) if path != here else ''}#{other[8]}|{shown}]]"
        if shown == link_name(plain(heading)):
            return f"{copy} {label}"
        return f"{own} ({copy}) {label}"
    elif path == here:
        shown, copy = "", f"line {line_ref(other[1])}"
    else:
        shown, copy = "", f"line {other[1]}"
    if shown == own:
        return f"{copy} {label}"
    return f"{own} ({copy}) {label}"


def _what(kind: str, heading: str) -> str:
    return f"section «{heading}»" if kind == "section" else ("this callout" if kind == "callout" else "this text")



def _link(path: str, row: list[Any], here: str) -> str:
    """`[[note#Heading]]`, or `[[note#Parent#Heading]]` for a repeated heading, each opening exactly
    that heading; a unit without one (or whose path is still ambiguous) gets its note and line (a
    line of the written file where the copy is in the note the callout is in)."""
    if row[0] == "section" and len(row) > 8 and row[8]:
        return f"[[{note_link(path)}#{row[8]}]]"
    if path == here:
        return f"line {line_ref(row[1])} of this note"
    return f"[[{note_link(path)}]] (line {row[1]})"

