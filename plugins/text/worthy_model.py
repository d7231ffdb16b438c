"""The learned half of check-worthiness: logistic regression over the named signals and the words.

The named signals (`_worthy`) alone miss digit-free facts ("Vesuvius is a stratovolcano") on text
they were not tuned on; a linear model over the signals plus the sentence's words, trained on the
labelled corpus in `tests/claims_corpus/`, finds them. Training is plain SGD in pure Python (a few
hundred sentences: a second or two), deterministic, and reproduced by a test, so the shipped
weights in `worthy_weights.json` can always be traced to the corpus. `bench/train_claims.py`
retrains, cross-validates and writes them.
"""

from __future__ import annotations

import json
import math
import random
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Mapping, Sequence

WEIGHTS = Path(__file__).with_name("worthy_weights.json")
EPOCHS, L2, RATE = 20, 0.003, 0.3
CUT = 0.5  # the probability at which a sentence counts as a claim, chosen by cross-validation


def features(signals: Mapping[str, float], total: float, words: Sequence[str] | None, length: int) -> dict[str, float]:
    """A sentence as sparse features; `words` (lower-cased tokens) only for English text."""
    out = {"bias": 1.0, "rules": total / 3, "len": min(length, 40) / 20}
    for name in signals:
        out["sig:" + name] = 1.0
    if words:
        out["first:" + words[0]] = 1.0
        for word in words:
            out["w:" + word] = 1.0
    return out


def logit(weights: Mapping[str, float], feats: Mapping[str, float]) -> float:
    """The log-odds that the sentence is a claim, shifted so that 0 is the cut."""
    get = weights.get
    return sum(get(key, 0.0) * value for key, value in feats.items())


def train(examples: Iterable[tuple[Mapping[str, float], bool]], epochs: int = EPOCHS, l2: float = L2,
          rate: float = RATE, cut: float = CUT) -> dict[str, float]:
    """SGD on the log loss with L2; the same examples always give the same weights."""
    data = list(examples)
    w: dict[str, float] = {}
    for epoch in range(epochs):
        random.Random(epoch).shuffle(data)
        for feats, gold in data:
            p = _sigmoid(logit(w, feats))
            g = p - gold
            for key, value in feats.items():
                old = w.get(key, 0.0)
                w[key] = old - rate * (g * value + l2 * old)
    w["bias"] = w.get("bias", 0.0) - math.log(cut / (1 - cut))  # 0 is now the cut
    return {k: round(v, 4) for k, v in sorted(w.items()) if abs(v) >= 0.001}


def _sigmoid(z: float) -> float:
    return 1 / (1 + math.exp(-max(min(z, 30.0), -30.0)))


def save(weights: Mapping[str, float], path: Path = WEIGHTS) -> None:
    """One key per line, sorted: a retrained model shows as a readable diff."""
    path.write_text(json.dumps(weights, indent=0, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")


@lru_cache(maxsize=1)
def load() -> dict[str, float]:
    """The shipped weights, read on the first English sentence scored."""
    data: dict[str, float] = json.loads(WEIGHTS.read_text(encoding="utf-8"))
    return data
