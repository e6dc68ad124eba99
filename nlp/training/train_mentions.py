"""Train the problem-mention model and install it into nlp/resources/mention_model/.

    .venv/bin/python -m chartdrop.nlp.training.train_mentions [--work DIR] [--no-install]
        [--width 64] [--depth 2] [--max-steps N]

Writes train/dev DocBins (corpora.py) and spaCy's training output under --work (default
bench/.data/training, gitignored), runs `spacy train` with config.cfg on CPU, then copies
model-best without what loading does not need into nlp/resources/mention_model/.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

from . import corpora

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
MODEL_DIR = HERE.parent / "resources" / "mention_model"
KEEP = ("config.cfg", "meta.json", "tokenizer", "vocab", "tok2vec", "ner")


def install(best: Path, target: Path = MODEL_DIR) -> None:
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    for name in KEEP:
        src = best / name
        if src.is_dir():
            shutil.copytree(src, target / name)
        elif src.is_file():
            shutil.copy2(src, target / name)
    meta_path = target / "meta.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta.update(
        name="chartdrop_problem_mentions",
        version="1.0.0",
        description="PROBLEM mentions (diseases, disorders, signs, symptoms); see "
        "nlp/training/README.md",
        sources=[
            {"name": "NCBI disease corpus", "license": "public domain (NLM)"},
            {"name": "MACCROBAT2020", "license": "CC BY 4.0"},
        ],
    )
    meta_path.write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=REPO / "bench" / ".data" / "training")
    parser.add_argument("--width", type=int)
    parser.add_argument("--depth", type=int)
    parser.add_argument("--max-steps", type=int)
    parser.add_argument(
        "--maccrobat-repeat", type=int, default=3,
        help="copies of each MACCROBAT training document (it is the smaller, clinical corpus)",
    )  # fmt: skip
    parser.add_argument("--no-install", action="store_true")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    for split in ("train", "dev"):
        repeat = args.maccrobat_repeat if split == "train" else 1
        gold = corpora.ncbi(split) + corpora.maccrobat(split) * repeat
        corpora.to_docbin(gold).to_disk(args.work / f"{split}.spacy")
    output = args.work / "output"
    cmd = [
        sys.executable, "-m", "spacy", "train", str(HERE / "config.cfg"),
        "--output", str(output),
        "--paths.train", str(args.work / "train.spacy"),
        "--paths.dev", str(args.work / "dev.spacy"),
    ]  # fmt: skip
    if args.width:
        cmd += ["--components.tok2vec.model.encode.width", str(args.width)]
    if args.depth:
        cmd += ["--components.tok2vec.model.encode.depth", str(args.depth)]
    if args.max_steps:
        cmd += ["--training.max_steps", str(args.max_steps)]
    started = time.perf_counter()
    subprocess.run(cmd, check=True)
    print(f"training took {time.perf_counter() - started:.0f} s")
    if not args.no_install:
        install(output / "model-best")
        print(f"installed {MODEL_DIR}")


if __name__ == "__main__":
    main()
