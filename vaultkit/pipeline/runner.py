"""Running passes over one note: read, parse, the passes, render, write — every failure isolated.

`Runner` holds what a run needs (config, passes, cache, the undo journal) and gives each note a
`NoteReport`. Running it over many notes is `run.py`'s job; vault steps are `vault_steps.py`'s.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable, Sequence

from vaultkit import __version__
from vaultkit.blocks import Structure
from vaultkit.cache import Cache, StateStore
from vaultkit.config import Config
from vaultkit.errors import NoteError
from vaultkit.note import Note, parse_note
from vaultkit.passes import RECHECK_AFTER, Context, Finding, PassResult, Registered, merge, pass_error, validate
from vaultkit.render import PassOutput, Rendered, compose, property_name
from vaultkit.report import NoteReport, unified_diff
from vaultkit.text import digest, encode
from vaultkit.vault import NoteFile
from vaultkit.write import NoteChanged, replace_note

from .codec import finding_json, resolve, result_from_json, result_to_json, same_line, targets_json, vault_json
from .focus import focused, restricted, results_at, splice


@dataclass(frozen=True)
class RunOptions:
    """How to run: mode, what to write, which notes."""

    mode: str = "run"  # "run" or "clean"
    dry_run: bool = False
    diff: bool = False
    offline: bool = False
    files: tuple[Path, ...] = ()
    jobs: int = 1  # the CLI passes 0 -> one per CPU
    use_cache: bool = True
    line: int | None = None  # `--line`: with one note, only the answer at this line of the file is worked on
    recheck: bool = False  # `--recheck`: take every note up and ask the network again, whatever the cache holds

    @property
    def writes(self) -> bool:
        """--dry-run and --diff only show what would change."""
        return not self.dry_run and not self.diff


class Runner:
    """Holds what a run needs (config, passes, cache) and processes notes one at a time."""

    def __init__(self, vault: Path, config: Config, passes: Sequence[Registered], options: RunOptions,
                 cache: Cache | None = None, installed: Sequence[str] = ()) -> None:
        self.vault = vault
        self.config = config
        self.passes = [p for p in passes if not isinstance(p.impl, BaseException)]
        self.broken = [p for p in passes if isinstance(p.impl, BaseException)]
        self.options = options
        self.cache = cache or Cache(None)
        owned = None if options.mode == "clean" else frozenset(p.name for p in self.passes)
        self.owned = owned
        self.known = frozenset([*installed, *(p.name for p in passes)])
        self.pending: list[tuple[str, Any]] = []  # pass results to cache, written in one transaction
        # Set between a run's phases (forked workers inherit them): block structures parsed while
        # collecting summaries, by text hash, and each note's results from vault steps, by path.
        self.structures: dict[str, Structure] = {}
        self.extras: dict[str, dict[str, PassResult]] = {}
        self.vault_errors: list[Finding] = []
        # Passes whose vault results a note written without them would lose (a big run's sweep, see
        # with_vault_steps): such a note is held back until the vault step has run.
        self.hold: frozenset[str] = frozenset()
        self.defer = False  # a big run's sweep: notes are rendered, and written only after the vault steps
        self.memo: dict[str, Any] = {}  # pass results of the first phase, by cache key, for the second
        self.run_id: int | None = None  # the undo journal's entry for this run, when it may write
        # A long-running process (watch) keeps the stat cache's entries and the vault steps'
        # summaries (by pass, then note) in memory, instead of reading every note's record again
        # on each save.
        self.entries: dict[str, tuple[int, int, str, str]] | None = None
        self.vault_summaries: dict[str, dict[str, Any]] | None = None
        # Results an online refresh will replace (the daemon writes offline results first): not
        # recorded in the stat cache, so a run that stops before the refresh redoes the note.
        self.provisional = False
        self.journal = self.cache  # where the journal is kept (clean runs use no cache but keep one)
        self.undo_rows: list[tuple[str, bytes, bytes]] = []  # written notes' previous bytes, not yet kept
        self.undo_bytes = 0
        self.undo_complete = True
        # On a cold cache every lookup would miss (and a miss costs a read while other workers write).
        self.lookups_pay = self.cache.has_results()
        self.online_names = frozenset(p.name for p in self.passes if getattr(p.impl, "online", False))
        if options.recheck:
            self.cache.fresh = ("link:", "scholar2:", "source:")
        self._session: Any = None
        self._session_pid = 0
        self.fingerprint = digest(
            __version__, options.mode, str(options.offline), repr(config.vaultkit),
            json.dumps(config.passes, sort_keys=True, default=str),
            *[f"{p.name}={p.version}" for p in self.passes],
        )

    def flush(self) -> None:
        """Write the pass results and the undo journal gathered so far to the cache."""
        self.lookups_pay = self.lookups_pay or bool(self.pending)  # (a daemon's next reaction may find them)
        self.cache.put_results(self.pending)
        self.pending = []
        self._write_journal()

    def _write_journal(self) -> None:
        if self.run_id is not None:  # (a batch not kept: the next one, or the run's end, marks the run in part)
            self.undo_complete = self.journal.journal(self.run_id, self.undo_rows, self.undo_complete) and self.undo_complete
            self.undo_rows = []

    def _keep_for_undo(self, rel: str, before: bytes, after: bytes, parts: int | None = None) -> None:
        """Queue a written note's previous bytes for the journal, within `[undo] max_mb` (shared out
        among worker processes); past it, the run is kept only in part."""
        limit = self.config.undo.max_mb * 1e6 / max(self.options.jobs if parts is None else parts, 1)
        if self.undo_bytes + len(before) > limit:
            self.undo_complete = False
            return
        self.undo_bytes += len(before)
        self.undo_rows.append((rel, before, after))
        if len(self.undo_rows) >= 64:  # (a long run in one process: kept as it goes, not held in memory)
            self._write_journal()

    def context(self, p: Registered, note: Note | None = None) -> Context:
        """The context a pass sees: its own options, the offline flag, the config, network and lookups,
        and what the person dismissed of its findings in `note`."""
        cached = self.options.use_cache and self.cache.db is not None
        return Context(self.vault, self.config.pass_options(p.name), self.options.offline, self.config,
                       self.session(), self.cache if self.options.use_cache else None,
                       StateStore(self.cache, p.name, self.fingerprint) if cached else None,
                       note.dismissed.get(p.name, frozenset()) if note is not None else frozenset())

    def session(self) -> Any:
        """The run's network session (None offline); a forked worker makes its own on first use."""
        if self.options.offline:
            return None
        if self._session is None or self._session_pid != os.getpid():
            from vaultkit.net import Session

            self._session, self._session_pid = Session(self.config.net), os.getpid()
        return self._session

    def close(self) -> None:
        """Release the network session."""
        if self._session is not None and self._session_pid == os.getpid():
            self._session.close()
        self._session = None

    def read(self, nf: NoteFile) -> tuple[NoteReport, bytes | None, os.stat_result | None]:
        """Stat and read one note; bad input becomes a report, never an exception."""
        report = NoteReport(nf.rel)
        if nf.skip:
            report.status, report.error = "skipped", nf.skip
            return report, None, None
        try:
            st = os.stat(nf.path)
            if st.st_nlink > 1 and self.options.writes:
                report.status, report.error = "skipped", (
                    f"has {st.st_nlink} hard links — replacing it would leave the others behind, so vaultkit "
                    "leaves it as it is (make it one file, or a symlink, to include it)")
                return report, None, st
            if st.st_size > self.config.vaultkit.max_bytes:
                report.status, report.error = "skipped", (
                    f"larger than max_bytes ({st.st_size} > {self.config.vaultkit.max_bytes} bytes) — "
                    "raise [vaultkit] max_bytes to include it")
                return report, None, st
            return report, nf.path.read_bytes(), st
        except OSError as exc:
            report.status, report.error = "error", f"cannot read the note — {exc.strerror or exc}"
            return report, None, None

    def parse(self, nf: NoteFile, raw: bytes, report: NoteReport) -> Note | None:
        """Parse, turning bad input into an error report."""
        try:
            return parse_note(raw, nf.rel, self.config.vaultkit, self.owned, self.known, self.structures)
        except NoteError as exc:
            report.status, report.error = "error", str(exc)
            return None

    def analyze(self, note: Note, only: Sequence[Registered] | None = None, record: dict[str, Any] | None = None,
                scope: str = "") -> tuple[list[PassOutput], list[Finding], bool]:
        """Run every note pass (or `only` these) on one note; a pass that raises becomes an error finding.
        `record` collects what was computed, by cache key (a run's first phase hands it to the second)."""
        outputs: list[PassOutput] = []
        findings: list[Finding] = []
        crashed = False
        # A note without AI text or vaultkit's marks is only read by passes that look at every note.
        bare = not note.targets and not note.blocks and not note.had_keys
        for p in self.passes if only is None else only:
            if p.is_vault_pass or (bare and not p.every_note):
                continue
            ctx = self.context(p, note)
            # (offline or not changes only what online passes, or any that may ask a model, find)
            mode = str(self.options.offline) if p.name in self.online_names or self.config.llm.model else ""
            key = digest(note.hash, p.name, p.version, json.dumps(ctx.options, sort_keys=True, default=str),
                         mode, repr(self.config.vaultkit), repr(self.config.llm),
                         *((scope,) if scope else ()), *sorted(ctx.dismissed))
            # A pass whose answers come from the network is re-run (its lookups have their own cache).
            reuse = self.options.use_cache and not (getattr(p.impl, "online", False) and not self.options.offline)
            # This run's first phase already ran it (a pass with a vault step): never twice, cache or not.
            cached = self.memo.get(key) or (self.cache.get_result(key) if reuse and self.lookups_pay else None)
            if cached is not None and cached.get("summary_elsewhere"):  # (its summary is in the summaries
                cached = None  # table, for the note as it was last seen; for these bytes: made anew)
            result = result_from_json(cached, note) if cached is not None else None
            if result is None:
                try:
                    result = p.impl.analyze(note, ctx)
                    validate(result, note)
                except (Exception, SystemExit) as exc:  # a crashing plugin is a finding, not a crash
                    crashed = True
                    findings.append(pass_error(p, exc))
                    continue
                if reuse and result.cacheable:
                    stored = result_to_json(result)
                    if p.combines and stored["summary"] is not None:  # kept once, in the summaries table
                        stored = {**stored, "summary": None, "summary_elsewhere": True}
                    self.pending.append((key, stored))
                if record is not None:
                    record[key] = result_to_json(result)
            outputs.append(PassOutput(p.name, key[:12], result, p.featured, p.headline,
                                      self.options.offline and bool(getattr(p.impl, "online", False))))

        return outputs, findings, crashed

    def _without_crashed(self, note: Note, raw: bytes, outputs: list[PassOutput], pass_findings: list[Finding],
                         rendered: Rendered) -> tuple[bool, Rendered]:
        """A pass that raised keeps what it wrote last time (its sections, its keys), as a pass not run
        does, so the others' results are still written; where that cannot be (its old per-pass callouts
        are in the text the passes read), the note is not written at all."""
        names = frozenset(str(f.data.get("pass")) for f in pass_findings if f.kind == "pass-error")
        if self.owned is None or not names or not outputs:  # (no pass ran: nothing new to write)
            return True, rendered
        kept = parse_note(raw, note.path, self.config.vaultkit, self.owned - names, self.known, self.structures)
        if kept.hash != note.hash:
            return True, rendered
        return False, compose(kept, outputs)

    def collect(self, nf: NoteFile) -> tuple[str, str, Structure | None, dict[str, Any], dict[str, Any]]:
        """A run's first phase, for passes with a vault step: their summaries of one note.

        Returns the note's text hash and state (`Note.state`), block structure and pass results too,
        so the second phase neither parses it nor runs those passes again. A note that cannot be read
        or parsed yields nothing (the second phase reports it).
        """
        report, raw, _ = self.read(nf)
        note = self.parse(nf, raw, report) if raw is not None else None
        if note is None:
            return "", "", None, {}, {}
        computed: dict[str, Any] = {}
        outputs, _, _ = self.analyze(note, [p for p in self.passes if p.combines], computed)
        summaries = {o.name: o.result.summary for o in outputs if o.result.summary is not None}
        return note.hash, note.state, note.structure if note.needs_structure else None, summaries, computed

    def _render(self, note: Note, extra: dict[str, PassResult], scope: str = ""
                ) -> tuple[list[PassOutput], list[Finding], bool, Rendered]:
        """The passes' outputs for a note, its vault results merged in, and the note rendered with them."""
        outputs, pass_findings, crashed = self.analyze(note, scope=scope)
        for name, result in extra.items():
            result = resolve(result, note)
            try:
                validate(result, note)
            except TypeError as exc:
                pass_findings.append(Finding("pass-error", "error", 1, 1, f"pass {name} (vault step) failed: {exc}",
                                             {"pass": name}, "vaultkit"))
                continue
            mine = next((i for i, o in enumerate(outputs) if o.name == name), None)
            if mine is None:
                p = next((p for p in self.passes if p.name == name), None)
                outputs.append(PassOutput(name, digest(note.hash, name, size=6), result, p and p.featured,
                                          p.headline if p is not None else None))
            else:  # a note pass's vault step: one callout per target, not two
                outputs[mine] = replace(outputs[mine], result=merge(outputs[mine].result, result))
        return outputs, pass_findings, crashed, compose(note, outputs)

    def process(self, nf: NoteFile, extra: dict[str, PassResult] | None = None,
                note: Note | None = None, raw: bytes | None = None) -> NoteReport:
        """Everything for one note, up to and including the write."""
        report = NoteReport(nf.rel)
        extra = {**self.extras.get(nf.rel, {}), **(extra or {})}
        if note is None:
            report, raw, _ = self.read(nf)
            if raw is None:
                return report
            note = self.parse(nf, raw, report)
            if note is None:
                return report
        assert raw is not None
        report.dismissed = sum(len(keys) for keys in note.dismissed.values())

        findings: list[Finding] = [
            Finding("pass-load-error", "error", 1, 1, f"pass {p.name} could not be loaded ({p.source}): {p.impl}",
                    {"pass": p.name}, "vaultkit")
            for p in self.broken if note.targets
        ]
        written_line: Callable[[int], int] = same_line  # clean writes exactly `note.lines`
        if self.options.mode == "clean":
            new_text = note.text
            findings += [Finding("managed-block-edited", "warning", note.note_line(b.line), note.note_line(b.end_line),
                                 f"the {b.pass_name} callout was edited by hand, so clean leaves it", {}, "vaultkit")
                         for b in note.blocks if not b.intact]
            crashed = False
        else:
            focus = focused(note, self.options.line) if self.options.line is not None else None
            spliced = None
            if focus is not None:  # `--line`: the passes see only the answer at the cursor
                view = restricted(note, focus)
                outputs, pass_findings, crashed, rendered = self._render(view, results_at(extra, focus), f"focus={focus.id}")
                spliced = splice(note, focus, rendered)
                if spliced is not None and any("\ue000" in d.body for o in outputs for d in o.result.displays):
                    # line references name lines of the file as written, not of the one-answer rendering
                    rendered = compose(view, outputs, where=spliced[1])
                    spliced = splice(note, focus, rendered)
            if spliced is None:
                outputs, pass_findings, crashed, rendered = self._render(note, extra)
                failed = [f for f in self.vault_errors if note.targets]  # (a vault step that raised: its
                # pass's results are partial, so it keeps what it wrote last time, as a pass that raised)
                if crashed or failed:
                    names = {str(f.data.get("pass")) for f in failed}
                    crashed, rendered = self._without_crashed(
                        note, raw, [o for o in outputs if o.name not in names], pass_findings + failed, rendered)
                new_text, written_line = rendered.text, rendered.new_line

            else:
                new_text, written_line = spliced
            report.summaries = {o.name: o.result.summary for o in outputs if o.result.summary is not None}
            if not self.options.offline:  # when the online passes' lookups for this note are worth asking again
                waits = [o.result.recheck_after or RECHECK_AFTER for o in outputs if o.name in self.online_names]
                report.due = time.time() + min(waits) if waits else 0.0
            report.text_hash = note.state
            # (a note whose other answers were left as they were is not current: the next run redoes it)
            report.retry = spliced is not None or any(not o.result.cacheable for o in outputs) or \
                any(f.kind == "pass-error" for f in pass_findings)

            report.vault_results = vault_json(extra)
            if note.targets and self.vault_errors:
                pass_findings += self.vault_errors
                report.retry = True
            findings += pass_findings
            for out in outputs:
                findings += [_named(f, out.name) for f in out.result.findings]
            findings += [Finding(
                "glued-callout", "warning", t.line, t.line,
                f"`[!{t.type}]` directly follows a quote, so Obsidian shows it as quote text, "
                "not a callout — add a blank line before this line", {}, "vaultkit")
                for t in (note.targets if spliced is None else (focus,)) if t is not None and t.glued]
            findings += rendered.findings
        findings.sort(key=_order)
        report.targets = targets_json(note, note.file_line)
        report.findings = [finding_json(f, note.file_line, note.dismissed) for f in findings]
        new = encode(new_text, note.decoded.bom)
        report.changed = new != raw
        report.digest = digest(new if self.options.writes else raw)
        if report.changed and self.options.writes:
            # What the cache keeps must describe the file as vaultkit leaves it.
            report.cached = {"targets": targets_json(note, written_line),
                             "findings": [{**j, "line": written_line(f.line), "end_line": written_line(f.end_line)}
                                          for f, j in zip(findings, report.findings)]}
        if report.changed and self.options.diff:
            report.diff = unified_diff(nf.rel, raw, new)
        if self.hold and nf.rel not in self.extras and (
                any(name in self.hold for b in note.blocks for name in (b.pass_name, *(p.pass_name for p in b.parts)))
                or _has_keys_of(note, self.hold)):
            report.held = True
        if report.changed and self.options.writes and not crashed and not report.held:
            if self.defer:  # (a big run's sweep: written once its vault results are known to stand)
                report.deferred = (raw, new)
            else:
                self.write(nf, report, raw, new)
        return report

    def write(self, nf: NoteFile, report: NoteReport, raw: bytes, new: bytes, parts: int | None = None) -> None:
        """Replace the note (if it still holds `raw`) and keep its earlier bytes for undo (`parts`: how
        many processes share the journal's bound; None: the run's workers)."""
        try:
            report.written = replace_note(nf.path, raw, new)
        except NoteError as exc:
            # (a person's save in the meantime is not the system failing: their text won, by design)
            report.status, report.error, report.unwritten = "error", str(exc), not isinstance(exc, NoteChanged)
        if report.written and self.run_id is not None:
            self._keep_for_undo(nf.rel, raw, new, parts)


def _has_keys_of(note: Note, passes: frozenset[str]) -> bool:
    """Does the file hold frontmatter keys of these passes (a vault step's property, with no callout)?"""
    prefix = note.config.property_prefix
    return note.had_keys and any(f"\n{prefix}{property_name(p, '')}".encode() in note.raw for p in passes)


def _named(f: Finding, name: str) -> Finding:
    if f.pass_name == name:
        return f
    return Finding(f.kind, f.severity, f.line, f.end_line, f.message, f.data, name, f.about)


def _order(f: Finding) -> tuple[int, int, str, str]:
    return (f.line, f.end_line, f.pass_name, f.kind)
