"""Model-alone speed of a mention-model folder on MTSamples notes (tokenizer included).

    .venv/bin/python -m chartdrop.nlp.training.speed [MODEL_DIR ...] [--notes 300] [--repeat 3]

Single process, one thread (the caller should set OMP_NUM_THREADS=1 for this command only);
prints CPU ms/note (process time, best of --repeat passes: a busy machine perturbs it less than
wall time). List several folders to compare them in one process, alternately.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path

from . import corpora

HERE = Path(__file__).resolve().parent
MODEL_DIR = HERE.parent / "resources" / "mention_model"


def notes(limit: int) -> list[str]:
    csv.field_size_limit(sys.maxsize)
    out: list[str] = []
    path = corpora.data_dir() / "mtsamples" / "mtsamples.csv"
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if len(out) >= limit:
                break
            if text := (row.get("transcription") or "").strip():
                out.append(text)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="*", type=Path, default=[MODEL_DIR])
    parser.add_argument("--notes", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    import spacy

    import chartdrop.nlp.mentions  # noqa: F401 (registers the scorer the model's config names)

    texts = notes(args.notes)
    loaded = [(path, spacy.load(path)) for path in args.models]
    for _, nlp in loaded:
        for text in texts[:20]:  # warm up
            nlp(text)
    best = {path: float("inf") for path in args.models}
    for _ in range(args.repeat):  # alternate, so that load changes hit every model alike
        for path, nlp in loaded:
            best[path] = min(best[path], _timed(nlp, texts))
    for path in args.models:
        size = sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 2**20
        print(f"{path}: {1000 * best[path] / len(texts):.2f} CPU ms/note ({size:.1f} MB)")


def _timed(nlp, texts: list[str]) -> float:  # nlp: spacy.language.Language
    started = time.process_time()
    for text in texts:
        nlp(text)
    return time.process_time() - started


if __name__ == "__main__":
    main()
