"""Negation error categories on MACCROBAT2020 (for tuning nlp/assertion.py's ConText rules).

Prints to the terminal only; writes nothing. Tune on the training split and look at the held-out
split only at the end (same split as bench/nlp_eval.py and nlp/training/corpora.py: files sorted
by name, the first 80 train the mention model, the last 20 are held out).

    .venv/bin/python bench/negation_errors.py [--split train|heldout|all] [--show N] [--width W]

For a missed negation (gold NEG, predicted not negated) it prints the predicted assertion, the
nearest negation-looking cue word in the sentence (if any) and the window between them; for a
false negation (gold POS, predicted negated) the ConText trigger that fired and the window
between trigger and mention. Counts per category come first, then up to N examples of each.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from nlp_eval import MACCROBAT_TRAIN_FILES, dev_data_dir, overlaps, read_brat

# Words that often carry a negation ConText may have missed (for grouping misses only).
CUE = re.compile(
    r"\b(no|not|non|none|nor|neither|never|without|negative|absence|absent|free|denie[sd]|deny|"
    r"ruled|rule|excluded?|unremarkable|normal|resolved?|disappeared|lack(?:ed|ing)?|"
    r"fail(?:s|ed)?|nil|unlikely|cannot|n't)\b",
    re.IGNORECASE,
)


def split_files(folder: Path, split: str) -> list[Path]:
    files = sorted(p for p in folder.glob("*.txt") if p.with_suffix(".ann").is_file())
    if split == "all":
        return files
    return files[MACCROBAT_TRAIN_FILES:] if split == "heldout" else files[:MACCROBAT_TRAIN_FILES]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=("train", "heldout", "all"), default="train")
    parser.add_argument("--show", type=int, default=5, help="examples per category")
    parser.add_argument("--width", type=int, default=70, help="max window characters")
    parser.add_argument(
        "--sentence", action="store_true", help="show the whole sentence, mention in [[...]]"
    )
    args = parser.parse_args()

    folder = dev_data_dir() / "maccrobat2020"
    if not folder.is_dir():
        print(f"SKIPPED: no {folder}")
        return 0
    from chartdrop.nlp.assertion import assertion_of, section_of
    from chartdrop.nlp.pipeline import get_pipeline
    from chartdrop.nlp.sections import SECTION_ASSERTIONS

    nlp = get_pipeline()
    confusion: Counter[str] = Counter()
    categories: Counter[str] = Counter()
    examples: dict[str, list[str]] = defaultdict(list)
    for path in split_files(folder, args.split):
        text = path.read_text(encoding="utf-8")
        gold, _ = read_brat(path.with_suffix(".ann"), text)
        doc = nlp(text)
        sections = doc._.sections or []
        spans = [s for s in doc.ents if s.label_ == "PROBLEM"]
        for frags, pol in gold:
            hits = [
                (sum(max(0, min(s.end_char, f[1]) - max(s.start_char, f[0])) for f in frags), i)
                for i, s in enumerate(spans)
                if any(overlaps((s.start_char, s.end_char), f) for f in frags)
            ]
            if not hits:
                continue
            span = spans[max(hits)[1]]
            pred = assertion_of(span, section_of(sections, span), SECTION_ASSERTIONS)
            neg_gold, neg_pred = pol == "NEG", pred == "negated"
            confusion[f"{'NEG' if neg_gold else 'POS'}/{'neg' if neg_pred else 'not'}"] += 1
            if neg_gold == neg_pred:
                continue
            sent = span.sent
            if neg_gold:  # missed negation
                before = text[sent.start_char : span.start_char]
                after = text[span.end_char : sent.end_char]
                cues_b = list(CUE.finditer(before))
                cues_a = list(CUE.finditer(after))
                if cues_b:
                    cue = cues_b[-1]
                    key = f"MISS pred={pred} cue-before '{cue.group(0).lower()}'"
                    window = before[cue.start() :][-args.width :] + f"[[{span.text}]]"
                elif cues_a:
                    cue = cues_a[0]
                    key = f"MISS pred={pred} cue-after '{cue.group(0).lower()}'"
                    window = f"[[{span.text}]]" + after[: cue.end()][: args.width]
                else:
                    key = f"MISS pred={pred} no-cue-in-sentence"
                    window = before[-args.width // 2 :] + f"[[{span.text}]]" + after[:30]
            else:  # false negation
                triggers = [m for m in span._.modifiers if m.category == "NEGATED_EXISTENCE"]
                if triggers:
                    trig = triggers[0]
                    literal = trig.rule.literal
                    key = f"FALSE-NEG trigger '{literal}' ({trig.direction.lower()})"
                    t0, t1 = trig.modifier_span
                    lo = min(doc[t0].idx, span.start_char)
                    hi = max(doc[t1 - 1].idx + len(doc[t1 - 1]), span.end_char)
                    window = (
                        text[lo : span.start_char]
                        + f"[[{span.text}]]"
                        + text[span.end_char : max(hi, span.end_char)]
                    )
                    if len(window) > args.width:
                        window = window[: args.width // 2] + " ... " + window[-args.width // 2 :]
                else:
                    key = "FALSE-NEG from section"
                    window = span.text
            if args.sentence:
                window = (
                    text[sent.start_char : span.start_char]
                    + f"[[{span.text}]]"
                    + text[span.end_char : sent.end_char]
                )
            categories[key] += 1
            if len(examples[key]) < args.show:
                examples[key].append(" ".join(window.split()))
    matched = sum(confusion.values())
    agree = confusion["NEG/neg"] + confusion["POS/not"]
    print(
        f"split={args.split}: {matched} matched, accuracy {agree / max(1, matched):.3f}  "
        f"NEG/neg {confusion['NEG/neg']} NEG/not {confusion['NEG/not']}  "
        f"POS/neg {confusion['POS/neg']} POS/not {confusion['POS/not']}"
    )
    for key, n in categories.most_common():
        print(f"{n:4d}  {key}")
        for line in examples[key]:
            print(f"        {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
