"""The corpus round trip, as a check of a change that must not change results: cold run, cached and
`--no-cache` re-runs, `clean`, with every finding kept for comparison with another version's run.

Usage:
  python bench/roundtrip.py WORK [--vault VAULT] [--stop-written]
  python bench/roundtrip.py WORK --resume
  python bench/roundtrip.py --compare A.json B.json

The vault (default ../shared/corpora/obsidian-help) is copied to WORK/vault with `scope = "notes"`
(every note a target, all installed passes) and run offline with its cache in WORK/cache: cold, then
cached, then `--no-cache`, then `clean`, and the files are compared with the source vault. Each run's
findings go to WORK/<run>.json (cold.json, cached.json, nocache.json), for `--compare` with another
version's. `--stop-written` stops after the cold run, leaving the written vault and its cache, so
that another checkout of vaultkit can `--resume` on them: an existing user's notes and cache, carried
over a change. Run it with the Python of the checkout to be checked (`.venv/bin/python`).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_VAULT = ROOT.parent / "shared" / "corpora" / "obsidian-help"


def vaultkit(work: Path, *args: str) -> tuple[dict[str, Any], float]:
    """One `vaultkit ... --json` in a fresh process of this Python, with WORK's cache."""
    env = {**os.environ, "VAULTKIT_CACHE_DIR": str(work / "cache")}
    start = time.perf_counter()
    # (in WORK: `-m vaultkit` run inside a checkout would import that checkout's vaultkit, not this Python's)
    done = subprocess.run([sys.executable, "-m", "vaultkit", *args, "--json"], env=env, capture_output=True, text=True,
                          cwd=work)

    took = time.perf_counter() - start
    if done.returncode not in (0, 1):
        sys.exit(f"vaultkit {' '.join(args)} exited {done.returncode}: {done.stderr[-2000:]}")
    return json.loads(done.stdout), took


def findings(doc: dict[str, Any]) -> dict[str, list[list[Any]]]:
    """Every note's findings, in a form two versions' runs can be compared in."""
    return {n["path"]: [[f["pass"], f["kind"], f["severity"], f["line"], f["end_line"], f["message"], f["data"]]
                        for f in n["findings"]] for n in doc["notes"]}


def compare(expected: dict[str, list[list[Any]]], got: dict[str, list[list[Any]]]) -> int:
    """Print where two runs' findings differ; returns how many notes do."""
    differ = sorted(p for p in set(expected) | set(got) if expected.get(p) != got.get(p))
    for path in differ[:5]:
        print(f"  findings differ: {path}")
    print(f"  {len(differ)} of {len(expected)} notes' findings differ")
    return len(differ)


def load(path: Path) -> dict[str, list[list[Any]]]:
    return json.loads(path.read_text(encoding="utf-8"))


def save(path: Path, doc: dict[str, Any]) -> dict[str, list[list[Any]]]:
    found = findings(doc)
    path.write_text(json.dumps(found, sort_keys=True), encoding="utf-8")
    return found


def line(label: str, doc: dict[str, Any], took: float) -> None:
    s = doc["summary"]
    print(f"{label}: {took:.1f} s, {s['notes']} notes, {s['written']} written, findings {s['findings']}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("work", type=Path, nargs="?")
    ap.add_argument("--vault", type=Path, default=DEFAULT_VAULT)
    ap.add_argument("--jobs", default="2")
    ap.add_argument("--stop-written", action="store_true")
    ap.add_argument("--resume", action="store_true")
    ap.add_argument("--compare", type=Path, nargs=2, metavar=("A", "B"))
    args = ap.parse_args()
    if args.compare:
        return 1 if compare(load(args.compare[0]), load(args.compare[1])) else 0
    work: Path = args.work.resolve()
    vault = work / "vault"
    run = ["run", str(vault), "--offline", "--jobs", args.jobs]
    failed = 0
    if not args.resume:
        if work.exists():
            shutil.rmtree(work)
        shutil.copytree(args.vault, vault)
        os.system(f"chmod -R u+w '{vault}'")
        (vault / ".vaultkit.toml").write_text('[vaultkit]\nscope = "notes"\n', encoding="utf-8")
        cold, took = vaultkit(work, *run)
        line("cold", cold, took)
        save(work / "cold.json", cold)
        if args.stop_written:
            return 0
    runs = {}
    for label, extra in (("cached", ()), ("nocache", ("--no-cache",))):
        doc, took = vaultkit(work, *run, *extra)
        line(label, doc, took)
        failed += doc["summary"]["written"] != 0
        runs[label] = save(work / f"{label}.json", doc)
    print("cached against --no-cache:")
    failed += compare(runs["nocache"], runs["cached"]) != 0
    doc, took = vaultkit(work, "clean", str(vault))
    line("clean", doc, took)
    originals = sorted(p.relative_to(args.vault).as_posix() for p in args.vault.rglob("*") if p.is_file())
    copies = sorted(p.relative_to(vault).as_posix() for p in vault.rglob("*") if p.is_file())
    extra_files = sorted(set(copies) - set(originals) - {".vaultkit.toml"})
    different = [rel for rel in originals if (args.vault / rel).read_bytes() != (vault / rel).read_bytes()]
    print(f"after clean: {len(different)} files differ from the source vault, {len(extra_files)} left over")
    failed += bool(different) + bool(extra_files)
    print("OK" if not failed else "FAILED")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
