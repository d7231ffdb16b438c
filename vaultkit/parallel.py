"""`--jobs N`: process notes in worker processes; each worker has its own cache connection."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from typing import TYPE_CHECKING, Callable

from vaultkit.cache import Cache

if TYPE_CHECKING:
    from vaultkit.pipeline import NoteReport, Runner
    from vaultkit.vault import NoteFile

_RUNNER: Runner | None = None


def _init(path: object) -> None:
    assert _RUNNER is not None
    _RUNNER.cache = Cache(path)  # type: ignore[arg-type]  # SQLite connections must not cross a fork


def _one(nf: NoteFile) -> NoteReport:
    assert _RUNNER is not None
    return _RUNNER.process(nf)


def run_parallel(runner: Runner, todo: list[NoteFile],
                 on_done: Callable[[NoteReport], None] | None) -> list[tuple[NoteFile, NoteReport]]:
    """Fan notes out to `runner.options.jobs` processes, keeping the input order."""
    global _RUNNER
    methods = multiprocessing.get_all_start_methods()
    if "fork" not in methods:  # passes injected at runtime would not reach spawned workers
        return [(nf, runner.process(nf)) for nf in todo]
    _RUNNER = runner
    ctx = multiprocessing.get_context("fork")
    out = []
    try:
        with ProcessPoolExecutor(runner.options.jobs, mp_context=ctx, initializer=_init,
                                 initargs=(runner.cache.path,)) as pool:
            for nf, rep in zip(todo, pool.map(_one, todo, chunksize=32)):
                out.append((nf, rep))
                if on_done:
                    on_done(rep)
    finally:
        _RUNNER = None
    return out
