"""`--jobs N`: process notes in worker processes; each worker has its own cache connection."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from typing import TYPE_CHECKING, Callable

from vaultkit.cache import Cache

if TYPE_CHECKING:
    from vaultkit.report import NoteReport
    from vaultkit.vault import NoteFile

    from .runner import Runner

_RUNNER: Runner | None = None
CHUNK = 64  # notes per task: few enough round trips, small enough for a steady progress bar


def _init(path: object, journal: object) -> None:
    assert _RUNNER is not None
    _RUNNER.cache = Cache(path)  # type: ignore[arg-type]  # SQLite connections must not cross a fork
    _RUNNER.journal = _RUNNER.cache if journal == path else Cache(journal)  # type: ignore[arg-type]


def _chunk(notes: list[NoteFile]) -> list[NoteReport]:
    assert _RUNNER is not None
    reports = [_RUNNER.process(nf) for nf in notes]
    _RUNNER.flush()
    _RUNNER.close()
    return reports


def run_parallel(runner: Runner, todo: list[NoteFile],
                 on_done: Callable[[NoteReport], None] | None) -> list[tuple[NoteFile, NoteReport]]:
    """Process notes in `runner.options.jobs` processes, keeping the input order.

    Needs the fork start method, so passes registered at runtime (tests) and what the
    runner holds (vault results) reach the workers; elsewhere it runs in this process.
    """
    global _RUNNER
    methods = multiprocessing.get_all_start_methods()
    if "fork" not in methods:  # passes injected at runtime would not reach spawned workers
        return [(nf, runner.process(nf)) for nf in todo]
    _RUNNER = runner
    ctx = multiprocessing.get_context("fork")
    out = []
    try:
        with ProcessPoolExecutor(runner.options.jobs, mp_context=ctx, initializer=_init,
                                 initargs=(runner.cache.path, runner.journal.path)) as pool:
            chunks = [todo[i : i + CHUNK] for i in range(0, len(todo), CHUNK)]
            for chunk, reports in zip(chunks, pool.map(_chunk, chunks)):
                for nf, rep in zip(chunk, reports):
                    out.append((nf, rep))
                    if on_done:
                        on_done(rep)
    finally:
        _RUNNER = None
    return out
