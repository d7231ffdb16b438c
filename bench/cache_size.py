"""Benchmark: the cache's size on a vault after a cold run, a `clean` and another run (issue 19, item 4).

Usage: python bench/cache_size.py [VAULT] [--work DIR]
VAULT defaults to ../shared/corpora/obsidian-help, copied to a temp folder (or --work) with
`scope = "notes"` (every note a target, every installed pass), run offline; its cache goes to a folder
of its own. Prints the vault's notes in MB, the cache folder in MB and as a multiple of them, and
`vaultkit cache info`'s table breakdown.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpora" / "obsidian-help"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("vault", nargs="?", type=Path, default=CORPUS)
    ap.add_argument("--work", type=Path)
    args = ap.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="vk-cache-size-"))
    vault, cache = work / "vault", work / "cache"
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(args.vault, vault)
    (vault / ".vaultkit.toml").write_text('[vaultkit]\nscope = "notes"\n', encoding="utf-8")
    env = {**os.environ, "VAULTKIT_CACHE_DIR": str(cache)}
    notes = sum(p.stat().st_size for p in vault.rglob("*.md") if not any(part.startswith(".") for part in p.parts))
    for step in (["run", "--offline"], ["clean"], ["run", "--offline"]):
        subprocess.run([sys.executable, "-m", "vaultkit", *step, str(vault)], env=env, check=False,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    size = sum(p.stat().st_size for p in cache.rglob("*") if p.is_file())
    print(f"vault notes {notes / 1e6:.1f} MB; cache folder {size / 1e6:.1f} MB = {size / notes:.2f}x")
    subprocess.run([sys.executable, "-m", "vaultkit", "cache", "info", str(vault)], env=env, check=False)


if __name__ == "__main__":
    main()
