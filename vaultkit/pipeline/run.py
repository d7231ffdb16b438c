"""A run over notes: which ones changed since the stat cache saw them, then a sweep (with the vault
steps when a pass has one), then what to remember of each note for the next run."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

from vaultkit.config import Config
from vaultkit.errors import ConfigError
from vaultkit.report import NoteReport
from vaultkit.text import digest
from vaultkit.vault import NoteFile, printable, scan, skip_reason

from .runner import Runner, RunOptions
from .sweep import run_all
from .vault_steps import with_vault_steps


def files_for(vault: Path, config: Config, options: RunOptions, debris: list[Path] | None = None) -> list[NoteFile]:
    """The notes a run covers: --file paths, or the whole vault scan (which collects vaultkit's own
    temp files into `debris`, when given)."""
    if not options.files:
        return list(scan(vault, config.vaultkit.exclude, debris))
    out = []
    root = vault.resolve()
    for f in options.files:
        path = f if f.is_absolute() else (Path.cwd() / f)
        try:
            # where the note really is: a symlink out of the vault is refused like a path out of it
            real_rel = path.resolve().relative_to(root).as_posix()
        except ValueError:
            raise ConfigError(f"{f}: not inside the vault {vault} — pass the vault as VAULT") from None
        named = os.path.relpath(path.absolute(), vault.absolute()).replace(os.sep, "/")
        rel = printable(real_rel if named.startswith("../") else named)
        out.append(NoteFile(path, rel, skip_reason(rel, config.vaultkit.exclude)))
    return out


def iter_reports(runner: Runner, notes: Sequence[NoteFile],
                 on_done: Callable[[NoteReport], None] | None = None) -> list[NoteReport]:
    """Process notes in order, using the stat cache to skip unchanged ones."""
    vault_passes = [p for p in runner.passes if p.is_vault_pass]
    combiners = [p for p in runner.passes if p.combines] if runner.options.mode == "run" else []
    use_stat_cache = runner.options.use_cache and runner.options.mode == "run" and not vault_passes and not runner.options.diff
    if not use_stat_cache:
        known: Mapping[str, tuple[int, int, str, str]] = {}
    elif runner.entries is not None:  # a long-running process keeps the stat cache in memory
        known = runner.entries
    else:  # (an editor hook reads only its notes' entries: the rest of the vault is not looked at)
        known = runner.cache.note_entries(runner.fingerprint, [nf.rel for nf in notes] if runner.options.files else None)
    if runner.options.recheck:  # every note of the run is taken up, and its lookups asked again
        known = {}
    # An online run also takes up unchanged notes whose lookups are due for a re-check, a few a run.
    due = frozenset(runner.cache.due_notes(time.time(), runner.config.net.recheck_per_run)) \
        if known and not runner.options.offline and runner.online_names and not runner.options.files else frozenset()
    unchanged: list[tuple[NoteFile, NoteReport]] = []
    record: list[tuple[str, int, int, str, str, str]] = []
    summarized: list[tuple[str, str, dict[str, Any]]] = []
    todo: list[NoteFile] = []
    refresh: list[tuple[str, int, int, str, str, str]] = []
    for nf in notes:
        entry = known.get(nf.rel)
        if entry is not None and nf.rel not in due:
            try:
                st = os.stat(nf.path)
            except OSError:
                st = None
            same = st is not None and entry[0] == st.st_mtime_ns and entry[1] == st.st_size
            if st is not None and not same and entry[1] == st.st_size:
                try:  # modified too recently to trust its mtime: compare the bytes
                    same = digest(nf.path.read_bytes()) == entry[2]
                except OSError:
                    same = False
                if same:
                    refresh.append((nf.rel, st.st_mtime_ns, st.st_size, entry[2], runner.fingerprint, entry[3]))
            if same:
                unchanged.append((nf, _cached_report(entry[3])))
                continue
        todo.append(nf)
    # Vault steps over a whole vault where no note changed since the last one: their results stand.
    whole_vault = bool(combiners) and use_stat_cache and not runner.options.files
    state_key = f"vault-steps:{runner.fingerprint}"
    if whole_vault and not todo and runner.cache.get_meta(state_key) == _vault_state(
            (nf.rel, known[nf.rel][2]) for nf, _ in unchanged):
        fresh: list[tuple[NoteFile, NoteReport]] = []
    elif combiners:
        fresh, unchanged = with_vault_steps(runner, combiners, notes, known, unchanged, todo, vault_passes, on_done)
    else:
        fresh = run_all(runner, todo, vault_passes, on_done)
    reports = [rep for _, rep in unchanged]
    if on_done:
        for rep in reports:
            on_done(rep)
    for nf, rep in fresh:
        reports.append(rep)
        if (use_stat_cache and rep.status == "ok" and not rep.retry and not runner.provisional
                and (rep.written or not rep.changed)):
            try:
                st = os.stat(nf.path)
                keep = {k: v for k, v in rep.__dict__.items()
                        if k not in ("written", "changed", "diff", "cached", "summaries")}
                body = json.dumps({**keep, **(rep.cached or {})}, default=str)
                record.append((nf.rel, st.st_mtime_ns, st.st_size, rep.digest, runner.fingerprint, body))
                if combiners:
                    summarized.append((nf.rel, rep.text_hash, rep.summaries))
            except OSError:
                pass
    runner.flush()
    runner.cache.put_checks([(nf.rel, rep.due) for nf, rep in fresh if rep.due])
    # A due note that is gone, unreadable, or has nothing online to check any more: no longer due
    # (left in place, such rows would come first every run and crowd the live ones out).
    rescheduled = {nf.rel for nf, rep in fresh if rep.due}
    runner.cache.drop_checks(sorted(due - rescheduled))
    stored = runner.cache.put_notes(record + refresh)
    runner.cache.put_summaries(runner.fingerprint, summarized)
    if runner.entries is not None:
        runner.entries.update((path, (m, size, d, body)) for path, m, size, d, _, body in stored)
    if whole_vault:
        ok = [(r[0], r[3]) for r in record + refresh]
        recorded = {r[0] for r in record + refresh}
        ok += [(nf.rel, known[nf.rel][2]) for nf, rep in unchanged if nf.rel not in recorded]
        complete = len(ok) == len(notes) and not runner.vault_errors
        runner.cache.put_meta(state_key, _vault_state(ok) if complete else "")
    order = {nf.rel: i for i, nf in enumerate(notes)}
    reports.sort(key=lambda r: order.get(r.path, 0))
    return reports


def _vault_state(notes: Iterable[tuple[str, str]]) -> str:
    """Which notes, with which bytes, the vault steps last saw: equal states, equal vault results."""
    return digest(*sorted(f"{path}\0{text}" for path, text in notes))


_REPORT_FIELDS = frozenset(NoteReport.__dataclass_fields__)


def _cached_report(body: str) -> NoteReport:
    """A stat-cache report as a NoteReport (keys an older vaultkit wrote are dropped)."""
    data = {k: v for k, v in json.loads(body).items() if k in _REPORT_FIELDS}
    return NoteReport(**{**data, "written": False, "changed": False})
