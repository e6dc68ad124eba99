"""Build ingest/resources/dictation_bigrams.tsv.gz from MTSamples dictations.

    .venv/bin/python -m chartdrop.ingest.training.context_counts [--exclude-dev 40]

Counts, over the unique MTSamples transcriptions (`$CHARTDROP_DEV_DATA`, default
../shared/data; CC0), the words and word pairs (bigrams.tokens), keeping counts >= 2,
and for each kept word how many distinct words follow and precede it in the full counts.
The notes that bench/asr.py makes its dictation sets from (its first `--exclude-dev`
picks: the dev set and the held-out set) are left out, so that its WER is not measured
on text the counts have seen. No pair seen once is kept, so the file says how dictated
English strings words together, not what any one note said.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import importlib.util
import io
import itertools
import re
import sys
from collections import Counter
from pathlib import Path

from ..bigrams import RESOURCE, tokens

REPO = Path(__file__).resolve().parents[2]


def _bench_asr():  # bench/asr.py, for the notes its dev set is made from
    sys.path.insert(0, str(REPO / "bench"))  # for its own `from common import ...`
    spec = importlib.util.spec_from_file_location("bench_asr", REPO / "bench" / "asr.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--exclude-dev", type=int, help="bench/asr.py picks to skip")
    parser.add_argument("--min-count", type=int, default=2)
    args = parser.parse_args()
    asr = _bench_asr()
    excluded = asr.pick_notes(args.exclude_dev or asr.EXCLUDED_NOTES)
    dev = [_squash(n["text"])[:120] for n in excluded]
    csv.field_size_limit(sys.maxsize)
    unigrams: Counter[str] = Counter()
    bigrams: Counter[tuple[str, str]] = Counter()
    seen: set[str] = set()
    used = skipped = 0
    with (asr.dev_data_dir() / "mtsamples" / "mtsamples.csv").open(
        newline="", encoding="utf-8"
    ) as f:
        for row in csv.DictReader(f):
            text = (row.get("transcription") or "").strip()
            if not text or text in seen:
                continue
            seen.add(text)
            head = _squash(asr.clean_note(text))[:400]
            if any(d in head for d in dev):
                skipped += 1
                continue
            used += 1
            words = tokens(text)
            unigrams.update(words)
            bigrams.update(itertools.pairwise(words))
    RESOURCE.parent.mkdir(parents=True, exist_ok=True)
    followers: Counter[str] = Counter(first for first, _ in bigrams)
    predecessors: Counter[str] = Counter(second for _, second in bigrams)
    # mtime=0: the same counts give the same bytes (a rebuild shows no diff)
    with gzip.GzipFile(RESOURCE, "wb", mtime=0) as raw, io.TextIOWrapper(raw, "utf-8") as out:
        out.write(f"# MTSamples (CC0): {used} unique notes, {skipped} bench notes left out\n")
        out.write("# word<TAB><TAB>count<TAB>distinct followers<TAB>distinct predecessors\n")
        out.write("# first<TAB>second<TAB>count\n")
        out.write(f"#pairs\t{len(bigrams)}\n")
        for word, count in sorted(unigrams.items()):
            if count >= args.min_count:
                out.write(f"{word}\t\t{count}\t{followers[word]}\t{predecessors[word]}\n")
        for (first, second), count in sorted(bigrams.items()):
            if count >= args.min_count:
                out.write(f"{first}\t{second}\t{count}\n")
    print(f"{RESOURCE}: {used} notes ({skipped} left out), {RESOURCE.stat().st_size} bytes")


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text)


if __name__ == "__main__":
    main()
