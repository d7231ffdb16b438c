"""Benchmark: the summaries pass's sentence picking (numpy LexRank) per unit, and sumy against it.

Usage: python bench/bench_summarize.py [VAULT] [--sumy] [--limit N] [--runs N] [--sumy-path DIR]
VAULT defaults to ../shared/corpora/obsidian-help, read in place, every note a target
(`scope = "notes"`). Units are the pass's own (`summaries._units`: each target and each of its
sections of at least `min_words` words; Thai and Lao ones, where it picks nothing, left out). Times
each unit from its sentences to its summary (`pick(texts, budget=60, most=3)`: words, TF-IDF
similarity, LexRank, picking), and as the pass does it (rank and pick on the block of the answer's
similarity matrix, built once per answer), and `sentences()` per note, for context;
with --runs N, prints the median of the per-run figures. --sumy also times sumy's LexRank and
TextRank on the same sentences (sumy loaded from --sumy-path, default /tmp/sumylib, never a project
dependency; its tokenizers need nltk data, so it gets our sentences and words) and reports how
often they pick what ours picks. --limit N: a fixed random sample of N units for every timing.
"""

from __future__ import annotations

import argparse
import functools
import random
import re
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Callable, Sequence

from vaultkit.config import VaultConfig
from vaultkit.errors import NoteError
from vaultkit.note import Note, parse_note
from vaultkit.vault import scan
from vaultkit_plugins.duplicates import _minhash as mh
from vaultkit_plugins.summaries import plugin as summaries
from vaultkit_plugins.text.sentences import sentences
from vaultkit_plugins.summaries._lexrank import centrality, pick
from vaultkit_plugins.summaries._lexrank import rank as rank_

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_VAULT = ROOT.parent / "shared" / "corpora" / "obsidian-help"
MIN_WORDS = int(summaries.OPTIONS["min_words"])
Item = Any  # a `summaries.Unit`: its sentences, the block of its target's similarity matrix, sizes


def notes(vault: Path) -> list[Note]:
    """Every note of the vault, parsed with `scope = "notes"` (notes that fail to parse are left out)."""
    config = VaultConfig(scope="notes")
    out = []
    for nf in scan(vault):
        try:
            out.append(parse_note(nf.path.read_bytes(), nf.rel, config))
        except (OSError, NoteError):
            continue
    return out


def summary_units(all_notes: Sequence[Note]) -> tuple[list[Item], int, list[float]]:
    """The units the pass picks from (its own `_units`), how many are sections, and each note's
    segmentation time (s)."""
    out: list[Item] = []
    sections = 0
    seg: list[float] = []
    for note in all_notes:
        note.targets, note.sections  # the note's Markdown parse, outside the timing
        start = time.perf_counter()
        for target in [t for t in note.targets if t.kind == "note"] or note.targets:
            sentences(note, target)
        seg.append(time.perf_counter() - start)
        previous = None
        for unit in summaries._units(note, MIN_WORDS, True):
            sections += unit.target is previous  # each target's own unit comes first, then its sections
            previous = unit.target
            if unit.similarity is not None:  # (None: Thai or Lao, where the pass picks nothing)
                out.append(unit)
    return out, sections, seg


def per_unit(fn: Callable[[Item], Any], batch: Sequence[Item]) -> list[float]:
    """Seconds `fn` takes on each unit."""
    times = []
    for item in batch:
        start = time.perf_counter()
        fn(item)
        times.append(time.perf_counter() - start)
    return times


def stats(times: Sequence[float]) -> dict[str, float]:
    """p50 / p90 / p99 / max in ms and the total in s."""
    ordered = sorted(times)

    def q(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000

    return {"p50": q(0.5), "p90": q(0.9), "p99": q(0.99), "max": ordered[-1] * 1000, "total": sum(ordered)}


def timed(fn: Callable[[Item], Any], batch: Sequence[Item], runs: int) -> dict[str, float]:
    """The median over `runs` of each per-run figure (after a warm-up on a few units)."""
    per_unit(fn, batch[:5])
    results = [stats(per_unit(fn, batch)) for _ in range(runs)]
    return {k: statistics.median(r[k] for r in results) for k in results[0]}


def row(name: str, count: int, s: dict[str, float]) -> str:
    """One Markdown table row."""
    return (f"| {name} | {count} | {s['p50']:.3f} | {s['p90']:.3f} | {s['p99']:.3f} | {s['max']:.2f} "
            f"| {s['total']:.2f} |")


class Words:
    """sumy's tokenizer interface over our words (sumy's own ones need nltk data we cannot fetch)."""

    language = "english"

    @staticmethod
    def to_words(text: str) -> tuple[str, ...]:
        """Words as our ranking sees them (lower-cased runs of letters and digits)."""
        return tuple(re.findall(r"[^\W_]+", text.lower()))


def sumy_rankers(path: str) -> tuple[str, Callable[[list[str], int, str], list[int]]]:
    """sumy's version and a function giving the indices LexRank or TextRank picks."""
    sys.path.append(path)  # after the venv's own packages: only sumy and what it alone needs come from here
    import sumy  # type: ignore[import-not-found]
    from sumy.models.dom import ObjectDocumentModel, Paragraph, Sentence  # type: ignore[import-not-found]
    from sumy.summarizers.lex_rank import LexRankSummarizer  # type: ignore[import-not-found]
    from sumy.summarizers.text_rank import TextRankSummarizer  # type: ignore[import-not-found]

    algos = {"lex": LexRankSummarizer(), "text": TextRankSummarizer()}

    def rank(texts: list[str], count: int, algo: str) -> list[int]:
        sents = [Sentence(t, Words) for t in texts]
        chosen = {id(s) for s in algos[algo](ObjectDocumentModel([Paragraph(sents)]), count)}
        return [i for i, s in enumerate(sents) if id(s) in chosen]

    return str(sumy.__version__), rank


def top1(texts: list[str]) -> int:
    """Our most central sentence (the earlier one on a tie, as `pick` orders them)."""
    scores = centrality(texts)
    return min(range(len(texts)), key=lambda i: (-round(scores[i], 12), i))


def agreement(batch: Sequence[Item], rank: Callable[[list[str], int, str], list[int]], algo: str) -> str:
    """Mean Jaccard of the picked indices (same count only) and top-1 matches, over units of 4+ sentences."""
    jac: list[float] = []
    same_top = tested = 0
    for unit in batch:
        texts = unit.sentences
        if len(texts) < 4:
            continue
        tested += 1
        ours, theirs = set(pick(texts, budget=10**9, most=3)), set(rank(texts, 3, algo))
        if len(ours) == len(theirs):
            jac.append(len(ours & theirs) / len(ours | theirs))
        same_top += rank(texts, 1, algo) == [top1(texts)]
    mean = statistics.mean(jac) if jac else float("nan")
    return (f"| {algo}rank | {tested} | {len(jac)} | {mean:.3f} | {same_top}/{tested} = "
            f"{same_top / max(tested, 1):.1%} |")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("vault", nargs="?", default=str(DEFAULT_VAULT))
    ap.add_argument("--sumy", action="store_true")
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--sumy-path", default="/tmp/sumylib")
    args = ap.parse_args()
    vault = Path(args.vault)
    if not vault.is_dir():
        sys.exit(f"{vault}: no such vault")
    mh._numpy()
    all_notes = notes(vault)
    batch, sections, seg = summary_units(all_notes)
    sizes = sorted(len(u.sentences) for u in batch)
    print(f"vault: {vault}, notes: {len(all_notes)}, units: {len(batch)} ({sections} sections, "
          f"{len(batch) - sections} whole targets), sentences per unit: median {sizes[len(sizes) // 2]}, "
          f"max {sizes[-1]}; medians of {args.runs} run(s); one-pass segmentation of every note timed once\n")
    print("| what | units | p50 ms | p90 ms | p99 ms | max ms | total s |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    print(row("sentences() per note", len(seg), stats(seg)))
    ours: dict[str, Callable[[Item], Any]] = {
        "sentences to summary (encode, similarity, rank, pick)": lambda u: pick(u.sentences, budget=60, most=3),
        "rank + pick on the answer's shared matrix (as the pass calls it)":
            lambda u: pick(u.sentences, 60, 3, scores=rank_(u.similarity), sizes=u.sizes)}
    for name, fn in ours.items():
        print(row(f"{name}, all units", len(batch), timed(fn, batch, args.runs)), flush=True)
    sample = batch
    if args.limit and args.limit < len(batch):
        sample = [batch[i] for i in sorted(random.Random(0).sample(range(len(batch)), args.limit))]
        first = next(iter(ours.values()))
        print(row(f"ours, {len(sample)}-unit sample", len(sample), timed(first, sample, args.runs)), flush=True)
    if not args.sumy:
        return
    version, rank = sumy_rankers(args.sumy_path)
    for algo in ("lex", "text"):
        ranker: Callable[[Item], Any] = functools.partial(lambda a, u: rank(u.sentences, 3, a), algo)
        print(row(f"sumy {version} {algo}rank", len(sample), timed(ranker, sample, args.runs)), flush=True)
    print("\nAgreement with ours (ours: most=3, unlimited budget), units of 4+ sentences:\n")
    print("| sumy | units | same count | mean Jaccard | same top-1 |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for algo in ("lex", "text"):
        print(agreement(sample, rank, algo))


if __name__ == "__main__":
    main()
