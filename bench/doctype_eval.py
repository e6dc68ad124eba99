"""Document types against MTSamples' own labels, for information.

    .venv/bin/python bench/doctype_eval.py

MTSamples files each note under a "medical_specialty", some of which are kinds of document
("Discharge Summary", "Letters", "SOAP / Chart / Progress Notes", "Surgery": operative notes).
Prints, per such label, the share of its notes that `extract()` types as the label says and
what the others were typed as. The labels are the uploader's, not a gold standard: "Radiology"
holds procedure reports too, and a consult may be typed an H&P. Development data only; there
is no held-out set, so the rules tuned on it (nlp/resources/doctype_rules.json) are measured
on the same notes. Prints counts, never note text.
"""

from __future__ import annotations

import csv
import sys
from collections import Counter, defaultdict

from common import dev_data_dir

EXPECTED = {
    "Discharge Summary": {"discharge_summary"},
    "Letters": {"letter"},
    "SOAP / Chart / Progress Notes": {"progress_note"},
    "Consult - History and Phy.": {"history_and_physical", "consultation"},
    "Surgery": {"operative_report"},
    "Radiology": {"radiology_report"},
    "Office Notes": {"progress_note", "letter", "consultation", "history_and_physical"},
}


def main() -> int:
    from chartdrop.nlp import extract

    csv.field_size_limit(sys.maxsize)
    typed: dict[str, Counter[str]] = defaultdict(Counter)
    path = dev_data_dir() / "mtsamples" / "mtsamples.csv"
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            label = row["medical_specialty"].strip()
            if label in EXPECTED and row["transcription"].strip():
                typed[label][extract(row["transcription"]).document_type.value] += 1
    for label, counts in typed.items():
        right = sum(n for kind, n in counts.items() if kind in EXPECTED[label])
        total = sum(counts.values())
        others = ", ".join(f"{k} {n}" for k, n in counts.most_common() if k not in EXPECTED[label])
        print(f"  {label:<32} {right:>4}/{total:<4} {right / total:.2f}   others: {others}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
