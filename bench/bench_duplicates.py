"""Benchmark: duplicate-section search over synthetic sections with planted near-duplicates.

Usage: python bench/bench_duplicates.py [--sizes 1000,10000,100000] [--runs 3] [--linear-vocabulary]
Each size runs in a fresh process (so its peak memory is its own). Sections are 40-300 words
from a Zipf vocabulary of 20k words, grouped in topics of 300 words each (as many topics as
half the square root of the number of sections, so the vocabulary grows as Heaps' law has it:
real text keeps meeting new words, ever more slowly), each topic's words frequent in its sections (so unrelated
sections on one topic share many words but few shingles: the hard negatives). 5 % of the
sections are planted copies of another section: a light edit (1-15 % of the words replaced,
inserted or deleted) or an excerpt (50-150 words of a longer section, lightly edited). A planted
pair counts for recall when its exact containment reaches the threshold; every reported pair
that is not planted is a false positive. Prints, per size: shingling, signatures, index build
(LSH candidates + exact checks), peak memory, planted pairs found, other pairs, and the median
time of an incremental update after one changed note (5 sections) on the built index.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
THRESHOLD = 0.7
LINEAR_VOCABULARY = False


def generate(n: int, seed: int = 7) -> tuple[list[list[str]], list[tuple[int, int]]]:
    """`n` sections as word lists, and the planted (original, copy) pairs."""
    rng = random.Random(seed)
    common = [f"w{i}" for i in range(20000)]
    weights = [1 / (i + 1) for i in range(len(common))]
    # Vocabulary grows like the square root of the text (Heaps' law), not in proportion to it:
    # 50 topics at 10k sections, 158 at 100k (`--linear-vocabulary`: n / 200 topics, 500 at 100k).
    count = max(n // 200, 5) if LINEAR_VOCABULARY else max(round(n ** 0.5 / 2), 5)
    topics = [[f"t{t}_{i}" for i in range(300)] for t in range(count)]
    sections: list[list[str]] = []
    planted: list[tuple[int, int]] = []
    originals = int(n * 0.95)
    for _ in range(originals):
        topic = rng.choice(topics)
        length = rng.randint(40, 300)
        words = rng.choices(common, weights, k=length)
        for i in rng.sample(range(length), length // 4):  # a quarter of the words from the topic
            words[i] = rng.choice(topic)
        sections.append(words)
    while len(sections) < n:
        src = rng.randrange(originals)
        base = sections[src]
        if len(base) >= 120 and rng.random() < 0.3:  # an excerpt pasted elsewhere
            size = rng.randint(50, min(150, len(base) - 20))
            start = rng.randrange(len(base) - size)
            copy = base[start:start + size]
            rate = rng.uniform(0.0, 0.05)
        else:
            copy = list(base)
            rate = rng.uniform(0.01, 0.15)
        for _ in range(int(len(copy) * rate)):
            i = rng.randrange(len(copy))
            op = rng.random()
            if op < 0.6:
                copy[i] = rng.choices(common, weights)[0]
            elif op < 0.8:
                copy.insert(i, rng.choices(common, weights)[0])
            elif len(copy) > 41:
                del copy[i]
        planted.append((src, len(sections)))
        sections.append(copy)
    return sections, planted


def measure(n: int) -> dict[str, float]:
    """One size, in this process."""
    sys.path.insert(0, str(ROOT))
    from vaultkit_plugins.duplicates import _minhash as mh
    from vaultkit_plugins.duplicates._index import Index, Unit

    sections, planted = generate(n)
    mh._numpy()
    import gc

    gc.collect()
    gc.freeze()  # the generated input is not the engine's garbage: keep collections from re-scanning it
    input_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # the words as Python strings
    t0 = time.perf_counter()
    shingles = [sh for k in range(0, n, 5) for sh in mh.shingles_many(sections[k:k + 5])]  # a note at a time
    t1 = time.perf_counter()
    sig, owner = mh.signatures(shingles)
    t2 = time.perf_counter()
    import numpy as np

    bounds = np.searchsorted(owner, np.arange(len(sections) + 1))
    keys = mh.band_keys(sig)
    units = [Unit(i, f"note{i // 5}", (i % 5 * 100, i % 5 * 100 + 50), np.unique(sh), keys[bounds[i]:bounds[i + 1]])
             for i, sh in enumerate(shingles)]
    t3 = time.perf_counter()
    index = Index(THRESHOLD)
    index.build(units)
    t4 = time.perf_counter()
    found = index.pairs
    eligible = [(a, b) for a, b in planted if mh.overlap(units[a].shingles, units[b].shingles)[0] >= THRESHOLD]
    hit = sum((a, b) in found or (b, a) in found for a, b in eligible)
    root = list(range(len(sections)))
    for src, copy in planted:
        root[copy] = root[src]
    other = sum(1 for a, b in found if root[a] != root[b])  # copies of one original pair up too: not "other"
    # One changed note: its 5 sections dropped, 5 edited ones added.
    rng = random.Random(3)
    times = []
    for r in range(7):
        note = rng.randrange(len(sections) // 5)
        keys = [note * 5 + k for k in range(5)]
        new_units = []
        for k in keys:
            words = list(sections[k])
            words[rng.randrange(len(words))] = f"edit{r}"
            sh = mh.shingles(words)
            s, _ = mh.signatures([sh])
            new_units.append(Unit((k, r), f"note{note}", units[k].span, np.unique(sh), mh.band_keys(s)))
        start = time.perf_counter()
        # (the note's analysis is part of a save's cost too: shingles and signatures above are not)
        index.update([u.key for u in units if u.key in keys] if r == 0 else [(k, r - 1) for k in keys], new_units)
        times.append(time.perf_counter() - start)
    return {
        "sections": n, "shingle_s": t1 - t0, "signature_s": t2 - t1, "index_s": t4 - t3,
        "total_s": t4 - t0 - (t3 - t2), "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "input_mb": input_mb,
        "planted": len(planted), "eligible": len(eligible), "found": hit,
        "recall": hit / max(len(eligible), 1), "other_pairs": other, "update_ms": statistics.median(times) * 1000,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="1000,10000,100000")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--linear-vocabulary", action="store_true")
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    global LINEAR_VOCABULARY
    LINEAR_VOCABULARY = args.linear_vocabulary
    if args.one:
        print(json.dumps(measure(args.one)))
        return
    print(f"threshold {THRESHOLD}; medians of {args.runs} runs, each in its own process")
    rows = {}
    for n in [int(x) for x in args.sizes.split(",")]:
        flag = ["--linear-vocabulary"] if LINEAR_VOCABULARY else []
        runs = [json.loads(subprocess.run([sys.executable, __file__, "--one", str(n), *flag], check=True,
                                          capture_output=True, text=True).stdout) for _ in range(args.runs)]
        med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
        rows[n] = med
        print(f"{n:>7} sections: total {med['total_s']:6.2f} s (shingles {med['shingle_s']:.2f}, signatures "
              f"{med['signature_s']:.2f}, index {med['index_s']:.2f}), peak {med['peak_mb']:.0f} MB "
              f"({med['input_mb']:.0f} MB of it the generated input), recall "
              f"{int(med['found'])}/{int(med['eligible'])} = {med['recall']:.4f}, other pairs {int(med['other_pairs'])}, "
              f"update after one note {med['update_ms']:.1f} ms", flush=True)
    sizes = sorted(rows)
    for a, b in zip(sizes, sizes[1:]):
        print(f"growth {a} -> {b}: {rows[b]['total_s'] / rows[a]['total_s']:.1f}x for {b / a:.0f}x the sections")


if __name__ == "__main__":
    main()
