"""Train the problem-mention model and install it into nlp/resources/mention_model/.

    .venv/bin/python -m chartdrop.nlp.training.train_mentions [--work DIR] [--no-install]
        [--config FILE] [--width 48] [--depth 2] [--max-steps N] [--maccrobat-repeat 3]
        [--no-vectors] [--no-pretrain] [--pretrain-epochs 3]

Under --work (default bench/.data/training, gitignored), in order, each step skipped when its
output is already there: static word vectors from unlabeled text (vectors.py; needs the
`train` extra), `spacy pretrain` of the tok2vec on the same text, the train/dev DocBins
(corpora.py), `spacy train` with config.cfg on CPU; then copies model-best without what loading
does not need into nlp/resources/mention_model/."""

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
PRETRAIN_EPOCHS = 3
KEEP = ("config.cfg", "meta.json", "tokenizer", "vocab", "tok2vec", "tagger")


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
    # The tagger's default tag_acc is filled in as 0.0: only the mention scores mean anything.
    performance = meta.get("performance", {})
    meta["performance"] = {k: v for k, v in performance.items() if k.startswith("mentions_")}
    meta.update(
        name="chartdrop_problem_mentions",
        version="1.0.0",
        description="PROBLEM mentions (diseases, disorders, signs, symptoms); see "
        "nlp/training/README.md",
        sources=[
            {"name": "NCBI disease corpus", "license": "public domain (NLM)"},
            {"name": "MACCROBAT2020", "license": "CC BY 4.0"},
            {"name": "MTSamples (unlabeled: vectors, pretraining)", "license": "CC0"},
        ],
    )
    meta_path.write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")


def build_vectors(work: Path) -> Path:
    from .vectors import build

    return build(work)


def pretrain(work: Path, overrides: list[str], epochs: int) -> Path:
    """`spacy pretrain` the tok2vec (characters objective) on the unlabeled text; the weights
    of the last epoch initialise training."""
    from .vectors import write_raw_jsonl

    out = work / "pretrain"
    weights = out / f"model{epochs - 1}.bin"
    if weights.is_file():
        return weights
    raw = work / "raw.jsonl"
    write_raw_jsonl(raw)
    cmd = [
        sys.executable, "-m", "spacy", "pretrain", str(HERE / "config.cfg"), str(out),
        "--paths.raw_text", str(raw), "--pretraining.max_epochs", str(epochs), *overrides,
        "--code", str(HERE / "registered.py"),
    ]  # fmt: skip
    started = time.perf_counter()
    subprocess.run(cmd, check=True)
    print(f"pretraining took {time.perf_counter() - started:.0f} s")
    return weights


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=REPO / "bench" / ".data" / "training")
    parser.add_argument(
        "--config", type=Path, default=HERE / "config.cfg",
        help="training config (another tok2vec + BILUO tagger to compare)",
    )  # fmt: skip
    parser.add_argument("--width", type=int)
    parser.add_argument("--depth", type=int)
    parser.add_argument("--max-steps", type=int)
    parser.add_argument(
        "--maccrobat-repeat", type=int, default=3,
        help="copies of each MACCROBAT training document (it is the smaller, clinical corpus)",
    )  # fmt: skip
    parser.add_argument(
        "--vectors", type=Path,
        help="spaCy vectors folder (default: WORK/vectors, built by vectors.py if missing)",
    )  # fmt: skip
    parser.add_argument("--no-vectors", action="store_true", help="no static vectors")
    parser.add_argument(
        "--init-tok2vec", type=Path,
        help="pretrained tok2vec weights (default: `spacy pretrain` into WORK/pretrain)",
    )  # fmt: skip
    parser.add_argument("--no-pretrain", action="store_true", help="random tok2vec init")
    parser.add_argument("--pretrain-epochs", type=int, default=PRETRAIN_EPOCHS)
    parser.add_argument(
        "--set",
        nargs=2,
        action="append",
        default=[],
        metavar=("KEY", "VALUE"),
        help="any other config override, e.g. --set training.dropout 0.2",
    )
    parser.add_argument("--no-install", action="store_true")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    for split in ("train", "dev"):
        repeat = args.maccrobat_repeat if split == "train" else 1
        gold = corpora.ncbi(split) + corpora.maccrobat(split) * repeat
        corpora.to_docbin(gold).to_disk(args.work / f"{split}.spacy")
    output = args.work / "output"
    cmd = [
        sys.executable, "-m", "spacy", "train", str(args.config),
        "--output", str(output),
        "--paths.train", str(args.work / "train.spacy"),
        "--paths.dev", str(args.work / "dev.spacy"),
        "--code", str(HERE / "registered.py"),
    ]  # fmt: skip
    if args.max_steps:
        cmd += ["--training.max_steps", str(args.max_steps)]
    if args.no_vectors:
        common = ["--components.tok2vec.model.embed.include_static_vectors", "false"]
    else:
        vectors = args.vectors or args.work / "vectors"
        if not (vectors / "vocab").is_dir():
            vectors = build_vectors(args.work)
        common = ["--paths.vectors", str(vectors)]
    # Overrides shared by pretraining and training: the tok2vec must be the same network.
    for flag, value in (("encode.width", args.width), ("encode.depth", args.depth)):
        if value:
            common += [f"--components.tok2vec.model.{flag}", str(value)]
    cmd += common
    if not args.no_pretrain:
        init = args.init_tok2vec or pretrain(args.work, common, args.pretrain_epochs)
        cmd += ["--paths.init_tok2vec", str(init)]
    for key, value in args.set:
        cmd += [f"--{key}", value]
    started = time.perf_counter()
    subprocess.run(cmd, check=True)
    print(f"training took {time.perf_counter() - started:.0f} s")
    if not args.no_install:
        install(output / "model-best")
        print(f"installed {MODEL_DIR}")


if __name__ == "__main__":
    main()
