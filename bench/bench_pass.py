"""Benchmark: what one pass adds to the foundation's cold offline run, every note a target.

Usage: python bench/bench_pass.py PASS [VAULT] [--runs N] [--jobs N] [--with OTHER ...]
Each round copies the vault twice and runs, cold and offline with `scope = "notes"`,
`--only stats` (the foundation's run: the baseline) and `--only stats --only PASS`, in
alternating order so drift on a noisy machine hits both. Prints medians and the ratio.
`--with OTHER` adds a pass to both sides (what PASS adds to a run that has OTHER already).
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import tempfile
from pathlib import Path

from bench_run import DEFAULT_VAULT, fresh_copy, vaultkit_run


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("name")
    ap.add_argument("vault", nargs="?", default=str(DEFAULT_VAULT))
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--with", dest="others", action="append", default=[], metavar="OTHER")
    args = ap.parse_args()
    source = Path(args.vault)
    if not source.is_dir():
        sys.exit(f"{source}: no such vault")
    runs: dict[str, list[float]] = {"base": [], "pass": []}
    cpu: dict[str, list[float]] = {"base": [], "pass": []}
    baseline = ("--only", "stats", *(x for other in args.others for x in ("--only", other)))
    extra = {"base": baseline, "pass": (*baseline, "--only", args.name)}
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "notes.toml"
        config.write_text('[vaultkit]\nscope = "notes"\n')
        for i in range(args.runs):
            for kind in (("base", "pass") if i % 2 == 0 else ("pass", "base")):
                vault = Path(tmp) / f"{kind}{i}"
                fresh_copy(source, vault)
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                runs[kind].append(vaultkit_run(vault, Path(tmp) / f"cache-{kind}{i}", config, args.jobs, extra[kind]))
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                cpu[kind].append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    base, with_pass = statistics.median(runs["base"]), statistics.median(runs["pass"])
    print(f"vault: {source}, runs: {args.runs}, jobs: {args.jobs}, scope = notes")
    print(f"--only stats {''.join('+ ' + o + ' ' for o in args.others):10s}: median {base:6.2f} s  (runs: {', '.join(f'{x:.2f}' for x in runs['base'])})")
    print(f"--only stats {''.join('+ ' + o + ' ' for o in args.others)}+ {args.name:10s}: median {with_pass:6.2f} s  (runs: {', '.join(f'{x:.2f}' for x in runs['pass'])})")
    print(f"{args.name} adds {with_pass / base - 1:+.1%} to the {'run with ' + ', '.join(args.others) if args.others else 'foundation' + chr(39) + 's'} cold run (medians)")
    pairs = [p / b - 1 for p, b in zip(runs["pass"], runs["base"])]
    print(f"per round (same round's baseline): median {statistics.median(pairs):+.1%}  "
          f"({', '.join(f'{x:+.0%}' for x in pairs)})")
    cb, cp = statistics.median(cpu["base"]), statistics.median(cpu["pass"])
    print(f"CPU seconds (user+sys, all processes): {cb:.1f} -> {cp:.1f}, {cp / cb - 1:+.1%}")


if __name__ == "__main__":
    main()
