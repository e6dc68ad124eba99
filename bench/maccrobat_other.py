"""Medications and procedures against MACCROBAT2020's own annotations, for information.

    .venv/bin/python bench/maccrobat_other.py [--split held-out|train|all]

Issue 3 sets no target for these; this says how far chartdrop's `medications` and
`procedures` agree with the corpus's Medication and Diagnostic_procedure /
Therapeutic_procedure entities (overlap P/R/F1, pooled, on the 20 held-out files by
default: the mention model never trains on any type of these files' labels except
problems). MACCROBAT's procedures include much that a chart lists elsewhere or not at
all: vital signs and examinations ("blood pressure", "palpation"), lab tests
("hemoglobin"); so `--kinds` lists the corpus's surface forms most often missed, to tell
a lexicon gap from a difference of definition. Prints counts and short entity strings
of the public corpus only.
"""

from __future__ import annotations

import argparse
from collections import Counter

from common import dev_data_dir
from nlp_eval import MACCROBAT_TRAIN_FILES, fmt, overlaps, prf, read_brat

GROUPS = {
    "medications": ("Medication",),
    "procedures": ("Diagnostic_procedure", "Therapeutic_procedure"),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", choices=("held-out", "train", "all"), default="held-out")
    parser.add_argument("--misses", type=int, default=0, help="show the N commonest misses")
    args = parser.parse_args()
    from chartdrop.nlp import extract, warm_up

    warm_up()
    folder = dev_data_dir() / "maccrobat2020"
    files = sorted(p for p in folder.glob("*.txt") if p.with_suffix(".ann").is_file())
    if args.split == "held-out":
        files = files[MACCROBAT_TRAIN_FILES:]
    elif args.split == "train":
        files = files[:MACCROBAT_TRAIN_FILES]
    totals = {group: [0, 0, 0, 0] for group in GROUPS}  # tp_p, n_pred, tp_r, n_gold
    missed: dict[str, Counter[str]] = {group: Counter() for group in GROUPS}
    for path in files:
        text = path.read_text(encoding="utf-8")
        found = extract(text)
        for group, kinds in GROUPS.items():
            gold = [frags for frags, _ in read_brat(path.with_suffix(".ann"), text, kinds)[0]]
            pred = [(m.start, m.end) for m in getattr(found, group)]
            t = totals[group]
            t[0] += sum(any(overlaps(p, f) for g in gold for f in g) for p in pred)
            t[1] += len(pred)
            for frags in gold:
                if any(overlaps(p, f) for p in pred for f in frags):
                    t[2] += 1
                else:
                    missed[group][" ".join(text[s:e] for s, e in frags).lower()] += 1
            t[3] += len(gold)
    print(f"MACCROBAT2020 {args.split}: {len(files)} files")
    for group, (tp_p, n_pred, tp_r, n_gold) in totals.items():
        print(f"  {group}: {n_gold} gold, {n_pred} predicted")
        print(fmt("overlap (pooled)", prf(tp_p, n_pred, tp_r, n_gold)))
        if args.misses:
            common = ", ".join(f"{k} ({n})" for k, n in missed[group].most_common(args.misses))
            print(f"    commonest misses: {common}")


if __name__ == "__main__":
    main()
