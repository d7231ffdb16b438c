"""What a reader gets: run vaultkit on a copy of a vault and measure what it added to the notes.

Usage: python bench/reader_view.py [VAULT] [--python PY] [-- RUN ARGS]   (VAULT: sample_vault)

`--python` runs another checkout's vaultkit (the Python of its venv); the measuring is this one's.

Reports, over the notes vaultkit wrote: how much they grew, managed callouts per AI target, the most
`vaultkit_*` properties on one note, backslashes in managed callouts and how many of them are
needless (the line renders the same without it, through the Obsidian reading parser), heading links
that do not open exactly one heading, and lists that name one link twice.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from reader_checks import measure  # noqa: E402
from vaultkit.config import load_config  # noqa: E402


def main() -> int:
    args = sys.argv[1:]
    extra = args[args.index("--") + 1:] if "--" in args else []
    args = args[:args.index("--")] if "--" in args else args
    python = sys.executable
    if "--python" in args:
        python = args.pop(args.index("--python") + 1)
        args.remove("--python")
    vault = Path(args[0]) if args else ROOT / "sample_vault"
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "vault"
        shutil.copytree(vault, copy)
        env = {**os.environ, "VAULTKIT_CACHE_DIR": str(Path(tmp) / "cache")}
        done = subprocess.run([python, "-m", "vaultkit", "run", str(copy), "--offline", "--json", *extra],
                              env=env, capture_output=True, text=True, cwd=tmp)
        doc = json.loads(done.stdout)
        ok = [n["path"] for n in doc["notes"] if n["status"] == "ok"]
        seen = measure(vault, copy, ok, load_config(copy))
        print(f"{len(doc['notes'])} notes, {seen.targets} AI targets; written {doc['summary']['written']}")
        for line in seen.lines():
            print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
