"""A sweep over the notes a run has to do, each processed and written once, in order."""

from __future__ import annotations

from typing import Callable

from vaultkit.note import Note
from vaultkit.passes import Finding, PassResult, Registered, pass_error
from vaultkit.report import NoteReport
from vaultkit.vault import NoteFile

from .codec import finding_json
from .runner import Runner


def run_all(runner: Runner, todo: list[NoteFile], vault_passes: list[Registered],
            on_done: Callable[[NoteReport], None] | None) -> list[tuple[NoteFile, NoteReport]]:
    """Process notes, in order: in this process, in worker processes for many, or all parsed at
    once first when a vault pass (`analyze_vault`) needs every note."""
    if not vault_passes:
        if runner.options.jobs > 1 and len(todo) > 50:
            from .parallel import run_parallel

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
