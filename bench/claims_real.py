"""The claims and summaries passes on real AI answers (`tests/claims_real/`), by group: the figures
for BENCHMARKS.md (issue 17). Also the labelled sets the model is measured on already.

Usage: python bench/claims_real.py [--wrong]
Groups (see tests/claims_real/SOURCES.md): `dev` (public notes looked at while the passes were
improved), `more` (public notes labelled for training, never trained on), `unseen` (public notes
measured only at the end), `seeds` (excerpts of the project's seed notes), `public`, and all together. `--wrong` lists
every error.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import real_answers as ra  # noqa: E402
from test_claims_parts import confusion  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--wrong", action="store_true")
    args = ap.parse_args()
    print("| set | notes | claims P | claims R | tp / fp / fn | cover agrees | answers summarised | defect-free | lead kept |")
    print("|---|---|---|---|---|---|---|---|---|")
    for group in ("dev", "more", "unseen", "seeds", "public", None):
        paths = ra.notes(group)
        t = ra.claims(paths)
        s = ra.summaries(paths)
        print(f"| {group or 'all'} | {len(paths)} | {t.precision:.3f} | {t.recall:.3f} | {t.tp} / {t.fp} / {t.fn} | "
              f"{t.cover:.3f} ({t.cover_right}/{t.cover_total}) | {s.answers} | {s.clean} | {s.lead_kept}/{s.leads} |")
        if args.wrong:
            for line in t.wrong + s.wrong:
                print("   ", line)
    for name in ("claims_corpus", "claims_heldout"):
        p, r, report = confusion(sorted((ROOT / "tests" / name).glob("*.md")))
        print(f"{name}: {report.splitlines()[0]}")


if __name__ == "__main__":
    main()
