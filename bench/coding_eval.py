"""ICD-10-CM coding accuracy: top-1/top-3 of `suggest_codes` on the phrase lists.

    .venv/bin/python bench/coding_eval.py [--misses]

Reads bench/data/coding_phrases.tsv (tuning list) and coding_phrases_heldout.tsv (held out:
not used for tuning). Phrases are not PHI. Also prints index load time and per-mention cost.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
FILES = ("coding_phrases.tsv", "coding_phrases_heldout.tsv", "coding_phrases_heldout2.tsv")


def read(name: str) -> list[tuple[str, set[str]]]:
    rows = []
    for line in (DATA / name).read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        cols = line.split("\t")
        ok = {cols[1].strip()}
        if len(cols) > 2 and cols[2].strip():
            ok |= {c.strip() for c in cols[2].split("|")}
        rows.append((cols[0].strip(), ok))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--misses", action="store_true", help="list top-1 misses (tuning list)")
    parser.add_argument(
        "--heldout-misses", action="store_true", help="also list held-out misses (final check only)"
    )
    args = parser.parse_args()
    from chartdrop.nlp import ranking
    from chartdrop.nlp.coding import suggest_codes

    t0 = time.perf_counter()
    ranking.get_suggester()
    print(f"suggester load: {time.perf_counter() - t0:.2f} s")
    for name in FILES:
        rows = read(name)
        top1 = top3 = 0
        misses = []
        t0 = time.perf_counter()
        for phrase, ok in rows:
            codes = [s.code for s in suggest_codes(phrase, k=5)]
            top1 += bool(codes[:1] and codes[0] in ok)
            top3 += bool(set(codes[:3]) & ok)
            if not (codes[:1] and codes[0] in ok):
                misses.append((phrase, sorted(ok), codes[:3]))
        cold = (time.perf_counter() - t0) / len(rows) * 1000
        t0 = time.perf_counter()
        for phrase, _ in rows:
            suggest_codes(phrase, k=5)
        warm = (time.perf_counter() - t0) / len(rows) * 1000
        n = len(rows)
        print(
            f"{name}: n={n} top1={top1 / n:.3f} top3={top3 / n:.3f} "
            f"ms/mention uncached={cold:.2f} cached={warm:.3f}"
        )
        if args.misses and (name == FILES[0] or args.heldout_misses):
            for phrase, ok, codes in misses:
                print(f"  miss: {phrase!r} expected {'|'.join(ok)} got {codes}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
