"""`vaultkit watch`: a daemon beside a person who is typing — react to each saved note, once, after
the note has been quiet, and never fight the editor.

The loop: an incremental run over the vault, then file-system events (watchdog) into `Schedule`,
which says which notes are due; each due note is processed alone with the run's passes (vault
passes see the rest of the vault from the cache), written through the one writer, which re-checks
the bytes first. vaultkit's own writes come back as events and are recognised as echo.

Online, a saved note is written with its offline results at once; its online passes (links,
scholarly metadata, and with an `[llm]` model every note pass) run in a thread of their own, and
when they are done the loop writes the note again with their results (the lookups stay in the
cache for next time). A save that lands before
then is written offline first in turn and gets lookups of its own, so no refresh is lost.
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
from vaultkit.write import remove_stale
from vaultkit.passes import Registered
from vaultkit.pipeline import RunOptions, Runner, files_for, iter_reports
from vaultkit.report import NoteReport
from vaultkit.schedule import Schedule
from vaultkit.text import digest
from vaultkit.vault import NoteFile

Log = Callable[[dict[str, Any]], None]
TICK = 0.25  # seconds between looks at the stop flag while nothing is due
LOOKED_UP = "looked-up"  # (an item on the event queue) a note's lookups are in the cache


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


class _Lookups:
    """The online passes run on notes just written offline, in a thread with its own cache
    connection, writing nothing; the loop is told, and takes their results (and the lookups are
    in the cache for next time)."""

    def __init__(self, root: Path, config: Config, passes: Sequence[Registered], options: RunOptions,
                 out: queue.Queue[tuple[str, str, str | None, bool]], log: Log) -> None:
        self.jobs: queue.Queue[tuple[str, str] | None] = queue.Queue()
        self.root, self.config, self.passes, self.options, self.out, self.log = root, config, passes, options, out, log
        self.lock = threading.Lock()
        self.results: dict[str, tuple[str, dict[str, Any]]] = {}  # note -> (digest, pass results by cache key)
        self.thread = threading.Thread(target=self._run, name="vaultkit-lookups", daemon=True)
        self.thread.start()

    def submit(self, rel: str, data: bytes) -> None:
        """Look up what the note holds now (`data`): its links and references."""
        self.jobs.put((rel, digest(data)))

    def take(self, rel: str, wanted: str) -> dict[str, Any] | None:
        """The online passes' results for the note's bytes with this digest (once). Results for newer
        bytes stay for their own event (a stale event must not take them)."""
        with self.lock:
            found = self.results.get(rel)
            if found is None or found[0] != wanted:
                return None
            del self.results[rel]
        return found[1]

    def stop(self) -> None:
        self.jobs.put(None)
        self.thread.join(timeout=5)

    def _run(self) -> None:
        cache = Cache(cache_path(self.root) if self.options.use_cache else None)
        runner = Runner(self.root, self.config, self.passes, replace(self.options, dry_run=True), cache)
        try:
            while (job := self.jobs.get()) is not None:
                rel, wanted = job
                nf = NoteFile(self.root / rel, rel)
                try:
                    report, raw, _ = runner.read(nf)
                    if raw is None or digest(raw) != wanted:
                        continue  # saved again since: that save's offline write asks again
                    note = runner.parse(nf, raw, report)
                    if note is None:
                        continue
                    started = time.monotonic()
                    computed: dict[str, Any] = {}
                    runner.analyze(note, None, computed)
                    runner.flush()
                except Exception as exc:  # a lookup that fails must not end the daemon  # noqa: BLE001
                    self.log({"note": rel, "action": "skipped", "why": f"lookups failed ({exc})"})
                    continue
                with self.lock:
                    self.results[rel] = (wanted, computed)
                self.log({"note": rel, "action": "looked up", "passes": [p.name for p in self.passes],
                          "ms": round((time.monotonic() - started) * 1000)})
                self.out.put((LOOKED_UP, rel, wanted, False))
        finally:
            runner.close()
            cache.close()


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
            debris: list[Path] = []
            notes = files_for(root, config, options, debris)
            for path in remove_stale(debris):  # (under the daemon's own lock: no other vaultkit writes here)
                log({"note": path.relative_to(root).as_posix(), "action": "removed",
                     "why": "a temp file an interrupted run left"})
            reports = iter_reports(runner, notes)
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
            # In the background: the passes that look things up, and every note pass when a model is
            # configured (any of them may ask it). Without the cache they stay in the reaction.
            uses_model = bool(config.llm.base_url and config.llm.model)
            online = [p for p in passes if not p.is_vault_pass and (uses_model or getattr(p.impl, "online", False))]
            background = online and not options.offline and options.use_cache
            lookups = _Lookups(root, config, online, options, events, log) if background else None
            observer = start_observer(root, _Events(root, events), polling, log)
            if ready is not None:
                ready.set()
            try:
                while not stop.is_set():
                    wake = schedule.wake_at()
                    wait = TICK if wake is None else min(TICK, max(0.0, wake - time.monotonic()))
                    looked_up: dict[str, str] = {}
                    try:
                        item = events.get(timeout=wait)
                        while True:
                            if item[0] == LOOKED_UP:
                                looked_up[item[1]] = item[2] or ""
                            else:
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
                        data = _process(runner, replace(options, offline=True) if lookups else options,
                                        root, rel, schedule, log, provisional=lookups is not None)
                        if lookups is not None and data is not None:
                            lookups.submit(rel, data)
                    for rel, wanted in looked_up.items():  # (a note saved again since is skipped: it asks again)
                        found = lookups.take(rel, wanted) if lookups is not None else None
                        if found is not None and not stop.is_set():
                            runner.memo.update(found)  # the online passes' results: no lookup in the loop
                            _process(runner, options, root, rel, schedule, log, expect=wanted)
            finally:
                observer.stop()
                observer.join(timeout=5)
                if lookups is not None:
                    lookups.stop()
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


def _process(runner: Runner, options: RunOptions, root: Path, rel: str, schedule: Schedule, log: Log, *,
             provisional: bool = False, expect: str | None = None) -> bytes | None:
    """Run the passes on one note that has been quiet; log what happened. Returns the note's bytes
    as vaultkit leaves them (None: nothing was processed).

    `provisional`: offline results that an online refresh replaces (not kept in the stat cache).
    `expect`: that refresh, for the note's bytes with this digest; other bytes mean a newer save.
    """
    path = root / rel
    try:
        data = path.read_bytes()
    except OSError:
        return None  # deleted or moved since: its own event says so
    if expect is not None:
        if digest(data) != expect:
            return None
    elif schedule.is_echo(rel, data):
        log({"note": rel, "action": "skipped", "why": "vaultkit's own write"})
        return None
    started = time.monotonic()
    runner.options = replace(options, files=(path,))
    runner.provisional = provisional
    if expect is not None and runner.entries is not None:
        runner.entries.pop(rel, None)  # the offline write left none; an older one must not stand in
    try:
        reports = iter_reports(runner, files_for(root, runner.config, runner.options))
    finally:
        runner.provisional = False
        # What one reaction's phases handed each other: a daemon that kept it would grow with every save.
        runner.memo.clear()
        runner.structures.clear()
    ms = round((time.monotonic() - started) * 1000)
    passes = [p.name for p in runner.passes]
    for r in reports:
        if r.written:
            _remember(schedule, root, r)
            log({"note": r.path, "action": "written", "passes": passes, "ms": ms,
                 **({"why": "online results"} if expect is not None else {})})
        elif r.unwritten:
            # The system would not take the write (a full disk, no permission): say so, and keep watching.
            log({"note": r.path, "action": "not written", "why": r.error, "passes": passes, "ms": ms})
            return None
        elif r.status != "ok":
            # The person saved while vaultkit worked: their text won; the save's event brings it back.
            log({"note": r.path, "action": "skipped", "why": r.error, "passes": passes, "ms": ms})
            return None
        else:
            log({"note": r.path, "action": "skipped", "why": "nothing to change", "passes": passes, "ms": ms})
    try:
        return path.read_bytes()
    except OSError:
        return None


def _remember(schedule: Schedule, root: Path, report: NoteReport) -> None:
    try:
        schedule.wrote(report.path, (root / report.path).read_bytes())
    except OSError:
        pass
