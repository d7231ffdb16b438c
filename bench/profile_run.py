"""Profile: where a cold run's CPU goes, per pass and per phase, over a vault in both scopes (issue 20).

Usage: python bench/profile_run.py [VAULT] [--scope default|notes|both] [--runs N] [--rate HZ]
Needs py-spy (`pip install py-spy`): a sampling profiler, whose overhead is a few per cent, where
cProfile's made the run 7.6 times slower and weighed Python-heavy code far above numpy.

VAULT defaults to ../shared/corpora/obsidian-help, copied to a temp folder for each run. A run is
`vaultkit run VAULT --offline --jobs 1` in a fresh process (cold cache): `default` takes the
corpus's own callout types as targets (as `bench_run.py` does), `notes` makes every note a target.
Each is timed N times unprofiled (CPU and wall, medians) and sampled once by py-spy; a bare
markdown-it parse of the same files is the baseline.

Per pass: the samples under its `analyze` or `combine` (a step one pass memoises for another counts
for the pass that ran it first). Per phase: each sample goes to the innermost frame whose file names
a phase (markdown-it: parse; pysbd: segment; sqlite3 and zlib calls: cache I/O...); code that serves
every phase (regular expressions, numpy's Python side, json) counts for the phase that called it.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
from bench_run import CALLOUT_TYPES, DEFAULT_VAULT, bare_parse, notes  # noqa: E402

# (file path fragment, phase): the innermost frame whose file matches names a sample's phase
PHASES = [
    ("<frozen importlib", "import"), ("/re/_parser.py", "import"), ("/re/_compiler.py", "import"),
    ("/markdown_it/", "parse"), ("/mdit_py_plugins/", "parse"), ("vaultkit/markdown.py", "parse"),
    ("vaultkit/note.py", "parse"), ("vaultkit/blocks.py", "parse"), ("/frontmatter/", "parse"), ("/yaml/", "parse"),
    ("/pysbd/", "segment"), ("text/sentences.py", "segment"), ("text/prose.py", "segment"),
    ("text/units.py", "segment"), ("text/headings.py", "segment"), ("text/asides.py", "segment"),
    ("text/worthy", "score"), ("text/claims.py", "score"), ("text/shape.py", "score"), ("/claims/", "score"),
    ("text/language.py", "score"),
    ("/duplicates/", "hash"), ("/summaries/", "summarise"), ("/citations/", "citations"),
    ("text/reference", "citations"), ("text/scholar", "citations"), ("/support/", "support"), ("/stats.py", "stats"),
    ("vaultkit/render.py", "render"), ("vaultkit/answer.py", "render"), ("vaultkit/managed.py", "render"),
    ("vaultkit/snippets", "render"), ("text/quoting.py", "render"), ("vaultkit/report.py", "render"),
    ("vaultkit/write.py", "write"), ("vaultkit/undo.py", "write"), ("/difflib.py", "write"),
    ("vaultkit/cache", "cache I/O"), ("vaultkit/packing.py", "cache I/O"), ("pipeline/codec.py", "cache I/O"),
    ("/json/", "cache I/O"),
    ("vaultkit/vault.py", "read"), ("/pathlib.py", "read"),
]
OTHER = "other (the runner, CLI, collector)"


def phase_of(frame: str) -> str | None:
    """The phase a stack frame (`func (path:line)`) names, or None for code every phase uses."""
    path = "/" + frame[frame.rfind("(") + 1:].rsplit(":", 1)[0].replace(os.sep, "/")
    return next((p for frag, p in PHASES if frag in path), None)


def pass_of(frames: list[str]) -> str | None:
    """The pass whose `analyze` or `combine` a stack is in (outermost first), or None."""
    for frame in frames:
        name = frame.split(" (", 1)[0]
        if name.endswith((".analyze", ".combine")) and "plugins/" in frame:
            path = Path(frame[frame.rfind("(") + 1:].rsplit(":", 1)[0])
            return path.stem if path.parent.name == "plugins" else path.parent.name
    return None


def read_stacks(raw: Path, rate: int) -> tuple[dict[str, float], dict[str, float], float]:
    """(seconds by phase, seconds by pass, total seconds) from py-spy's raw output."""
    phases: dict[str, float] = {}
    passes: dict[str, float] = {}
    total = 0.0
    for line in raw.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        seconds = int(count) / rate
        frames = stack.split(";")
        total += seconds
        phase = next((p for p in map(phase_of, reversed(frames)) if p), OTHER)
        phases[phase] = phases.get(phase, 0.0) + seconds
        owner = pass_of(frames)
        if owner:
            passes[owner] = passes.get(owner, 0.0) + seconds
    return phases, passes, total


def one_run(source: Path, config: str, spy: list[str] | None = None) -> tuple[float, float]:
    """A cold `run --offline --jobs 1` of a fresh copy in a fresh process: (CPU s, wall s)."""
    with tempfile.TemporaryDirectory() as tmp:
        vault = Path(tmp) / "vault"
        shutil.copytree(source, vault)
        (vault / ".vaultkit.toml").write_text(config, encoding="utf-8")
        env = {**os.environ, "VAULTKIT_CACHE_DIR": str(Path(tmp) / "cache")}
        cmd = [sys.executable, "-m", "vaultkit", "run", str(vault), "--offline", "--jobs", "1"]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run([*(spy or []), *cmd], env=env, cwd=tmp, check=False,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), wall


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("vault", nargs="?", type=Path, default=DEFAULT_VAULT)
    ap.add_argument("--scope", choices=("default", "notes", "both"), default="both")
    ap.add_argument("--runs", type=int, default=3, help="unprofiled runs for the CPU and wall figures (medians)")
    ap.add_argument("--rate", type=int, default=200, help="py-spy's samples per second")
    args = ap.parse_args()
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(spy).exists():
        raise SystemExit("profile_run.py needs py-spy: pip install py-spy")
    configs = {
        "default": "[vaultkit]\ncallout_types = [" + ", ".join(f'"{t}"' for t in CALLOUT_TYPES) + "]\n",
        "notes": '[vaultkit]\nscope = "notes"\n',
    }
    scopes = ["default", "notes"] if args.scope == "both" else [args.scope]
    paths = notes(args.vault)
    cpu0 = time.process_time()
    bare_wall = bare_parse(paths)
    bare_cpu = time.process_time() - cpu0
    print(f"vault: {args.vault} ({len(paths)} notes); bare markdown-it parse: {bare_cpu:.2f} s CPU, {bare_wall:.2f} s wall")
    sys.stdout.flush()
    for scope in scopes:
        timed = [one_run(args.vault, configs[scope]) for _ in range(args.runs)]
        cpu = statistics.median(c for c, _ in timed)
        wall = statistics.median(w for _, w in timed)
        with tempfile.TemporaryDirectory() as tmp:
            raw = Path(tmp) / "stacks.txt"
            one_run(args.vault, configs[scope], [spy, "record", "--format", "raw", "--rate", str(args.rate),
                                                 "--output", str(raw), "--"])
            phases, passes, total = read_stacks(raw, args.rate)
        print(f"\nscope {scope}: {cpu:.2f} s CPU, {wall:.2f} s wall (medians of {args.runs}: "
              f"{', '.join(f'{c:.1f}' for c, _ in timed)} s CPU) = {cpu / bare_cpu:.2f}x the bare parse's CPU, "
              f"{wall / bare_wall:.2f}x its wall; sampled {total:.1f} s")
        print("  per pass (analyze + combine), of the sampled time:")
        for name, t in sorted(passes.items(), key=lambda kv: -kv[1]):
            print(f"    {name:<12} {t:7.2f} s  {t / total:6.1%}")
        print("  per phase:")
        for name, t in sorted(phases.items(), key=lambda kv: -kv[1]):
            print(f"    {name:<36} {t:7.2f} s  {t / total:6.1%}")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
