"""`vaultkit watch`: a daemon beside a person who is typing — react to each saved note, once, after
the note has been quiet, and never fight the editor.

The loop: an incremental run over the vault, then file-system events (watchdog) into `Schedule`,
which says which notes are due; each due note is processed alone with the run's passes (vault
passes see the rest of the vault from the cache), written through the one writer, which re-checks
the bytes first. vaultkit's own writes come back as events and are recognised as echo.
"""

from __future__ import annotations

import gc
import os
import queue
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable, Sequence

from watchdog.events import FileSystemEventHandler  # (this module is loaded only by `vaultkit watch`)

from vaultkit.cache import Cache, cache_path
from vaultkit.config import Config
from vaultkit.lock import VaultLock
from vaultkit.passes import Registered
from vaultkit.pipeline import NoteReport, RunOptions, Runner, files_for, iter_reports
from vaultkit.schedule import Schedule

Log = Callable[[dict[str, Any]], None]
TICK = 0.25  # seconds between looks at the stop flag while nothing is due


class _Events(FileSystemEventHandler):
    """A watchdog handler that turns events into (kind, rel, dest) on a queue, vault-relative."""

    def __init__(self, root: Path, out: queue.Queue[tuple[str, str, str | None, bool]]) -> None:
        super().__init__()
        self.root = str(root.resolve())
        self.out = out

    def rel(self, path: Any) -> str | None:
        """The posix path inside the vault, or None for a path outside it."""
        text = os.fsdecode(path)
        real = os.path.abspath(text)
        if real != self.root and not real.startswith(self.root + os.sep):
            return None
        return os.path.relpath(real, self.root).replace(os.sep, "/")

    def dispatch(self, event: Any) -> None:
        kind = event.event_type
        src = self.rel(event.src_path)
        dest = self.rel(event.dest_path) if getattr(event, "dest_path", "") else None
        if src is None and dest is None:
            return
        self.out.put((kind, src or "", dest, bool(event.is_directory)))


def start_observer(root: Path, handler: _Events, polling: bool, log: Log) -> Any:
    """A running watchdog observer; falls back to polling when the OS refuses more watches."""
    from watchdog.observers import Observer
    from watchdog.observers.polling import PollingObserver

    observer = PollingObserver(timeout=0.5) if polling else Observer()
    observer.schedule(handler, str(root), recursive=True)
    try:
        observer.start()
        return observer
    except OSError as exc:  # inotify watch or instance limits
        log({"action": "polling", "why": f"the system refused to watch more files ({exc}) — polling instead; "
             "raise fs.inotify.max_user_watches, or pass --polling to choose this"})
        observer = PollingObserver(timeout=0.5)
        observer.schedule(handler, str(root), recursive=True)
        observer.start()
        return observer


def watch(root: Path, config: Config, passes: Sequence[Registered], options: RunOptions, *,
          quiet: float, polling: bool, log: Log, stop: threading.Event, installed: Sequence[str] = (),
          ready: threading.Event | None = None) -> None:
    """Watch the vault until `stop` is set; the note in flight is finished, nothing is left half done."""
    cache = Cache(cache_path(root) if options.use_cache else None)
    lock = VaultLock(cache_path(root).with_suffix(".lock"), root)
    with lock:
        log({"action": "watching", "why": f"{root.resolve()}, quiet {quiet:g} s, passes "
             + ", ".join(p.name for p in passes) + (", polling" if polling else "")})
        runner = Runner(root, config, passes, options, cache, installed)
        schedule = Schedule(quiet, config.vaultkit.exclude)
        try:
            started = time.monotonic()
            reports = iter_reports(runner, files_for(root, config, options))
            written = [r for r in reports if r.written]
            for r in written:
                _remember(schedule, root, r)
            # What the first run built (the vault passes' indexes, the stat cache's entries) lives as
            # long as the daemon: keep the collector from walking it on every full collection.
            gc.collect()
            gc.freeze()
            present = {r.path for r in reports}
            runner.entries = {rel: entry for rel, entry in cache.note_entries(runner.fingerprint).items()
                              if rel in present}  # kept up to date from here on
            log({"action": "started", "notes": len(reports), "written": len(written),
                 "ms": round((time.monotonic() - started) * 1000)})
            events: queue.Queue[tuple[str, str, str | None, bool]] = queue.Queue()
            observer = start_observer(root, _Events(root, events), polling, log)
            if ready is not None:
                ready.set()
            try:
                while not stop.is_set():
                    wake = schedule.wake_at()
                    wait = TICK if wake is None else min(TICK, max(0.0, wake - time.monotonic()))
                    try:
                        item = events.get(timeout=wait)
                        while True:
                            _take(schedule, root, item)
                            item = events.get_nowait()
                    except queue.Empty:
                        pass
                    for rel in schedule.take_removed():
                        runner.entries.pop(rel, None)
                        for kept in (runner.vault_summaries or {}).values():
                            kept.pop(rel, None)
                    for rel in schedule.due(time.monotonic()):
                        if stop.is_set():
                            break
                        _process(runner, options, root, rel, schedule, log)
            finally:
                observer.stop()
                observer.join(timeout=5)
        finally:
            runner.close()
            cache.close()


def _take(schedule: Schedule, root: Path, item: tuple[str, str, str | None, bool]) -> None:
    kind, rel, dest, is_dir = item
    now = time.monotonic()
    if not is_dir:
        schedule.event(kind, rel, now, dest)
    elif kind == "moved" and dest is not None:  # a folder renamed: its notes moved with it
        from vaultkit.vault import scan

        schedule.folder_moved(rel, [f"{dest}/{nf.rel}" for nf in scan(root / dest)], now)


def _process(runner: Runner, options: RunOptions, root: Path, rel: str, schedule: Schedule, log: Log) -> None:
    """Run the passes on one note that has been quiet; log what happened."""
    path = root / rel
    try:
        data = path.read_bytes()
    except OSError:
        return  # deleted or moved since: its own event says so
    if schedule.is_echo(rel, data):
        log({"note": rel, "action": "skipped", "why": "vaultkit's own write"})
        return
    started = time.monotonic()
    runner.options = replace(options, files=(path,))
    reports = iter_reports(runner, files_for(root, runner.config, runner.options))
    ms = round((time.monotonic() - started) * 1000)
    passes = [p.name for p in runner.passes]
    for r in reports:
        if r.written:
            _remember(schedule, root, r)
            log({"note": r.path, "action": "written", "passes": passes, "ms": ms})
        elif r.status != "ok":
            # The person saved while vaultkit worked: their text won; the save's event brings it back.
            log({"note": r.path, "action": "skipped", "why": r.error, "passes": passes, "ms": ms})
        else:
            log({"note": r.path, "action": "skipped", "why": "nothing to change", "passes": passes, "ms": ms})


def _remember(schedule: Schedule, root: Path, report: NoteReport) -> None:
    try:
        schedule.wrote(report.path, (root / report.path).read_bytes())
    except OSError:
        pass
