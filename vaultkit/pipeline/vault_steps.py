"""Vault steps: every note's summary for each pass with a `combine` (fresh or from the cache),
the step itself, and each note written once with its results.

A few notes (a save, an editor hook) are collected first and then written; a big run writes as it
sweeps, with the results each note had last time, and redoes the few whose results changed.
"""

from __future__ import annotations

import json
import os
from functools import partial
from typing import Any, Callable, Iterable, Mapping, Sequence

from vaultkit.passes import PassResult, Registered, pass_error
from vaultkit.report import NoteReport
from vaultkit.vault import NoteFile

from .codec import finding_json, from_json, same_vault, vault_json
from .runner import Runner
from .summaries_view import Summaries
from .sweep import run_all


COLLECT_FIRST = 64  # up to this many notes to process, summaries are collected before anything is written


def with_vault_steps(runner: Runner, combiners: list[Registered], notes: Sequence[NoteFile],
                      known: Mapping[str, tuple[int, int, str, str]], unchanged: list[tuple[NoteFile, NoteReport]],
                      todo: list[NoteFile], vault_passes: list[Registered],
                      on_done: Callable[[NoteReport], None] | None
                      ) -> tuple[list[tuple[NoteFile, NoteReport]], list[tuple[NoteFile, NoteReport]]]:
    """Run with passes that have a vault step: every note's summary (cached or fresh), `combine`, and
    each note written with its vault results. Returns (processed, unchanged) notes with reports.

    A few notes (a save, an editor hook): their summaries are collected first (the block structure
    and pass results kept, so nothing is parsed or analysed twice), then each is written once. A big
    run: notes are processed and written at once with the vault results they had last time, and the
    few whose vault results changed are processed again, so the run stays one parallel sweep.
    Unchanged notes are redone only when their vault results changed.
    """
    names = [p.name for p in combiners]
    kept = runner.vault_summaries if runner.options.files else None
    digests: dict[str, str] = {}  # what each summary was made from (its note's human text, hashed)
    if kept is not None:  # a long-running process: the rest of the vault as the last save left it
        summaries = kept
        for name in names:
            for nf in notes:
                summaries.setdefault(name, {}).pop(nf.rel, None)
    else:
        summaries = {name: {} for name in names}
    # A report in the stat cache was made under this run's fingerprint (same passes, versions and
    # options), so its summaries are complete: a pass with nothing to keep of a note left none.
    hook = runner.options.files and kept is None  # a hook run on one note still sees the rest of the vault, as cached
    made_from = {name: runner.cache.summary_digests(name, runner.fingerprint) for name in names
                 } if unchanged or (hook and runner.entries is None) else {}
    if unchanged:
        few = [rep.path for _, rep in unchanged] if len(unchanged) <= COLLECT_FIRST else None
        for name in names:
            cached = runner.cache.summaries(name, runner.fingerprint, few)
            for _, rep in unchanged:
                if rep.path in cached:
                    summaries[name][rep.path] = cached[rep.path]
                    digests[rep.path] = made_from[name].get(rep.path, "")
    recorded: dict[str, dict[str, str]] = {}  # a hook's other notes: summaries read only if a pass asks
    covered = {nf.rel for nf in notes}
    if hook:
        if runner.entries is None:  # one process for one note
            for name in names:
                recorded[name] = {p: d for p, d in made_from[name].items() if p not in covered}
        else:  # a long-running process keeps them, brought up to date by each later save
            # (it drops deleted notes from `entries` itself: no stat per note)
            for name in names:
                cached = runner.cache.summaries(name, runner.fingerprint)
                summaries[name].update((rel, value) for rel, value in cached.items()
                                       if rel not in covered and rel in runner.entries)
            runner.vault_summaries = summaries
    if len(todo) <= COLLECT_FIRST:
        _collect(runner, todo, summaries, digests)
        runner.extras = _combine(runner, combiners, {name: _view(
            runner, name, summaries[name], digests, recorded.get(name), covered) for name in names})
        unchanged, redo = _split_by_vault(runner, unchanged)
        return run_all(runner, todo + [nf for nf, _ in redo], vault_passes, on_done), unchanged
    runner.extras = {nf.rel: _previous_vault(known[nf.rel]) for nf in todo if nf.rel in known}
    # A note with a block from such a pass but no record of its last vault results (no cache, or a
    # cache lost) might carry some: writing it now would take them out and put them back after.
    runner.hold = frozenset(names)
    runner.defer = True  # each note rendered, its write held until its vault results are known
    try:
        fresh = run_all(runner, todo, vault_passes, None)
    finally:
        runner.hold, runner.defer = frozenset(), False
    for nf, rep in fresh:
        digests[nf.rel] = rep.text_hash
        for name in names:
            if name in rep.summaries:
                summaries[name][nf.rel] = rep.summaries[name]
    swept = [nf.rel for nf, _ in fresh]
    runner.extras = _combine(runner, combiners, {name: _view(
        runner, name, summaries[name], digests, recorded.get(name), covered if name in recorded else swept)
        for name in names})
    for _, rep in fresh:  # the sweep ran before the vault step failed: its notes report that too
        if rep.targets and rep.status == "ok" and runner.vault_errors:
            rep.findings = [finding_json(f) for f in runner.vault_errors] + rep.findings
            rep.retry = True  # not kept in the stat cache: the next run tries the vault step again
    unchanged, redo = _split_by_vault(runner, unchanged)
    fresh, again = _split_by_vault(runner, fresh)
    for nf, rep in fresh:  # their vault results stand: the held write, the only one
        if rep.deferred is not None:
            runner.write(nf, rep, *rep.deferred, parts=1)  # (in this process: the whole bound)
        rep.deferred = None
        if on_done:
            on_done(rep)
    runner.flush()  # (the journal of what was just written, before the redo's time)
    # (the rest are rendered again with their vault results and written then: once)
    redone = run_all(runner, [nf for nf, _ in redo + again], vault_passes, on_done)
    runner.flush()
    return fresh + redone, unchanged


def _view(runner: Runner, name: str, values: Mapping[str, Any], digests: Mapping[str, str],
          recorded: Mapping[str, str] | None, changed: Iterable[str]) -> Summaries:
    """One pass's summaries for its vault step. A hook's (`recorded`: the other notes, by digest) are
    read from the cache only when the pass asks, and it wants results for its own notes alone."""
    if recorded is None:
        return Summaries(values, digests, changed=changed)
    vault = runner.vault
    made_from = {path: digests.get(path, "") for path in values}
    return Summaries(values, {**recorded, **made_from}, pending=recorded, changed=changed, wanted=changed,
                     load=partial(runner.cache.summaries, name, runner.fingerprint),
                     exists=lambda rel: os.path.isfile(vault / rel))


def _previous_vault(entry: tuple[int, int, str, str]) -> dict[str, PassResult]:
    """The vault results a note was written with last time (from its stat-cache report)."""
    out = {}
    for name, data in json.loads(entry[3]).get("vault_results", {}).items():
        try:
            out[name] = from_json(data)
        except (KeyError, TypeError, ValueError):
            continue  # an old or odd entry only costs a second write
    return out


def _collect(runner: Runner, todo: list[NoteFile], summaries: dict[str, dict[str, Any]],
             digests: dict[str, str]) -> None:
    """First phase for a few notes: summaries, with structures and results kept for the second."""
    collected = [(nf, runner.collect(nf)) for nf in todo]
    runner.flush()
    for nf, (text_hash, state, structure, found, results) in collected:
        if structure is not None:
            runner.structures[text_hash] = structure
        runner.memo.update(results)
        for name, summary in found.items():
            summaries[name][nf.rel] = summary
            digests[nf.rel] = state  # (what the summary was made from: the text, and what was ticked off)


def _combine(runner: Runner, combiners: list[Registered], summaries: Mapping[str, Summaries]
             ) -> dict[str, dict[str, PassResult]]:
    """Each vault step over every note's summary: results by note path, then pass."""
    extras: dict[str, dict[str, PassResult]] = {}
    for p in combiners:
        try:
            results = p.impl.combine(summaries[p.name], runner.context(p))
            for path, result in results.items():
                if not isinstance(result, PassResult):
                    raise TypeError(f"combine() returned {type(result).__name__} for {path}, not PassResult")
                extras.setdefault(path, {})[p.name] = result
        except (Exception, SystemExit) as exc:
            runner.vault_errors.append(pass_error(p, exc))
    return extras


def _split_by_vault(runner: Runner, done: list[tuple[NoteFile, NoteReport]]
                    ) -> tuple[list[tuple[NoteFile, NoteReport]], list[tuple[NoteFile, NoteReport]]]:
    """(current, to redo): notes whose vault results are what they were written with, and the rest."""
    keep: list[tuple[NoteFile, NoteReport]] = []
    redo: list[tuple[NoteFile, NoteReport]] = []
    for nf, rep in done:
        same = rep.status != "ok" or (not rep.held and same_vault(vault_json(runner.extras.get(nf.rel, {})),
                                                                   rep.vault_results))
        (keep if same else redo).append((nf, rep))
    return keep, redo
