"""Benchmark: the one-note editor hook, cold start to result, for a note a person just changed.

Usage: python bench/bench_hook.py [--runs N]
The sample vault is copied to a temp folder and run once (so the duplicates pass has its index
in the cache, as it would beside an editor). Then, for a small, a 20 KB and a 150 KB note, each of
N rounds appends a sentence to the note, as a person would, and times a fresh
`python -m vaultkit run VAULT --file NOTE --offline` (every installed pass) to its exit.

Each note is timed twice, in alternating rounds: with Python's bytecode cache, as an installed
vaultkit starts, and without it (PYTHONDONTWRITEBYTECODE=1 and no `__pycache__` in the package:
every module compiled from source, as in a sandbox that forbids writing bytecode).
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
NOTES = (
    "Edge cases/CRLF note.md",
    "Research/LLM scaling/Scaling essay — revised draft and AGI chat.md",
    "Research/LLM scaling/Survey of large language models (AutoSurvey).md",
)
PACKAGES = ("vaultkit", "plugins")


def drop_bytecode() -> None:
    for package in PACKAGES:
        for cache in (ROOT / package).rglob("__pycache__"):
            shutil.rmtree(cache, ignore_errors=True)


def compile_bytecode(env: dict[str, str]) -> None:
    subprocess.run([sys.executable, "-m", "compileall", "-q", *(str(ROOT / p) for p in PACKAGES)],
                   env=env, check=True, stdout=subprocess.DEVNULL)


def hook(vault: Path, note: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "vaultkit", "run", str(vault), "--file", str(note), "--offline"],
                   env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=9)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        vault = Path(tmp) / "vault"
        shutil.copytree(ROOT / "sample_vault", vault)
        base = {**os.environ, "VAULTKIT_CACHE_DIR": str(Path(tmp) / "cache")}
        with_bytecode = {k: v for k, v in base.items() if k != "PYTHONDONTWRITEBYTECODE"}
        without = {**base, "PYTHONDONTWRITEBYTECODE": "1"}
        subprocess.run([sys.executable, "-m", "vaultkit", "run", str(vault), "--offline"], env=with_bytecode,
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        compile_bytecode(with_bytecode)
        print(f"one-note hook, every installed pass, offline; {args.runs} runs each; a note changed before each run")
        for rel in NOTES:
            note = vault / rel
            times: dict[str, list[float]] = {"bytecode": [], "source": []}
            for i in range(args.runs * 2):
                kind = ("bytecode", "source")[(i + i // 2) % 2]  # alternate, changing which goes first
                with note.open("a", encoding="utf-8") as fh:
                    fh.write(f"\nA person added sentence {i}, which changes the note.\n")
                if kind == "source":
                    drop_bytecode()
                    times[kind].append(hook(vault, note, without))
                    compile_bytecode(with_bytecode)  # (untimed) as installed again
                else:
                    times[kind].append(hook(vault, note, with_bytecode))
            size = note.stat().st_size
            print(f"{rel} ({size / 1000:.0f} KB):")
            for kind, values in times.items():
                ms = sorted(v * 1000 for v in values)
                print(f"  {kind:8s}: median {statistics.median(ms):5.0f} ms   min {ms[0]:5.0f}   max {ms[-1]:5.0f}")


if __name__ == "__main__":
    main()
