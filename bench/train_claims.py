"""Train the check-worthiness model on the labelled corpus, cross-validate it, and write its weights.

Usage: python bench/train_claims.py [--search] [--no-write]
Prints precision and recall by 12-fold cross-validation over notes (each fold's notes unseen
in training), then trains on the whole corpus (`tests/claims_corpus/`), writes
`plugins/_worthy_weights.json` and measures the held-out set (`tests/claims_heldout/`) once.
`--search` also prints a small grid of epochs, L2 and cut by cross-validation.
"""

from __future__ import annotations

import argparse
import itertools
import math
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from test_claims_parts import confusion, examples  # noqa: E402
from vaultkit_plugins.text import worthy_model as model  # noqa: E402

CORPUS, HELDOUT = ROOT / "tests" / "claims_corpus", ROOT / "tests" / "claims_heldout"


def cross_validate(notes: list[Path], epochs: int, l2: float, cuts: tuple[float, ...], folds: int = 12
                   ) -> dict[float, tuple[float, float]]:
    """Precision and recall at each cut, every note scored by a model trained without it."""
    scored: list[tuple[float, bool]] = []
    for k in range(folds):
        test = notes[k::folds]
        train = [n for n in notes if n not in test]
        weights = model.train(examples(train), epochs, l2, cut=0.5)
        scored += [(model.logit(weights, f), gold) for f, gold in examples(test)]
    out = {}
    for cut in cuts:
        shift = math.log(cut / (1 - cut))
        tp = sum(z >= shift and g for z, g in scored)
        fp = sum(z >= shift and not g for z, g in scored)
        fn = sum(z < shift and g for z, g in scored)
        out[cut] = (tp / max(tp + fp, 1), tp / max(tp + fn, 1))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--search", action="store_true")
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    notes = sorted(CORPUS.glob("*.md"))
    if args.search:
        for epochs, l2 in itertools.product((20, 60), (0.003, 0.01, 0.03)):
            for cut, (p, r) in cross_validate(notes, epochs, l2, (0.35, 0.4, 0.45, 0.5)).items():
                print(f"epochs {epochs:3d} l2 {l2:<6} cut {cut:.2f}: P {p:.3f} R {r:.3f}")
    p, r = cross_validate(notes, model.EPOCHS, model.L2, (model.CUT,))[model.CUT]
    print(f"cross-validated on {len(notes)} notes (12 folds): precision {p:.3f} recall {r:.3f}")
    weights = model.train(examples(notes))
    if not args.no_write:
        model.save(weights)
        model.load.cache_clear()
        print(f"wrote {model.WEIGHTS.relative_to(ROOT)} ({len(weights)} weights)")
    print("corpus (trained on):", confusion(notes)[2].splitlines()[0])
    print("held-out:", confusion(sorted(HELDOUT.glob("*.md")))[2].splitlines()[0])


if __name__ == "__main__":
    main()
