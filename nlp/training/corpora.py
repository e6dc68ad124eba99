"""Gold problem mentions from the public corpora, as character spans and as spaCy DocBins.

- NCBI disease corpus (PubTator): every mention is a PROBLEM; text = title + " " + abstract.
- MACCROBAT2020 (brat): Disease_disorder and Sign_symptom entities are PROBLEMs. A
  discontinuous entity (`T1 Sign_symptom 10 20;30 40`) becomes one span from its first start
  to its last end when the gap between fragments is at most MAX_GAP_CHARS, else one span per
  fragment. MACCROBAT split: files sorted by name, first 80 -> train, last 20 -> dev.

Spans are aligned to the runtime tokenizer (`nlp.tokenizer.blank_english()`) with
alignment_mode="expand"; overlapping spans are dropped longest-first (spacy.util.filter_spans).

    python -m chartdrop.nlp.training.corpora --out DIR   # writes train.spacy / dev.spacy
"""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass
from pathlib import Path

LABEL = "PROBLEM"
MACCROBAT_TYPES = frozenset({"Disease_disorder", "Sign_symptom"})
MACCROBAT_TRAIN_FILES = 80
MAX_GAP_CHARS = 20


@dataclass(frozen=True)
class GoldDoc:
    doc_id: str
    text: str
    spans: tuple[tuple[int, int], ...]  # (start, end) character offsets, sorted, deduplicated


def data_dir() -> Path:
    repo = Path(__file__).resolve().parents[2]
    return Path(os.environ.get("CHARTDROP_DEV_DATA") or repo.parent / "shared" / "data")


def read_pubtator(path: Path) -> list[GoldDoc]:
    docs: list[GoldDoc] = []
    title = abstract = ""
    pmid = ""
    spans: list[tuple[int, int]] = []

    def flush() -> None:
        if pmid:
            docs.append(GoldDoc(pmid, f"{title} {abstract}", tuple(sorted(set(spans)))))

    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            flush()
            pmid, title, abstract, spans = "", "", "", []
            continue
        if "|t|" in line[:20]:
            pmid, _, title = line.split("|", 2)
        elif "|a|" in line[:20]:
            abstract = line.split("|", 2)[2]
        else:
            parts = line.split("\t")
            if len(parts) >= 4:
                spans.append((int(parts[1]), int(parts[2])))
    flush()
    return docs


def read_brat(txt: Path, types: frozenset[str] = MACCROBAT_TYPES) -> GoldDoc:
    text = txt.read_text(encoding="utf-8")
    spans: set[tuple[int, int]] = set()
    ann = txt.with_suffix(".ann")
    for line in ann.read_text(encoding="utf-8").splitlines():
        if not line.startswith("T"):
            continue
        parts = line.split("\t")
        if len(parts) < 2:
            continue
        kind, _, offsets = parts[1].partition(" ")
        if kind not in types:
            continue
        frags = [tuple(int(x) for x in frag.split()) for frag in offsets.split(";")]
        frags.sort()
        merged = [list(frags[0])]
        for start, end in frags[1:]:
            if start - merged[-1][1] <= MAX_GAP_CHARS:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        spans.update((s, e) for s, e in merged)
    return GoldDoc(txt.stem, text, tuple(sorted(spans)))


def ncbi(split: str) -> list[GoldDoc]:
    name = {"train": "NCBItrainset_corpus.txt", "dev": "NCBIdevelopset_corpus.txt"}[split]
    return read_pubtator(data_dir() / "ncbi_disease" / name)


def maccrobat(split: str) -> list[GoldDoc]:
    files = sorted((data_dir() / "maccrobat2020").glob("*.txt"))
    chosen = files[:MACCROBAT_TRAIN_FILES] if split == "train" else files[MACCROBAT_TRAIN_FILES:]
    return [read_brat(f) for f in chosen]


def to_docbin(gold: list[GoldDoc]):  # -> spacy.tokens.DocBin
    from spacy.tokens import DocBin
    from spacy.training.iob_utils import doc_to_biluo_tags
    from spacy.util import filter_spans

    from ..tokenizer import blank_english

    nlp = blank_english()
    out = DocBin(attrs=["ORTH", "ENT_IOB", "ENT_TYPE", "TAG"], store_user_data=False)
    for g in gold:
        doc = nlp.make_doc(g.text)
        spans = []
        for start, end in g.spans:
            span = doc.char_span(start, end, label=LABEL, alignment_mode="expand")
            if span is not None and span.text.strip():
                spans.append(span)
        doc.ents = filter_spans(spans)
        for token, tag in zip(doc, doc_to_biluo_tags(doc), strict=True):
            token.tag_ = tag  # the same mentions as BILUO tags, for a tagger
        out.add(doc)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for split in ("train", "dev"):
        gold = ncbi(split) + maccrobat(split)
        to_docbin(gold).to_disk(args.out / f"{split}.spacy")
        print(f"{split}: {len(gold)} docs, {sum(len(g.spans) for g in gold)} gold spans")


if __name__ == "__main__":
    main()
