"""Benchmark: the one-note editor hook, cold start to result, for a note a person just changed.

Usage: python bench/bench_hook.py [--runs N] [--source] [--no-big] [--against PYTHON] [CORPUS]
Two vaults, each copied to a temp folder and run once (so the duplicates pass has its index in
the cache, as it would beside an editor): the sample vault, and CORPUS (default
../shared/corpora/obsidian-help, 6,300 notes) with the sample vault's six-answer note added.
Then, before each of N runs, a note is changed as a person would change it, and a fresh
`python -m vaultkit run VAULT --file NOTE --offline` (every installed pass) is timed to its exit:

- a line appended to a small note, to the 29 KB `ai: true` essay and to the 248 KB generated
  survey (the sample vault);
- a word changed in the first paragraph of an answer of the 34 KB six-answer Perplexity note (in
  both vaults): a paragraph whose references list author initials, which only pysbd can split.

Timings are with Python's bytecode cache, as an installed vaultkit starts; `--source` also times
each sample-vault note without it (PYTHONDONTWRITEBYTECODE=1, no `__pycache__`: every module
compiled from source, as in a sandbox that forbids writing bytecode), in alternating rounds.
`--against PYTHON` times another checkout's vaultkit too (the Python of its venv), on vault copies
and a cache of its own, alternating with this one run by run: an A/B of a change, in one run.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpora" / "obsidian-help"
SIX = "Research/LLM scaling/Diminishing returns — Perplexity chat.md"
APPENDED = ("Edge cases/CRLF note.md", "Research/LLM scaling/Scaling essay — revised draft and AGI chat.md",
            "Research/LLM scaling/Survey of large language models (AutoSurvey).md")
PACKAGES = ("vaultkit", "plugins")


def drop_bytecode() -> None:
    for package in PACKAGES:
        for cache in (ROOT / package).rglob("__pycache__"):
            shutil.rmtree(cache, ignore_errors=True)


def compile_bytecode(env: dict[str, str]) -> None:
    subprocess.run([sys.executable, "-m", "compileall", "-q", *(str(ROOT / p) for p in PACKAGES)],
                   env=env, check=True, stdout=subprocess.DEVNULL)


def append_line(note: Path, i: int) -> None:
    with note.open("a", encoding="utf-8") as fh:
        fh.write(f"\nA person added sentence {i}, which changes the note.\n")


def edit_answer(note: Path, i: int) -> None:
    """Change a word in the first paragraph of the first answer (one a person would retype)."""
    text = note.read_text(encoding="utf-8")
    note.write_text(re.sub(r"performance gains( \(\d+\))?", f"performance gains ({i})", text, count=1), encoding="utf-8")


def hook(vault: Path, note: Path, env: dict[str, str], python: str = sys.executable) -> float:
    start = time.perf_counter()
    subprocess.run([python, "-m", "vaultkit", "run", str(vault), "--file", str(note), "--offline"],
                   env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=vault.parent)
    return time.perf_counter() - start


def prepare(vault: Path, env: dict[str, str], python: str = sys.executable) -> None:
    subprocess.run([python, "-m", "vaultkit", "run", str(vault), "--offline", "--jobs", "0"], env=env,
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=vault.parent)


def compile_other(python: str, env: dict[str, str]) -> None:
    """Bytecode for another checkout's packages, wherever its venv finds them."""
    where = subprocess.run([python, "-c", "import os, vaultkit, vaultkit_plugins as p; "
                            "print(os.path.dirname(vaultkit.__file__)); print(os.path.dirname(p.__file__))"],
                           env=env, check=True, capture_output=True, text=True, cwd=tempfile.gettempdir()).stdout.split()
    subprocess.run([python, "-m", "compileall", "-q", *where], env=env, check=True, stdout=subprocess.DEVNULL)


def report(label: str, times: dict[str, list[float]]) -> None:
    print(f"{label}:")
    for kind, values in times.items():
        if values:
            ms = sorted(v * 1000 for v in values)
            print(f"  {kind:8s}: median {statistics.median(ms):5.0f} ms   min {ms[0]:5.0f}   max {ms[-1]:5.0f}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=9)
    ap.add_argument("--source", action="store_true", help="also time the sample vault's notes compiled from source")
    ap.add_argument("--no-big", action="store_true", help="leave out the 6,300-note vault")
    ap.add_argument("--against", metavar="PYTHON", help="also time another checkout's vaultkit, alternating")
    ap.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        small = Path(tmp) / "small" / "vault"
        shutil.copytree(ROOT / "sample_vault", small)
        envs = {small: {**base, "VAULTKIT_CACHE_DIR": str(Path(tmp) / "small" / "cache")}}
        if not args.no_big:
            big = Path(tmp) / "big" / "vault"
            shutil.copytree(args.corpus, big)
            shutil.copy(ROOT / "sample_vault" / SIX, big / Path(SIX).name)
            envs[big] = {**base, "VAULTKIT_CACHE_DIR": str(Path(tmp) / "big" / "cache")}
        compile_bytecode(base)
        for vault, env in envs.items():
            prepare(vault, env)
        print(f"one-note hook, every installed pass, offline; {args.runs} runs each; the note changed before each run")
        cases: list[tuple[str, Path, Path, Callable[[Path, int], None]]] = [
            (f"{rel} (sample vault)", small, small / rel, append_line) for rel in APPENDED]
        cases.insert(2, (f"{Path(SIX).name}, an answer edited (sample vault)", small, small / SIX, edit_answer))
        if not args.no_big:
            cases.append((f"{Path(SIX).name}, an answer edited ({sum(1 for _ in big.rglob('*.md'))}-note vault)",
                          big, big / Path(SIX).name, edit_answer))
        other: dict[Path, tuple[Path, dict[str, str]]] = {}  # this run's vault -> the other checkout's copy
        if args.against:
            compile_other(args.against, base)
            for vault, env in envs.items():
                copy = Path(tmp) / "against" / vault.parent.name / "vault"
                shutil.copytree(vault.parent / "vault", copy)
                other[vault] = copy, {**env, "VAULTKIT_CACHE_DIR": str(copy.parent / "cache")}
                prepare(*other[vault], args.against)
        for label, vault, note, change in cases:
            env = envs[vault]
            times: dict[str, list[float]] = {"bytecode": [], "source": [], "against": []}
            if vault in other:  # A/B: this checkout and the other one, alternating
                copy, other_env = other[vault]
                twin = copy / note.relative_to(vault)
                for i in range(args.runs * 2):
                    if (i + i // 2) % 2 == 0:  # (changing which goes first)
                        change(note, i)
                        times["bytecode"].append(hook(vault, note, env))
                    else:
                        change(twin, i)
                        times["against"].append(hook(copy, twin, other_env, args.against))
            kinds = ("bytecode", "source") if args.source and vault == small else ("bytecode",)
            for i in range(0 if vault in other else args.runs * len(kinds)):
                kind = kinds[(i + i // 2) % len(kinds)]  # alternate, changing which goes first
                change(note, i)
                if kind == "source":
                    drop_bytecode()
                    times[kind].append(hook(vault, note, {**env, "PYTHONDONTWRITEBYTECODE": "1"}))
                    compile_bytecode(base)  # (untimed) as installed again
                else:
                    times[kind].append(hook(vault, note, env))
            report(f"{label} ({note.stat().st_size / 1000:.0f} KB)", times)
            if times.get("against"):
                ratio = statistics.median(times["bytecode"]) / statistics.median(times["against"])
                print(f"  this / against: {ratio:.3f}")


if __name__ == "__main__":
    main()
