"""The `vaultkit` command: parse flags, call the core, print, choose the exit code."""

from __future__ import annotations

import gc
import json
import os
import sys
import time
from pathlib import Path
from typing import Any, Sequence

import click

from vaultkit.cli_cache import cache as cache_commands
from vaultkit.cli_cache import vault_root
from vaultkit.errors import ConfigError, VaultkitError
from vaultkit.progress import Progress

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_INTERNAL, EXIT_UNWRITTEN = 0, 1, 2, 3, 4
FEW_NOTES = 64  # a run over at most this many notes keeps the garbage collector off (see `main`)


def _vault_path(vault: str | None, files: Sequence[str]) -> Path:
    """The vault root: the argument, or for --file the nearest folder with .obsidian/ or .vaultkit.toml."""
    if vault is not None:
        return vault_root(vault)
    if files:
        start = Path(files[0]).resolve().parent
        for folder in [start, *start.parents]:
            if (folder / ".obsidian").is_dir() or (folder / ".vaultkit.toml").is_file():
                return folder
        cwd = Path.cwd()
        return cwd if start == cwd or cwd in start.parents else start
    return Path(".")


def _command(mode: str, only: Sequence[str], skip: Sequence[str], files: Sequence[str]) -> str:
    """How `undo --list` names a run."""
    parts = [f"vaultkit {mode}", *(f"--only {n}" for n in only), *(f"--skip {n}" for n in skip)]
    if files:
        parts.append(f"--file {files[0]}" + (f" (+{len(files) - 1})" if len(files) > 1 else ""))
    return " ".join(parts)


def _execute(mode: str, vault: str | None, *, only: Sequence[str] = (), skip: Sequence[str] = (),
             files: Sequence[str] = (), dry_run: bool = False, diff: bool = False, as_json: bool = False,
             offline: bool = False, check: bool = False, fail_on: str = "error", jobs: int = 1,
             config_path: str | None = None, no_cache: bool = False, output: str | None = None,
             line: int | None = None, show_dismissed: bool = False, recheck: bool = False) -> int:
    from vaultkit.cache import Cache, cache_path
    from vaultkit.config import load_config
    from vaultkit.passes import discover, select
    from vaultkit.pipeline import RunOptions, Runner, files_for, iter_reports
    from vaultkit.report import as_json as report_json
    from vaultkit.report import fails, human_summary, problems, text_lines, unwritten
    from vaultkit.write import sweep

    if line is not None and len(files) != 1:
        raise ConfigError("--line needs exactly one --file: the note the cursor is in")
    root = _vault_path(vault, files)
    config = load_config(root, Path(config_path) if config_path else None)
    for f in files:
        if not Path(f).is_file():
            raise ConfigError(f"{f}: no such note")
    installed = discover() if mode == "run" else []
    chosen = select(installed, only, skip, config) if mode == "run" else []
    if jobs == 0:
        jobs = min(os.cpu_count() or 1, 8)
    if recheck and offline:
        raise ConfigError("--recheck asks the network again: it cannot be used with --offline")
    options = RunOptions(mode, dry_run, diff, offline, tuple(Path(f) for f in files), jobs, not no_cache, line, recheck)
    cache = Cache(None if no_cache or mode == "clean" else cache_path(root))
    started = time.monotonic()
    try:
        runner = Runner(root, config, chosen, options, cache, [p.name for p in installed])
        if options.writes and not no_cache:
            runner.journal = cache if cache.db is not None else Cache(cache_path(root))
            runner.run_id = runner.journal.begin_run(_command(mode, only, skip, files))
        debris: list[Path] = []
        notes = files_for(root, config, options, debris)
        swept = sweep(root, debris) if debris and options.writes else 0
        if len(notes) > FEW_NOTES:
            collect_garbage()
        progress = Progress(len(notes))
        reports = iter_reports(runner, notes, progress)
        progress.close()
    finally:
        if "runner" in locals():
            runner.close()
            if runner.run_id is not None:
                runner.flush()  # (a run stopped part way keeps the undo of what it did write)
                runner.journal.end_run(runner.run_id, config.undo.keep_runs, int(config.undo.max_mb * 1e6))
            if runner.journal is not cache:
                runner.journal.close()
        cache.close()
    seconds = time.monotonic() - started
    trouble = cache.trouble or (runner.journal.trouble if runner.journal is not None else "")
    if trouble:
        click.echo(f"vaultkit: the cache could not be used ({trouble}) — this run went on without it", err=True)
    if swept:
        click.echo(f"vaultkit: removed {swept} temp file{'s' if swept != 1 else ''} an interrupted run left in the vault",
                   err=True)
    if as_json or output == "json":
        click.echo(json.dumps(report_json(root, reports), ensure_ascii=False, indent=None))
    elif output == "text":
        for row in text_lines(root, reports, line):
            click.echo(row)
    elif diff:
        for r in reports:
            if r.diff:
                click.echo(r.diff, nl=False)
    if show_dismissed and not (as_json or output == "json"):
        for row in text_lines(root, reports, line, dismissed=True):
            click.echo(row)
    for problem in problems(reports):
        click.echo(problem, err=True)
    unverified = sum(f["data"].get("unverified", 0) for r in reports for f in r.findings
                     if f["kind"] == "network-unavailable")
    if unverified:
        click.echo(f"vaultkit: no network — {unverified} links left unverified (nothing was called dead)", err=True)
    click.echo(human_summary(reports, dry_run or diff, seconds, "cleaned" if mode == "clean" else "written"), err=True)
    ticks = sum(r.dismissed for r in reports if r.changed)
    if mode == "clean" and ticks:
        click.echo(f"vaultkit: the callouts taken out held {ticks} dismissed finding{'s' if ticks != 1 else ''}"
                   f"{'' if dry_run or diff else ' — `vaultkit undo` puts them back'}", err=True)
    failed = unwritten(reports)
    if failed:  # (after every other note was done: the system, not the notes, is what failed)
        click.echo(f"vaultkit: {failed} note{'s' if failed != 1 else ''} could not be written (see above) — exit 4",
                   err=True)
        return EXIT_UNWRITTEN
    if check and fails(reports, fail_on):
        return EXIT_FINDINGS
    return EXIT_OK


class _Line(click.ParamType):
    """A 1-based line number, also given as `LINE:COLUMN` (what editors' caret variables hold)."""

    name = "line"

    def convert(self, value: Any, param: Any, ctx: Any) -> int:
        text = str(value).split(":", 1)[0].strip()
        if not text.isdigit() or int(text) < 1:
            self.fail(f"{value!r} is not a line number (1, 2, … or LINE:COLUMN)", param, ctx)
        return int(text)


LINE = _Line()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="vaultkit")
def cli() -> None:
    """Find AI text in an Obsidian vault, check it, and write the results back into the notes.

    Example: vaultkit run sample_vault
    """


@cli.command()
@click.argument("vault", required=False, type=click.Path(file_okay=False))
@click.option("--only", multiple=True, metavar="NAME", help="Run only this pass (repeatable).")
@click.option("--skip", multiple=True, metavar="NAME", help="Do not run this pass (repeatable).")
@click.option("--file", "files", multiple=True, metavar="PATH", help="Process just this note (repeatable); for editor hooks.")
@click.option("--dry-run", is_flag=True, help="Write nothing; report what would change.")
@click.option("--diff", is_flag=True, help="Print a unified diff of what would change; writes nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the JSON report on stdout.")
@click.option("--format", "output", type=click.Choice(["text", "json"]),
              help="Print findings on stdout: text is one `path:line: severity [pass] message` per finding "
                   "(editors' problem lists), json the same as --json.")
@click.option("--line", type=LINE, metavar="N", help="With one --file: work on and report only the AI answer at "
              "line N, or the nearest above it (an editor's cursor; `N:COLUMN` is accepted); the note's other "
              "answers keep their callouts until the next full run.")
@click.option("--offline", is_flag=True, help="Make no network requests.")
@click.option("--check", is_flag=True, help="Exit 1 when a finding at or above --fail-on exists (for CI).")
@click.option("--fail-on", type=click.Choice(["error", "warning", "info"]), default="error", show_default=True,
              help="Lowest severity that fails --check.")
@click.option("--jobs", "-j", type=click.IntRange(0, 64), default=0, show_default=True,
              help="Worker processes; 0 uses every CPU for vault-wide runs.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="Config file instead of VAULT/.vaultkit.toml.")
@click.option("--no-cache", is_flag=True, help="Neither read nor write the cache.")
@click.option("--recheck", is_flag=True, help="Take every note up again and ask the network anew (links, "
              "papers, sources), whatever the cache holds.")
@click.option("--show-dismissed", is_flag=True, help="List the findings a person dismissed (ticked off in "
              "vaultkit's callouts) on stdout, one `path:line: dismissed [pass] message` each.")
def run(vault: str | None, **kwargs: Any) -> int:

    """Run the passes over a vault (default: the current folder) and write results into the notes.

    Example: vaultkit run ~/Notes --offline --check --fail-on warning
    """
    return _execute("run", vault, **kwargs)


@cli.command()
@click.argument("vault", required=False, type=click.Path(file_okay=False))
@click.option("--file", "files", multiple=True, metavar="PATH", help="Clean just this note (repeatable).")
@click.option("--dry-run", is_flag=True, help="Write nothing; report what would change.")
@click.option("--diff", is_flag=True, help="Print a unified diff of what would change.")
@click.option("--json", "as_json", is_flag=True, help="Print the JSON report on stdout.")
def clean(vault: str | None, **kwargs: Any) -> int:
    """Remove every vaultkit callout and property, restoring the notes byte for byte.

    Example: vaultkit clean ~/Notes --dry-run --diff
    """
    return _execute("clean", vault, **kwargs)


@cli.command()
@click.argument("vault", required=False, type=click.Path(file_okay=False))
@click.option("--only", multiple=True, metavar="NAME", help="Run only this pass (repeatable).")
@click.option("--skip", multiple=True, metavar="NAME", help="Do not run this pass (repeatable).")
@click.option("--offline", is_flag=True, help="Make no network requests.")
@click.option("--quiet-seconds", type=click.FloatRange(0), default=None, metavar="S",
              help="Write only after a note has been unchanged this long (default: [watch] quiet_seconds, 5).")
@click.option("--polling", is_flag=True, help="Poll for changes instead of OS events (WSL, network drives).")
@click.option("--log-format", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="text: a line per action on stderr; json: one JSON object per action on stdout.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="Config file instead of VAULT/.vaultkit.toml.")
@click.option("--no-cache", is_flag=True, help="Neither read nor write the cache.")
def watch(vault: str | None, only: Sequence[str], skip: Sequence[str], offline: bool, quiet_seconds: float | None,
          polling: bool, log_format: str, config_path: str | None, no_cache: bool) -> int:
    """Watch a vault and process each note a moment after it is saved, until Ctrl-C or SIGTERM.

    Example: vaultkit watch ~/Notes --offline --quiet-seconds 2
    """
    import signal
    import threading
    from datetime import datetime

    from vaultkit.config import load_config
    from vaultkit.passes import discover, select
    from vaultkit.pipeline import RunOptions
    from vaultkit.watch import watch as run_watch

    collect_garbage()
    root = _vault_path(vault, ())
    config = load_config(root, Path(config_path) if config_path else None)
    installed = discover()
    chosen = select(installed, only, skip, config)
    options = RunOptions("run", offline=offline, jobs=1, use_cache=not no_cache)
    stop = threading.Event()

    def on_signal(signum: int, _frame: Any) -> None:
        if stop.is_set():
            return
        stop.set()
        log({"action": "stopping", "why": signal.Signals(signum).name})

    def log(record: dict[str, Any]) -> None:
        record = {"time": datetime.now().isoformat(timespec="milliseconds"), **record}
        if log_format == "json":
            click.echo(json.dumps(record, ensure_ascii=False))
            return
        details = [str(record[k]) for k in ("note", "action") if k in record]
        if "why" in record:
            details.append(f"({record['why']})")
        if "ms" in record:
            details.append(f"{record['ms']} ms")
        click.echo(f"{record['time'][11:19]} " + " ".join(details), err=True)

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, on_signal)
    quiet = config.watch.quiet_seconds if quiet_seconds is None else quiet_seconds
    run_watch(root, config, chosen, options, quiet=quiet, polling=polling, log=log, stop=stop,
              installed=[p.name for p in installed])
    log({"action": "stopped"})
    return EXIT_OK


@cli.command()
@click.argument("vault", required=False, type=click.Path(file_okay=False))
@click.option("--list", "listing", is_flag=True, help="Show the runs the journal keeps, newest first.")
def undo(vault: str | None, listing: bool) -> int:
    """Put the notes back as they were before vaultkit's last writing run (run or clean).

    A note a person changed since is left alone and named. Exit 1 when a note could not be restored.
    Example: vaultkit undo ~/Notes --list
    """
    from datetime import datetime

    from vaultkit.cache import Cache, cache_path
    from vaultkit.undo import undo_last

    root = _vault_path(vault, ())
    cache = Cache(cache_path(root))
    try:
        if listing:
            runs = cache.runs()
            if not runs:
                click.echo("vaultkit: the journal is empty — nothing to undo", err=True)
            for rid, started, command, complete, count, size in runs:
                when = datetime.fromtimestamp(started).strftime("%Y-%m-%d %H:%M:%S")
                part = "" if complete else "  (kept only in part: over [undo] max_mb)"
                click.echo(f"{rid:>5}  {when}  {count} notes  {size / 1e6:.2f} MB  {command}{part}")
            return EXIT_OK
        run, done = undo_last(root, cache)
    finally:
        cache.close()
    if run is None:
        click.echo("vaultkit: the journal is empty — nothing to undo (runs with --no-cache keep none)", err=True)
        return EXIT_OK
    for r in done:
        if not r.restored:
            click.echo(f"{r.path}: not restored: {r.reason}", err=True)
    restored = sum(r.restored for r in done)
    click.echo(f"vaultkit: undid run {run}: {restored} notes restored, {len(done) - restored} left as they are", err=True)
    if any(r.system for r in done):
        return EXIT_UNWRITTEN
    return EXIT_OK if restored == len(done) else EXIT_FINDINGS


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print the list as JSON.")
def passes(as_json: bool) -> int:
    """List the installed passes with their versions and where they come from.

    Example: vaultkit passes
    """
    from vaultkit.passes import discover

    found = discover()
    if as_json:
        click.echo(json.dumps([{"name": p.name, "version": p.version, "source": p.source,
                                "scope": "vault" if p.is_vault_pass else "note",
                                "error": str(p.impl) if isinstance(p.impl, BaseException) else None}
                               for p in found]))
        return EXIT_OK
    if not found:
        click.echo("no passes installed", err=True)
    for p in found:
        if isinstance(p.impl, BaseException):
            click.echo(f"{p.name:<12} BROKEN  {p.source}: {type(p.impl).__name__}: {p.impl}")
        else:
            click.echo(f"{p.name:<12} {p.version:<7} {p.source}  {p.description}")
    return EXIT_OK


cli.add_command(cache_commands)


def run_cli(argv: Sequence[str] | None = None) -> int:
    """Run the CLI and return its exit code; never calls sys.exit."""
    try:
        rv = cli.main(args=list(argv) if argv is not None else None, prog_name="vaultkit", standalone_mode=False)
    except click.ClickException as exc:
        exc.show()
        return EXIT_USAGE
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.Abort:
        click.echo("aborted", err=True)
        return 130
    except (ConfigError, VaultkitError) as exc:
        click.echo(f"vaultkit: error: {exc}", err=True)
        return EXIT_USAGE
    except Exception as exc:  # a bug in vaultkit: say so once, never look like --check's exit 1
        import traceback

        traceback.print_exc()
        click.echo(f"vaultkit: internal error: {type(exc).__name__}: {exc} — please report it", err=True)
        return EXIT_INTERNAL
    return rv if isinstance(rv, int) else EXIT_OK


def collect_garbage() -> None:
    """The collector back on for a long run or the daemon, what start-up made frozen out of its scans."""
    if not gc.isenabled():
        gc.freeze()
        gc.enable()


def main() -> None:
    """Console-script entry point."""
    # Start-up makes objects that live to the exit (modules, compiled patterns, a note's parse):
    # an editor hook on one note spent 10 ms collecting, nothing found. Long runs turn it back on.
    gc.disable()
    sys.exit(run_cli())
