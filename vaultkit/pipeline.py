"""Run passes over notes: scan -> parse -> passes -> render -> write, isolating every failure."""

from __future__ import annotations

import difflib
import json
import os
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

from vaultkit import __version__
from vaultkit.cache import Cache, StateStore
from vaultkit.config import Config
from vaultkit.errors import NoteError
from vaultkit.managed import strip
from vaultkit.note import Note, Target, parse_note
from vaultkit.blocks import Structure
from vaultkit.passes import SEVERITIES, Context, Display, Finding, PassResult, Registered, merge
from vaultkit.render import PassOutput, Rendered, block_id, compose, property_name
from vaultkit.summaries import Summaries
from vaultkit.text import digest, encode, split_lines
from vaultkit.errors import ConfigError
from vaultkit.vault import NoteFile, printable, scan, skip_reason
from vaultkit.write import replace_note


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

    @property
    def writes(self) -> bool:
        """--dry-run and --diff only show what would change."""
        return not self.dry_run and not self.diff


@dataclass
class NoteReport:
    """What happened to one note; `as_json` is the --json contract's note object."""

    path: str
    status: str = "ok"  # ok | skipped | error
    error: str = ""
    written: bool = False
    changed: bool = False  # the note's bytes differ from vaultkit's output (written unless --dry-run)
    targets: list[dict[str, Any]] = field(default_factory=list)
    findings: list[dict[str, Any]] = field(default_factory=list)
    diff: str = ""
    digest: str = ""  # hash of the note's bytes once vaultkit is done with it (not in --json)
    cached: dict[str, Any] | None = None  # targets/findings in the lines of the written file
    summaries: dict[str, Any] = field(default_factory=dict)  # per pass with a vault step (not in --json)
    text_hash: str = ""  # of the human text the summaries were made from: what they depend on (not in --json)
    retry: bool = False  # a pass's result was a stopgap: process the note again next run (not in --json)
    vault_results: dict[str, Any] = field(default_factory=dict)  # the vault results applied, as JSON (not in --json)
    held: bool = False  # not written: its vault results were unknown; the vault step's pass writes it (not in --json)

    def as_json(self) -> dict[str, Any]:
        """The contract's shape: path, status, error (when not ok), written, targets, findings."""
        out: dict[str, Any] = {"path": self.path, "status": self.status}
        if self.status != "ok":
            out["error"] = self.error
        out.update(written=self.written, changed=self.changed, targets=self.targets, findings=self.findings)
        if self.diff:
            out["diff"] = self.diff
        return out


def _identity(line: int) -> int:
    return line


def finding_json(f: Finding, to_file: Callable[[int], int] = _identity) -> dict[str, Any]:
    """A finding as the --json contract shows it, its note lines mapped to file lines by `to_file`."""
    return {"pass": f.pass_name, "kind": f.kind, "severity": f.severity, "line": to_file(f.line),
            "end_line": to_file(f.end_line), "message": f.message, "data": dict(f.data)}


def _targets_json(note: Note, to_file: Callable[[int], int]) -> list[dict[str, Any]]:
    return [{"kind": t.kind, "type": t.type, "line": to_file(t.line), "end_line": to_file(t.end_line)}
            for t in note.targets]


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
        # _with_vault_steps): such a note is held back until the vault step has run.
        self.hold: frozenset[str] = frozenset()
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
        self._session: Any = None
        self._session_pid = 0
        self.fingerprint = digest(
            __version__, options.mode, str(options.offline), repr(config.vaultkit),
            json.dumps(config.passes, sort_keys=True, default=str),
            *[f"{p.name}={p.version}" for p in self.passes],
        )

    def flush(self) -> None:
        """Write the pass results and the undo journal gathered so far to the cache."""
        self.cache.put_results(self.pending)
        self.pending = []
        self._write_journal()

    def _write_journal(self) -> None:
        if self.run_id is not None:
            self.journal.journal(self.run_id, self.undo_rows, self.undo_complete)
            self.undo_rows = []

    def _keep_for_undo(self, rel: str, before: bytes, after: bytes) -> None:
        """Queue a written note's previous bytes for the journal, within `[undo] max_mb` (shared out
        among worker processes); past it, the run is kept only in part."""
        limit = self.config.undo.max_mb * 1e6 / max(self.options.jobs, 1)
        if self.undo_bytes + len(before) > limit:
            self.undo_complete = False
            return
        self.undo_bytes += len(before)
        self.undo_rows.append((rel, before, after))
        if len(self.undo_rows) >= 64:  # (a long run in one process: kept as it goes, not held in memory)
            self._write_journal()

    def context(self, p: Registered) -> Context:
        """The context a pass sees: its own options, the offline flag, the config, network and lookups."""
        cached = self.options.use_cache and self.cache.db is not None
        return Context(self.vault, self.config.pass_options(p.name), self.options.offline, self.config,
                       self.session(), self.cache if self.options.use_cache else None,
                       StateStore(self.cache, p.name, self.fingerprint) if cached else None)

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

        `record` collects what was computed, by cache key (a run's first phase hands it to the second).
        """
        outputs: list[PassOutput] = []
        findings: list[Finding] = []
        crashed = False
        # A note without AI text or vaultkit's marks is only read by passes that look at every note.
        bare = not note.targets and not note.blocks and not note.had_keys
        for p in self.passes if only is None else only:
            if p.is_vault_pass or (bare and not p.every_note):
                continue
            ctx = self.context(p)
            key = digest(note.hash, p.name, p.version, json.dumps(ctx.options, sort_keys=True, default=str),
                         str(self.options.offline), repr(self.config.vaultkit), repr(self.config.llm), *((scope,) if scope else ()))
            # A pass whose answers come from the network is re-run (its lookups have their own cache).
            reuse = self.options.use_cache and not (getattr(p.impl, "online", False) and not self.options.offline)
            # This run's first phase already ran it (a pass with a vault step): never twice, cache or not.
            cached = self.memo.get(key) or (self.cache.get_result(key) if reuse and self.lookups_pay else None)
            result = _result_from_json(cached, note) if cached is not None else None
            if result is None:
                try:
                    result = p.impl.analyze(note, ctx)
                    validate(result, note)
                except (Exception, SystemExit) as exc:  # a crashing plugin is a finding, not a crash
                    crashed = True
                    findings.append(pass_error(p, exc))
                    continue
                if reuse and result.cacheable:
                    self.pending.append((key, _result_to_json(result)))
                if record is not None:
                    record[key] = _result_to_json(result)
            outputs.append(PassOutput(p.name, key[:12], result))
        return outputs, findings, crashed

    def collect(self, nf: NoteFile) -> tuple[str, Structure | None, dict[str, Any], dict[str, Any]]:
        """A run's first phase, for passes with a vault step: their summaries of one note.

        Returns the note's text hash, block structure and pass results too, so the second phase
        neither parses it nor runs those passes again. A note that cannot be read or parsed yields
        nothing (the second phase reports it).
        """
        report, raw, _ = self.read(nf)
        note = self.parse(nf, raw, report) if raw is not None else None
        if note is None:
            return "", None, {}, {}
        computed: dict[str, Any] = {}
        outputs, _, _ = self.analyze(note, [p for p in self.passes if p.combines], computed)
        summaries = {o.name: o.result.summary for o in outputs if o.result.summary is not None}
        return note.hash, note.structure if note.needs_structure else None, summaries, computed

    def _render(self, note: Note, extra: dict[str, PassResult], scope: str = ""
                ) -> tuple[list[PassOutput], list[Finding], bool, Rendered]:
        """The passes' outputs for a note, its vault results merged in, and the note rendered with them."""
        outputs, pass_findings, crashed = self.analyze(note, scope=scope)
        for name, result in extra.items():
            result = _resolve(result, note)
            try:
                validate(result, note)
            except TypeError as exc:
                pass_findings.append(Finding("pass-error", "error", 1, 1, f"pass {name} (vault step) failed: {exc}",
                                             {"pass": name}, "vaultkit"))
                continue
            mine = next((i for i, o in enumerate(outputs) if o.name == name), None)
            if mine is None:
                outputs.append(PassOutput(name, digest(note.hash, name, size=6), result))
            else:  # a note pass's vault step: one callout per target, not two
                outputs[mine] = PassOutput(name, outputs[mine].input_hash, merge(outputs[mine].result, result))
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
        findings: list[Finding] = [
            Finding("pass-load-error", "error", 1, 1, f"pass {p.name} could not be loaded ({p.source}): {p.impl}",
                    {"pass": p.name}, "vaultkit")
            for p in self.broken if note.targets
        ]
        written_line: Callable[[int], int] = _identity  # clean writes exactly `note.lines`
        if self.options.mode == "clean":
            new_text = note.text
            findings += [Finding("managed-block-edited", "warning", note.note_line(b.line), note.note_line(b.end_line),
                                 f"the {b.pass_name} callout was edited by hand, so clean leaves it", {}, "vaultkit")
                         for b in note.blocks if not b.intact]
            crashed = False
        else:
            focus = _focused(note, self.options.line) if self.options.line is not None else None
            spliced = None
            if focus is not None:  # `--line`: the passes see only the answer at the cursor
                view = _restricted(note, focus)
                outputs, pass_findings, crashed, rendered = self._render(view, _only(extra, focus), f"focus={focus.id}")
                spliced = _splice(note, focus, rendered)
                if spliced is not None and any("\ue000" in d.body for o in outputs for d in o.result.displays):
                    # line references name lines of the file as written, not of the one-answer rendering
                    rendered = compose(view, outputs, where=spliced[1])
                    spliced = _splice(note, focus, rendered)
            if spliced is None:
                outputs, pass_findings, crashed, rendered = self._render(note, extra)
                new_text, written_line = rendered.text, rendered.new_line
            else:
                new_text, written_line = spliced
            report.summaries = {o.name: o.result.summary for o in outputs if o.result.summary is not None}
            report.text_hash = note.hash
            # (a note whose other answers were left as they were is not current: the next run redoes it)
            report.retry = spliced is not None or any(not o.result.cacheable for o in outputs)
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
        report.targets = _targets_json(note, note.file_line)
        report.findings = [finding_json(f, note.file_line) for f in findings]
        new = encode(new_text, note.decoded.bom)
        report.changed = new != raw
        report.digest = digest(new if self.options.writes else raw)
        if report.changed and self.options.writes:
            # What the cache keeps must describe the file as vaultkit leaves it.
            report.cached = {"targets": _targets_json(note, written_line),
                             "findings": [finding_json(f, written_line) for f in findings]}
        if report.changed and self.options.diff:
            report.diff = unified_diff(nf.rel, raw, new)
        if self.hold and nf.rel not in self.extras and (
                any(b.pass_name in self.hold for b in note.blocks) or _has_keys_of(note, self.hold)):
            report.held = True
        if report.changed and self.options.writes and not crashed and not report.held:
            try:
                report.written = replace_note(nf.path, raw, new)
            except NoteError as exc:
                report.status, report.error = "error", str(exc)
            if report.written and self.run_id is not None:
                self._keep_for_undo(nf.rel, raw, new)
        return report


def _focused(note: Note, line: int) -> Target | None:
    """The callout answer at a file line (or the nearest above it), when the work can be limited to
    it: a note of several answers, none inside another; None means the whole note."""
    callouts = [t for t in note.targets if t.kind == "callout"]
    if len(callouts) < 2 or len(callouts) != len(note.targets):
        return None
    above = [t for t in callouts if note.file_line(t.line) <= line]
    if not above:
        return None
    focus = above[-1]
    if any(t is not focus and t.line <= focus.end_line and focus.line <= t.end_line for t in callouts):
        return None  # nested answers share lines (and callout places): the whole note
    return focus


def _restricted(note: Note, focus: Target) -> Note:
    """The note as the passes see it under `--line`: the same text, one answer."""
    view = replace(note, preparsed=note.structure if note.needs_structure else None)
    view.__dict__["targets"] = (focus,)  # (a cached property of the frozen note)
    return view


def _only(extra: dict[str, PassResult], focus: Target) -> dict[str, PassResult]:
    """Vault results of the answer at the cursor only."""
    def mine(result: PassResult) -> PassResult:
        return PassResult(tuple(f for f in result.findings if focus.line <= f.line <= focus.end_line),
                          tuple(d for d in result.displays if d.target in (focus, focus.id)), {}, result.summary,
                          result.cacheable)
    return {name: mine(result) for name, result in extra.items()}


def _splice(note: Note, focus: Target, rendered: Rendered) -> tuple[str, Callable[[int], int]] | None:
    """The file with only the focused answer's stretch taken from `rendered` (the answer, its
    callouts and the lines up to the next human line); everything else byte for byte as read,
    frontmatter included. None when the stretch in the file holds callouts of another answer, or
    the result's human text is not the rendered one's (then the whole note is worked on)."""
    old = split_lines(note.decoded.text)
    new = split_lines(rendered.text)
    n = len(note.lines)
    a, b = focus.line, focus.end_line
    start = note.origin[a - 1]
    stop = note.origin[b] if b < n else len(old)
    r_start = rendered.new_line(a) - 1
    r_stop = rendered.new_line(b + 1) - 1 if b < n else len(new)
    others = {i for t in note.targets if t is not focus
              for i in (t.id, *(block_id(t, line) for line in range(t.line, t.end_line + 1)))}
    if any(start <= blk.line - 1 < stop and blk.target_id in others for blk in note.blocks):
        return None  # (the answer's own callouts may carry its id from before an edit)
    lines = old[:start] + new[r_start:r_stop] + old[stop:]
    prefix = note.config.property_prefix
    if strip(lines, prefix).lines != strip(new, prefix).lines:
        return None
    shift = (r_stop - r_start) - (stop - start)

    def written(line: int) -> int:
        if line < a:
            return note.origin[line - 1] + 1
        if line <= b:
            return start + rendered.new_line(line) - rendered.new_line(a) + 1
        return note.origin[min(line, n) - 1] + 1 + shift

    return "".join(lines), written


def _has_keys_of(note: Note, passes: frozenset[str]) -> bool:
    """Does the file hold frontmatter keys of these passes (a vault step's property, with no callout)?"""
    prefix = note.config.property_prefix
    return note.had_keys and any(f"\n{prefix}{property_name(p, '')}".encode() in note.raw for p in passes)


def _resolve(result: PassResult, note: Note) -> PassResult:
    """A vault step's displays name targets by id: point them at this note's targets (or drop them)."""
    if not any(isinstance(d.target, str) or d.target is None for d in result.displays):
        return result
    targets = {t.id: t for t in note.targets}
    displays = tuple(Display(targets[d.target], d.body, d.title, d.line) if isinstance(d.target, str) else d
                     for d in result.displays if (d.target in targets if isinstance(d.target, str)
                                                  else d.target is not None or 1 <= d.line <= len(note.lines)))
    return replace(result, displays=displays)


def vault_json(extra: Mapping[str, PassResult]) -> dict[str, Any]:
    """What a note got from vault steps (the non-empty results), as JSON: kept in the stat cache."""
    return {name: _result_to_json(r) for name, r in sorted(extra.items()) if r.findings or r.displays or r.properties}


def _same_vault(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """Equal vault results, also when one side went through JSON (tuples come back as lists)."""
    return json.dumps(a, sort_keys=True, default=str) == json.dumps(b, sort_keys=True, default=str)


def validate(result: object, note: Note) -> None:
    """Refuse what a pass returns unless vaultkit can report and render all of it."""
    if not isinstance(result, PassResult):
        raise TypeError(f"analyze() returned {type(result).__name__}, not PassResult")
    for f in result.findings:
        if not isinstance(f, Finding) or not isinstance(f.kind, str) or f.severity not in SEVERITIES:
            raise TypeError(f"bad finding {f!r}: needs a str kind and severity error|warning|info")
        if type(f.line) is not int or type(f.end_line) is not int or not isinstance(f.message, str):
            raise TypeError(f"bad finding {f!r}: line and end_line must be int, message str")
        json.dumps(dict(f.data))  # data goes into --json as it is
    targets = set(note.targets)
    for d in result.displays:
        if not isinstance(d, Display) or (d.target not in targets and d.target is not None) \
                or not isinstance(d.body, str) or not isinstance(d.title, str):
            raise TypeError(f"bad display {d!r}: needs one of note.targets (or None) and str body/title")
        first, last = (d.target.line, d.target.end_line) if d.target is not None else (1, len(note.lines))
        if type(d.line) is not int or (d.line and not first <= d.line <= last) or (d.target is None and not d.line):
            raise TypeError(f"bad display {d!r}: line must be 0 or a line of its target (a line of the note without one)")
    if not isinstance(result.properties, Mapping):
        raise TypeError("properties must be a mapping")
    for key, value in result.properties.items():
        if not isinstance(key, str) or not (isinstance(value, (str, int, float, bool)) or (
                isinstance(value, list) and all(isinstance(v, str) for v in value))):
            raise TypeError(f"property {key!r}: keys are str, values str/int/float/bool or a list of str")


def _named(f: Finding, name: str) -> Finding:
    if f.pass_name == name:
        return f
    return Finding(f.kind, f.severity, f.line, f.end_line, f.message, f.data, name)


def _order(f: Finding) -> tuple[int, int, str, str]:
    return (f.line, f.end_line, f.pass_name, f.kind)


def pass_error(p: Registered, exc: BaseException) -> Finding:
    """The finding that stands in for a pass that raised."""
    return Finding("pass-error", "error", 1, 1, f"pass {p.name} ({p.source}) failed: {type(exc).__name__}: {exc}",
                   {"pass": p.name, "source": p.source}, "vaultkit")


def unified_diff(rel: str, old: bytes, new: bytes) -> str:
    """A unified diff of what a write would change."""
    a = old.decode("utf-8", "replace").splitlines(keepends=True)
    b = new.decode("utf-8", "replace").splitlines(keepends=True)
    return "".join(difflib.unified_diff(a, b, f"a/{rel}", f"b/{rel}"))


def _result_to_json(result: PassResult) -> dict[str, Any]:
    return {
        "findings": [[f.kind, f.severity, f.line, f.end_line, f.message, dict(f.data)] for f in result.findings],
        "displays": [[d.target if isinstance(d.target, str) or d.target is None else d.target.id, d.body, d.title,
                      d.line] for d in result.displays],
        "properties": dict(result.properties),
        "summary": result.summary,
        "cacheable": result.cacheable,
    }


def _from_json(data: dict[str, Any]) -> PassResult:
    """`_result_to_json` undone, displays naming their targets by id (raises on a malformed entry)."""
    return PassResult(tuple(Finding(k, s, a, b, m, d) for k, s, a, b, m, d in data["findings"]),
                      tuple(Display(tid, body, title, *line) for tid, body, title, *line in data["displays"]),
                      data["properties"], data.get("summary"), data.get("cacheable", True))


def _result_from_json(data: dict[str, Any], note: Note) -> PassResult | None:
    """Rebuild a cached result; None if it no longer fits the note (then the pass runs again)."""
    try:
        result = _from_json(data)
    except (KeyError, TypeError, ValueError):
        return None
    ids = {t.id for t in note.targets}
    if any(isinstance(d.target, str) and d.target not in ids for d in result.displays):
        return None
    return _resolve(result, note)


def files_for(vault: Path, config: Config, options: RunOptions) -> list[NoteFile]:
    """The notes a run covers: --file paths, or the whole vault scan."""
    if not options.files:
        return list(scan(vault, config.vaultkit.exclude))
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
    unchanged: list[tuple[NoteFile, NoteReport]] = []
    record: list[tuple[str, int, int, str, str, str]] = []
    summarized: list[tuple[str, str, dict[str, Any]]] = []
    todo: list[NoteFile] = []
    refresh: list[tuple[str, int, int, str, str, str]] = []
    for nf in notes:
        entry = known.get(nf.rel)
        if entry is not None:
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
        fresh, unchanged = _with_vault_steps(runner, combiners, notes, known, unchanged, todo, vault_passes, on_done)
    else:
        fresh = _run_all(runner, todo, vault_passes, on_done)
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


COLLECT_FIRST = 64  # up to this many notes to process, summaries are collected before anything is written


def _with_vault_steps(runner: Runner, combiners: list[Registered], notes: Sequence[NoteFile],
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
        return _run_all(runner, todo + [nf for nf, _ in redo], vault_passes, on_done), unchanged
    runner.extras = {nf.rel: _previous_vault(known[nf.rel]) for nf in todo if nf.rel in known}
    # A note with a block from such a pass but no record of its last vault results (no cache, or a
    # cache lost) might carry some: writing it now would take them out and put them back after.
    runner.hold = frozenset(names)
    fresh = _run_all(runner, todo, vault_passes, on_done)
    runner.hold = frozenset()
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
    redone = _run_all(runner, [nf for nf, _ in redo + again], vault_passes, None)
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
            out[name] = _from_json(data)
        except (KeyError, TypeError, ValueError):
            continue  # an old or odd entry only costs a second write
    return out


def _collect(runner: Runner, todo: list[NoteFile], summaries: dict[str, dict[str, Any]],
             digests: dict[str, str]) -> None:
    """First phase for a few notes: summaries, with structures and results kept for the second."""
    collected = [(nf, runner.collect(nf)) for nf in todo]
    runner.flush()
    for nf, (text_hash, structure, found, results) in collected:
        if structure is not None:
            runner.structures[text_hash] = structure
        runner.memo.update(results)
        for name, summary in found.items():
            summaries[name][nf.rel] = summary
            digests[nf.rel] = text_hash


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
        same = rep.status != "ok" or (not rep.held and _same_vault(vault_json(runner.extras.get(nf.rel, {})),
                                                                   rep.vault_results))
        (keep if same else redo).append((nf, rep))
    return keep, redo


def _run_all(runner: Runner, todo: list[NoteFile], vault_passes: list[Registered],
             on_done: Callable[[NoteReport], None] | None) -> list[tuple[NoteFile, NoteReport]]:
    if not vault_passes:
        if runner.options.jobs > 1 and len(todo) > 50:
            from vaultkit.parallel import run_parallel

            return run_parallel(runner, todo, on_done)
        out = []
        for nf in todo:
            rep = runner.process(nf)
            out.append((nf, rep))
            if on_done:
                on_done(rep)
        return out
    # Vault passes need every note at once: parse all, run them, then finish note by note.
    parsed: list[tuple[NoteFile, NoteReport, bytes | None, Note | None]] = []
    for nf in todo:
        rep, raw, _ = runner.read(nf)
        note = runner.parse(nf, raw, rep) if raw is not None else None
        parsed.append((nf, rep, raw, note))
    notes = [n for *_, n in parsed if n is not None]
    extra: dict[str, dict[str, PassResult]] = {}
    errors: list[Finding] = []
    for p in vault_passes:
        try:
            for path, result in p.impl.analyze_vault(notes, runner.context(p)).items():
                extra.setdefault(path, {})[p.name] = result
        except (Exception, SystemExit) as exc:
            errors.append(pass_error(p, exc))
    out = []
    for nf, rep, raw, note in parsed:
        if note is not None:
            rep = runner.process(nf, extra.get(nf.rel, {}), note, raw)
            rep.findings = [finding_json(f) for f in errors] + rep.findings if note.targets else rep.findings
        out.append((nf, rep))
        if on_done:
            on_done(rep)
    return out
