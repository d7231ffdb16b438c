"""Benchmark: CPU seconds of each installed pass's `analyze` over a fixed sample of a vault's notes.

Usage: python bench/pass_cpu.py [VAULT] [--notes N] [--rounds R]
VAULT defaults to ../shared/corpora/obsidian-help; every note is a target (`scope = "notes"`). The
same N notes (a seeded sample) are parsed and run through every pass R times in this process; each
pass's best round is reported. Run it with two checkouts' Pythons, alternating, for an A/B of a
change: process time, unlike a whole run's wall time, is steady to a few per cent on this machine.
"""

from __future__ import annotations

import argparse
import random
import time
from pathlib import Path

from vaultkit.config import VaultConfig
from vaultkit.note import parse_note
from vaultkit.passes import Context, discover
from vaultkit.vault import scan

DEFAULT_VAULT = Path(__file__).resolve().parents[1].parent / "shared" / "corpora" / "obsidian-help"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("vault", nargs="?", type=Path, default=DEFAULT_VAULT)
    ap.add_argument("--notes", type=int, default=1200)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    config = VaultConfig(scope="notes")
    files = sorted(scan(args.vault), key=lambda nf: nf.rel)
    files = random.Random(7).sample(files, min(args.notes, len(files)))
    raws = [(nf.rel, nf.path.read_bytes()) for nf in files]
    passes = [p for p in discover() if not isinstance(p.impl, BaseException)]
    names = frozenset(p.name for p in passes)
    best: dict[str, float] = {}
    for _ in range(args.rounds):
        spent = dict.fromkeys(best or (p.name for p in passes), 0.0)
        for rel, raw in raws:
            try:
                note = parse_note(raw, rel, config, names, names)
            except Exception:  # (bad input is the pipeline's business, not this benchmark's)
                continue
            for p in passes:
                start = time.process_time()
                p.impl.analyze(note, Context(args.vault))
                spent[p.name] += time.process_time() - start
        best = {name: min(best.get(name, spent[name]), spent[name]) for name in spent}
    print(" ".join(f"{name}={seconds:.2f}" for name, seconds in best.items()), f"total={sum(best.values()):.2f}")


if __name__ == "__main__":
    main()
