"""Static word vectors for the mention model, from unlabeled clinical and biomedical text.

    .venv/bin/python -m chartdrop.nlp.training.vectors [--work DIR] [--dim 100] [--prune 20000]

(train_mentions.py runs this itself when its --work folder has no vectors yet.)

Text (no labels are read): MTSamples transcriptions, the NCBI disease corpus's *train*
abstracts and the 80 MACCROBAT2020 *training* files (never the dev/held-out ones). Each
document is tokenised with the runtime tokenizer (`nlp.tokenizer.blank_english()`) and
lower-cased, one document per line, so the vectors' keys are lower-cased words. (The model looks
them up by ORTH all the same: spaCy does not save `--attr LOWER` for a default-mode table. See
"Known limit" in README.md.)
fastText skip-gram (the `floret` package in plain fastText mode; training extra only) writes a
.vec file; `spacy init vectors --attr LOWER --prune N` keeps the N most frequent rows and maps
every other word to its nearest kept row (so rare words still get a vector). The same text, as
JSONL, is what `spacy pretrain` reads (write_raw_jsonl).
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from . import corpora

REPO = Path(__file__).resolve().parents[2]
DEFAULT_WORK = REPO / "bench" / ".data" / "training"


def unlabeled_texts() -> Iterator[str]:
    csv.field_size_limit(sys.maxsize)
    path = corpora.data_dir() / "mtsamples" / "mtsamples.csv"
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if text := (row.get("transcription") or "").strip():
                yield text
    for doc in corpora.ncbi("train") + corpora.maccrobat("train"):
        yield doc.text


def write_corpus(out: Path) -> int:
    from ..tokenizer import blank_english

    nlp = blank_english()
    words = 0
    with out.open("w", encoding="utf-8") as handle:
        for doc in nlp.tokenizer.pipe(unlabeled_texts(), batch_size=200):
            tokens = [t.lower_ for t in doc if not t.is_space]
            words += len(tokens)
            handle.write(" ".join(tokens) + "\n")
    return words


def write_raw_jsonl(out: Path) -> None:
    """The same unlabeled text for `spacy pretrain` (one {"text": ...} per document)."""
    with out.open("w", encoding="utf-8") as handle:
        for text in unlabeled_texts():
            handle.write(json.dumps({"text": text}) + "\n")


def build(
    work: Path, dim: int = 100, prune: int = 20000, epochs: int = 10, min_count: int = 3
) -> Path:
    """Train the vectors under `work`; returns the spaCy vectors folder (work/vectors)."""
    import floret  # training extra: pip install -e '.[train]'

    work.mkdir(parents=True, exist_ok=True)
    text = work / "unlabeled.txt"
    started = time.perf_counter()
    print(f"corpus: {write_corpus(text)} tokens")
    model = floret.train_unsupervised(
        str(text), model="skipgram", mode="fasttext", dim=dim, epoch=epochs,
        minCount=min_count, minn=3, maxn=5, thread=1, verbose=0,  # 1 thread: deterministic
    )  # fmt: skip
    vec = work / "vectors.vec"
    words = model.get_words()
    with vec.open("w", encoding="utf-8") as handle:
        handle.write(f"{len(words)} {dim}\n")
        for word in words:
            values = " ".join(f"{x:.5f}" for x in model.get_word_vector(word))
            handle.write(f"{word} {values}\n")
    print(f"{len(words)} words, fastText {time.perf_counter() - started:.0f} s")
    out = work / "vectors"
    cmd = [
        sys.executable, "-m", "spacy", "init", "vectors", "en", str(vec), str(out),
        "--attr", "LOWER", "--prune", str(prune),
    ]  # fmt: skip
    subprocess.run(cmd, check=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=DEFAULT_WORK)
    parser.add_argument("--dim", type=int, default=100)
    parser.add_argument("--prune", type=int, default=20000, help="vector rows kept")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--min-count", type=int, default=3)
    args = parser.parse_args()
    build(args.work, args.dim, args.prune, args.epochs, args.min_count)


if __name__ == "__main__":
    main()
