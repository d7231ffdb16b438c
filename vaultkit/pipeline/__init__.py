"""Run passes over notes: scan -> parse -> passes -> render -> write, isolating every failure.

- `run`: a run over notes — the stat cache, the sweep, what is remembered (`iter_reports`, `files_for`);
- `vault_steps`: passes with a `combine` step, and the `Summaries` view it is given (`summaries_view`);
- `sweep`: the notes to do, in order, in worker processes (`parallel`) or with vault passes;
- `runner`: one note, from its bytes to its report and write (`Runner`, `RunOptions`);
- `focus`: `run --line`, the work limited to the answer at the cursor;
- `codec`: pass results as the cache keeps them, and findings as `--json` shows them.

Data flows down this list: each module imports only modules listed after it.
"""

from __future__ import annotations

from vaultkit.report import NoteReport

from .run import files_for, iter_reports
from .runner import Runner, RunOptions
from .vault_steps import COLLECT_FIRST

__all__ = ["COLLECT_FIRST", "NoteReport", "RunOptions", "Runner", "files_for", "iter_reports"]
