"""Problem-mention scores on the dev splits: lexicon-only, model-only and merged (the product).

    .venv/bin/python -m chartdrop.nlp.training.evaluate [--corpus ncbi|maccrobat|all]

Strict: a prediction counts when its character span equals a gold span. Overlap: precision is
the share of predictions that overlap some gold span, recall the share of gold spans that
some prediction overlaps. Prints numbers only, never text.
"""

from __future__ import annotations

import argparse
import time

from . import corpora


def score(gold: list[list[tuple[int, int]]], pred: list[list[tuple[int, int]]]) -> dict:
    n_gold = n_pred = tp = p_hit = g_hit = 0
    for g, p in zip(gold, pred, strict=True):
        gset = set(g)
        n_gold += len(gset)
        n_pred += len(p)
        tp += sum(1 for span in set(p) if span in gset)
        p_hit += sum(1 for s, e in p if any(s < ge and gs < e for gs, ge in gset))
        g_hit += sum(1 for gs, ge in gset if any(s < ge and gs < e for s, e in p))

    def prf(p_num: int, r_num: int) -> tuple[float, float, float]:
        prec = p_num / n_pred if n_pred else 0.0
        rec = r_num / n_gold if n_gold else 0.0
        return prec, rec, (2 * prec * rec / (prec + rec) if prec + rec else 0.0)

    return {"strict": prf(tp, tp), "overlap": prf(p_hit, g_hit), "gold": n_gold, "pred": n_pred}


def predictions(docs: list[corpora.GoldDoc]) -> dict[str, list[list[tuple[int, int]]]]:
    from chartdrop.nlp.mentions import MODEL, MODEL_KEY
    from chartdrop.nlp.pipeline import _to_extraction, get_pipeline

    nlp = get_pipeline()
    out: dict[str, list[list[tuple[int, int]]]] = {"lexicon": [], "model": [], "merged": []}
    for d in docs:
        doc = nlp(d.text)
        out["model"].append([(s.start_char, s.end_char) for s in doc.spans.get(MODEL_KEY, [])])
        out["merged"].append([(m.start, m.end) for m in _to_extraction(doc).problems])
    disabled = [MODEL] if MODEL in nlp.pipe_names else []
    with nlp.select_pipes(disable=disabled):
        for d in docs:
            out["lexicon"].append([(m.start, m.end) for m in _to_extraction(nlp(d.text)).problems])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", choices=("ncbi", "maccrobat", "all"), default="all")
    args = parser.parse_args()
    names = ("ncbi", "maccrobat") if args.corpus == "all" else (args.corpus,)
    print(f"{'corpus':10} {'system':8} {'strict P/R/F1':>20} {'overlap P/R/F1':>20}  gold  pred")
    for name in names:
        docs = corpora.ncbi("dev") if name == "ncbi" else corpora.maccrobat("dev")
        started = time.perf_counter()
        preds = predictions(docs)
        for system, pred in preds.items():
            r = score([list(d.spans) for d in docs], pred)
            strict = "/".join(f"{x:.3f}" for x in r["strict"])
            overlap = "/".join(f"{x:.3f}" for x in r["overlap"])
            print(f"{name:10} {system:8} {strict:>20} {overlap:>20} {r['gold']:5} {r['pred']:5}")
        print(f"  ({len(docs)} docs, {time.perf_counter() - started:.1f} s)")


if __name__ == "__main__":
    main()
