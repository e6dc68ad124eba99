"""The draft's code set for a whole dictated assessment, against a coder's.

    .venv/bin/python bench/coding_notes.py [--misses]

Reads bench/data/coding_notes.tsv (tuning), coding_notes_heldout.tsv and _heldout2.tsv (held out):
assessments that state several problems, with the codes a certified coder assigns for the
whole of each (combination codes for hypertension with heart or kidney disease, diabetes with
its complications, the CKD stage and the type of heart failure coded as well). The draft's set
is the first code of every problem it proposes for the chart and the codes charted with it
(`also`), less those negated, possible or hypothetical, which a coder does not code. Prints
the share of assessments coded exactly and the code-level precision and recall. The texts
are not PHI.
"""

from __future__ import annotations

import argparse
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
FILES = ("coding_notes.tsv", "coding_notes_heldout.tsv", "coding_notes_heldout2.tsv")
NOT_CODED = frozenset({"negated", "possible", "hypothetical"})


def read(name: str) -> list[tuple[str, set[str]]]:
    rows = []
    for line in (DATA / name).read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            text, codes = line.split("\t")
            rows.append((text.strip(), set(codes.split())))
    return rows


def drafted_codes(assessment: str) -> set[str]:
    from chartdrop.nlp import extract

    problems = extract(f"ASSESSMENT: {assessment}").problems
    return {
        code.code
        for p in problems
        if p.charted and p.icd10cm and p.assertion not in NOT_CODED
        for code in (p.icd10cm[0], *p.also)
    }


def score(name: str, show_misses: bool = False) -> dict[str, float]:
    rows = read(name)
    exact = found = drafted = expected = 0
    for text, gold in rows:
        got = drafted_codes(text)
        exact += got == gold
        found += len(got & gold)
        drafted += len(got)
        expected += len(gold)
        if show_misses and got != gold:
            print(f"    miss: {text!r} expected {sorted(gold)} got {sorted(got)}")
    result = {
        "exact": exact / len(rows),
        "precision": found / max(1, drafted),
        "recall": found / max(1, expected),
    }
    print(
        f"  {name} (the draft's code set per assessment): {len(rows)} assessments, "
        f"exact {result['exact']:.3f}, codes P {result['precision']:.3f} / "
        f"R {result['recall']:.3f}"
    )
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--misses", action="store_true", help="list assessments coded otherwise")
    args = parser.parse_args()
    for name in FILES:
        score(name, args.misses)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
