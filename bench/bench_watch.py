"""Benchmark: `vaultkit watch` latency from a save to the result written, quiet period 0.

Usage: python bench/bench_watch.py [--saves N] [--small N] [VAULT]
Two vaults, each copied to a temp folder: the first N notes (default 100) of VAULT (default
../shared/corpora/obsidian-help), and all of it. Each gets the same 20 KB note with an `[!ai]`
answer (the sample vault's scaling essay). The daemon runs in this process with every installed
pass, offline; after its first run, the note is saved N times (default 200), each save changing a
sentence with a figure in the answer, so that the result changes, and the time from the write to the daemon's
`written` log record is taken. Prints p50 and p99 per vault and the ratio large / small.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from vaultkit.config import Config
from vaultkit.passes import discover, select
from vaultkit.pipeline import RunOptions
from vaultkit.vault import scan
from vaultkit.watch import watch

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_VAULT = ROOT.parent / "shared" / "corpora" / "obsidian-help"
NOTE = ROOT / "sample_vault" / "Research" / "LLM scaling" / "Scaling essay — revised draft and AGI chat.md"


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


def measure(vault: Path, saves: int) -> tuple[list[float], float]:
    """Latencies (ms) of `saves` saves of the 20 KB note, and the first run's seconds."""
    note = vault / "bench-note.md"
    text = NOTE.read_text(encoding="utf-8")
    note.write_text(text, encoding="utf-8")
    written: list[float] = []
    started = threading.Event()
    first: dict[str, float] = {}

    def log(record: dict[str, Any]) -> None:
        now = time.perf_counter()
        if record.get("action") == "started":
            first["ms"] = float(record["ms"])
            started.set()
        elif record.get("note") == "bench-note.md" and record.get("action") == "written":
            written.append(now)

    stop = threading.Event()
    passes = select(discover(), [], [], Config())
    thread = threading.Thread(target=watch, args=(vault, Config(), passes, RunOptions(offline=True)),
                              kwargs={"quiet": 0.0, "polling": False, "log": log, "stop": stop}, daemon=True)
    thread.start()
    assert started.wait(600), "the daemon did not start"
    time.sleep(0.5)  # the first run's own writes settle
    latencies = []
    header = "> [!ai]+ AI\n"
    assert header in text
    marker = header  # a sentence with a figure, added to the answer and changed on every save
    for i in range(saves):
        before = len(written)
        current = note.read_text(encoding="utf-8")
        added = f"{header}> Measured throughput was {1000 + i} tokens per second on the test machine.\n"
        saved = time.perf_counter()
        note.write_text(current.replace(marker, added, 1), encoding="utf-8")
        marker = added
        deadline = saved + 30
        while len(written) == before and time.perf_counter() < deadline:
            time.sleep(0.001)
        if len(written) > before:
            latencies.append((written[before] - saved) * 1000)
        time.sleep(0.05)  # the echo of vaultkit's own write passes
    stop.set()
    thread.join(30)
    return latencies, first["ms"] / 1000


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("vault", nargs="?", default=str(DEFAULT_VAULT))
    ap.add_argument("--saves", type=int, default=200)
    ap.add_argument("--small", type=int, default=100)
    args = ap.parse_args()
    source = Path(args.vault)
    if not source.is_dir():
        sys.exit(f"{source}: no such vault")
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["VAULTKIT_CACHE_DIR"] = str(Path(tmp) / "cache")
        small = Path(tmp) / "small"
        for nf in list(scan(source))[:args.small]:
            (small / nf.rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(nf.path, small / nf.rel)
        large = Path(tmp) / "large"
        shutil.copytree(source, large)
        for name, vault in (("small", small), ("large", large)):
            notes = sum(1 for _ in scan(vault)) + 1
            latencies, first = measure(vault, args.saves)
            results[name] = latencies
            print(f"{name:5} ({notes} notes, first run {first:.1f} s): {len(latencies)}/{args.saves} saves written, "
                  f"p50 {percentile(latencies, 50):.1f} ms, p99 {percentile(latencies, 99):.1f} ms, "
                  f"mean {statistics.mean(latencies):.1f} ms", flush=True)
    ratio = percentile(results["large"], 50) / percentile(results["small"], 50)
    print(f"large / small at p50: {ratio:.2f}x")


if __name__ == "__main__":
    main()
