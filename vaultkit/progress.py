"""The progress line of a long run on a terminal: part of the CLI, the only layer that prints."""

from __future__ import annotations

import sys
import time
from typing import Any

import click


class Progress:
    """A progress line on stderr, only on a terminal and only once a run passes ~1 s."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.done = 0
        self.start = time.monotonic()
        self.last = 0.0
        self.shown = False
        self.enabled = sys.stderr.isatty() and total > 1

    def __call__(self, _report: Any) -> None:
        self.done += 1
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self.start < 1.0 or (now - self.last < 0.1 and self.done < self.total):
            return
        self.last = now
        self.shown = True
        width = 30
        filled = int(width * self.done / max(self.total, 1))
        click.echo(f"\r[{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total} notes", err=True, nl=False)

    def close(self) -> None:
        """Clear the progress line before the summary."""
        if self.shown:
            click.echo("\r" + " " * 60 + "\r", err=True, nl=False)
