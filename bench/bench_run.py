"""Benchmark: bare markdown-it parse vs `vaultkit run --offline` (cold) vs a no-op re-run.

Usage: python bench/bench_run.py [VAULT] [--runs N] [--jobs N] [--against PYTHON]
VAULT defaults to ../shared/corpora/obsidian-help. The vault is copied to a temp
folder for each cold run (the source is never written); each figure is the
median of N runs, all measured in this one process on the same files.
`--against PYTHON` also runs another checkout's vaultkit (the Python of its venv) in
every round, the two taking turns to go first: an A/B of a change, in one run.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_VAULT = ROOT.parent / "shared" / "corpora" / "obsidian-help"
# The corpus's own callout types, so its thousands of callouts are all targets.
CALLOUT_TYPES = [
    "note", "tip", "info", "warning", "todo", "example", "danger", "abstract", "question", "hint",
    "important", "faq", "success", "compatibility", "quote", "failure", "bug", "summary", "error", "done",
]


def notes(vault: Path) -> list[Path]:
    from vaultkit.vault import scan

    return [nf.path for nf in scan(vault)]


def fresh_copy(source: Path, vault: Path) -> None:
    """A writable copy of the vault, flushed, so its writeback does not land inside vaultkit's fsyncs."""
    shutil.copytree(source, vault)
    os.system(f"chmod -R u+w '{vault}'")
    os.sync()


def bare_parse(paths: list[Path]) -> float:
    """Baseline: read + decode + markdown-it commonmark parse (inline rules on) of every note."""
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark")
    start = time.perf_counter()
    for p in paths:
        md.parse(p.read_bytes().decode("utf-8", "replace"))
    return time.perf_counter() - start


def vaultkit_run(vault: Path, cache: Path, config: Path, jobs: int, extra: tuple[str, ...] = (),
                 python: str = sys.executable) -> float:
    env = {**os.environ, "VAULTKIT_CACHE_DIR": str(cache)}
    cmd = [python, "-m", "vaultkit", "run", str(vault), "--offline", "--config", str(config), "--jobs", str(jobs), *extra]
    start = time.perf_counter()
    # (run outside any checkout: `-m vaultkit` in one would import that folder's vaultkit, not PYTHON's)
    subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=cache.parent)
    return time.perf_counter() - start



def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("vault", nargs="?", default=str(DEFAULT_VAULT))
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--against", metavar="PYTHON", help="another checkout's Python, timed in the same rounds")
    args = ap.parse_args()
    source = Path(args.vault)
    if not source.is_dir():
        sys.exit(f"{source}: no such vault")
    paths = notes(source)
    size = sum(p.stat().st_size for p in paths)
    bare, cold, noop = [], [], []
    other_cold: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "bench.toml"
        config.write_text("[vaultkit]\ncallout_types = [" + ", ".join(f'"{t}"' for t in CALLOUT_TYPES) + "]\n")
        for i in range(args.runs):
            bare.append(bare_parse(paths))
            pythons = [sys.executable, *([args.against] if args.against else [])]
            for python in (pythons if i % 2 == 0 else pythons[::-1]):
                vault = Path(tmp) / f"vault{i}"
                fresh_copy(source, vault)
                cache = Path(tmp) / f"cache{i}-{len(other_cold)}-{python == sys.executable}"
                took = vaultkit_run(vault, cache, config, args.jobs, python=python)
                if python == sys.executable:
                    cold.append(took)
                    noop.append(vaultkit_run(vault, cache, config, args.jobs, python=python))
                else:
                    other_cold.append(took)
                shutil.rmtree(vault)
    b, c, n = (statistics.median(x) for x in (bare, cold, noop))
    print(f"vault: {source} ({len(paths)} notes, {size / 1e6:.1f} MB), runs: {args.runs}, jobs: {args.jobs}")
    print(f"bare markdown-it commonmark parse : median {b:6.2f} s  (runs: {', '.join(f'{x:.2f}' for x in bare)})")
    print(f"vaultkit run --offline, cold cache: median {c:6.2f} s  (runs: {', '.join(f'{x:.2f}' for x in cold)})  = {c / b:.2f}x bare parse")
    print(f"vaultkit run --offline, no-op rerun: median {n:6.2f} s  (runs: {', '.join(f'{x:.2f}' for x in noop)})  = {n / c:.1%} of cold")
    if other_cold:
        o = statistics.median(other_cold)
        print(f"against {args.against}, cold cache: median {o:6.2f} s  (runs: {', '.join(f'{x:.2f}' for x in other_cold)})"
              f"  = {o / b:.2f}x bare parse; this / against = {c / o:.2f}")



if __name__ == "__main__":
    main()
