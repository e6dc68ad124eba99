"""NLP evaluation: problem spans, negation, ICD-10-CM coding, throughput, medspaCy peer.

Prints numbers only (never note or report text). Not a test: nothing is asserted.

    .venv/bin/python bench/nlp_eval.py [--notes N] [--ncbi-train] [--quick]
                                       [--skip-throughput] [--skip-peer] [--show-misses]

Needs the development data (`$CHARTDROP_DEV_DATA`, default `../shared/data` from the repo
root); skips cleanly (exit 0) without it. The parent only orchestrates: each part runs in its
own child process, started while the parent is still small, so every peak RSS is the part's own.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from common import dev_data_dir, load_notes, peak_rss_mb

os.environ["HF_HUB_OFFLINE"] = "1"

REPO = Path(__file__).resolve().parents[1]
MACCROBAT_TRAIN_FILES = 80  # the split in nlp/training/corpora.py
CODING_FILES = ("coding_phrases.tsv", "coding_phrases_heldout.tsv")
MARK = "@@RESULT "
FAILED: list[str] = []
Span = tuple[int, int]
Prf = tuple[float, float, float]


def prf(tp_p: int, n_p: int, tp_r: int, n_g: int) -> Prf:
    p, r = tp_p / n_p if n_p else 0.0, tp_r / n_g if n_g else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def fmt(name: str, scores: Prf) -> str:
    p, r, f = scores
    return f"  {name:<44} P {p:.3f}  R {r:.3f}  F1 {f:.3f}"


def overlaps(a: Span, b: Span) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def predicted_problems(text: str) -> list[Any]:
    from chartdrop.nlp import extract

    return list(extract(text).problems)


def read_pubtator(path: Path) -> tuple[list[tuple[str, set[Span]]], int]:
    """[(title + " " + abstract, gold spans)] and the count of offset/string mismatches."""
    docs: list[tuple[str, set[Span]]] = []
    mismatches = 0
    for block in re.split(r"\n\s*\n", path.read_text(encoding="utf-8").strip()):
        lines = block.splitlines()
        text = f"{lines[0].split('|t|', 1)[1]} {lines[1].split('|a|', 1)[1]}"
        rows = [line.split("\t") for line in lines[2:] if line.count("\t") >= 3]
        mismatches += sum(text[int(r[1]) : int(r[2])] != r[3].strip() for r in rows)
        docs.append((text, {(int(r[1]), int(r[2])) for r in rows}))
    return docs, mismatches


def score_ncbi(path: Path, label: str) -> float:
    docs, mismatches = read_pubtator(path)
    n_gold = sum(len(g) for _, g in docs)
    print(f"  {label}: {len(docs)} docs, {n_gold} gold spans, {mismatches} offset mismatches")
    n_pred = strict_tp = tp_p = tp_r = 0
    started = time.perf_counter()
    for text, gold in docs:
        pred = {(m.start, m.end) for m in predicted_problems(text)}
        n_pred += len(pred)
        strict_tp += len(pred & gold)
        tp_p += sum(any(overlaps(p, g) for g in gold) for p in pred)
        tp_r += sum(any(overlaps(g, p) for p in pred) for g in gold)
    print(f"  {n_pred} predicted problem spans ({time.perf_counter() - started:.1f} s)")
    print(fmt(f"{label} strict (exact start/end)", prf(strict_tp, n_pred, strict_tp, n_gold)))
    overlap = prf(tp_p, n_pred, tp_r, n_gold)
    print(fmt(f"{label} overlap (lenient)", overlap))
    return overlap[2]


PROBLEM_KINDS = ("Disease_disorder", "Sign_symptom")


def read_brat(
    ann: Path, text: str, kinds: Iterable[str] = PROBLEM_KINDS
) -> tuple[list[tuple[list[Span], str]], int]:
    """Mentions of entity `kinds` as ([fragments], polarity) and slice mismatches."""
    kinds = frozenset(kinds)
    entities: dict[str, list[Span]] = {}
    event_trigger: dict[str, str] = {}
    polarity: dict[str, str] = {}
    mismatches = 0
    for line in ann.read_text(encoding="utf-8").splitlines():
        cols = line.split("\t")
        if line.startswith("T") and len(cols) >= 3:
            kind, _, locs = cols[1].partition(" ")
            frags = [(int(s), int(e)) for s, e in (loc.split() for loc in locs.split(";"))]
            mismatches += " ".join(text[s:e] for s, e in frags) != cols[2]
            if kind in kinds:
                entities[cols[0]] = frags
        elif line.startswith("E") and len(cols) >= 2:
            event_trigger[cols[0]] = cols[1].split()[0].split(":")[1]
        elif line.startswith("A") and len(cols) >= 2:
            parts = cols[1].split()
            if parts[0].upper() == "POLARITY" and len(parts) >= 3:
                polarity[event_trigger.get(parts[1], parts[1])] = parts[2].upper()
    return [(frags, polarity.get(tid, "POS")) for tid, frags in entities.items()], mismatches


def score_maccrobat(folder: Path) -> dict[str, Any]:
    files = sorted(p for p in folder.glob("*.txt") if p.with_suffix(".ann").is_file())
    per_doc: list[dict[str, Any]] = []
    mismatches = 0
    for path in files:
        text = path.read_text(encoding="utf-8")
        gold, bad = read_brat(path.with_suffix(".ann"), text)
        mismatches += bad
        pred = {(m.start, m.end): m.assertion for m in predicted_problems(text)}
        counts = {"n_pred": len(pred), "n_gold": len(gold), "tp_p": 0, "tp_r": 0}
        counts["tp_p"] = sum(any(overlaps(p, f) for g, _ in gold for f in g) for p in pred)
        confusion = {"NEG/neg": 0, "NEG/not": 0, "POS/neg": 0, "POS/not": 0}
        other = 0
        for frags, pol in gold:
            hits = [
                (sum(max(0, min(p[1], f[1]) - max(p[0], f[0])) for f in frags), p)
                for p in pred
                if any(overlaps(p, f) for f in frags)
            ]
            if not hits:
                continue
            counts["tp_r"] += 1
            best = max(hits)[1]
            negated = "/neg" if pred[best] == "negated" else "/not"
            confusion[("NEG" if pol == "NEG" else "POS") + negated] += 1
            other += pol not in ("NEG", "POS")
        per_doc.append({**counts, **confusion, "other_polarity": other})
    print(
        f"  {len(files)} documents, {mismatches} offset/string mismatches in entity lines "
        "(all types); gold = Disease_disorder + Sign_symptom; polarity from event attributes"
    )
    # The mention model trains on the first 80 files by name (nlp/training/corpora.py):
    # only the last 20 were never trained on (they did choose the best checkpoint).
    heldout = per_doc[MACCROBAT_TRAIN_FILES:]
    train = per_doc[:MACCROBAT_TRAIN_FILES]
    results: dict[str, Any] = {}
    for key, name, docs in (
        ("held-out", "held-out: last 20 files by name, the model dev split", heldout),
        ("train", "TRAINING: first 80 files by name, the model trained here", train),
        ("all", "all 100 (INCLUDES the 80% training data)", per_doc),
    ):
        if not docs:
            continue
        total = {k: sum(d[k] for d in docs) for k in docs[0]}
        f = prf(total["tp_p"], total["n_pred"], total["tp_r"], total["n_gold"])
        matched = total["tp_r"]
        agree = total["NEG/neg"] + total["POS/not"]
        acc = agree / matched if matched else 0.0
        print(f"  -- {name}: {len(docs)} docs, {total['n_gold']} gold, {total['n_pred']} predicted")
        print(fmt("overlap (pooled)", f))
        print(
            f"  negation on {matched} matched gold mentions: accuracy {acc:.3f}   "
            f"gold NEG: pred negated {total['NEG/neg']}, not {total['NEG/not']}   "
            f"gold POS: pred negated {total['POS/neg']}, not {total['POS/not']}"
        )
        print(f"     ({total['other_polarity']} of them UNCERTAIN/MAYBE_*: count as not negated)")
        results[key] = {"f1": f[2], "neg_acc": acc, "matched": matched}
    return results


def norm_code(code: str) -> str:
    return code.replace(".", "").strip().upper()


def ranked_codes(phrase: str) -> list[str]:
    from chartdrop.nlp import coding

    suggest = getattr(coding, "suggest_codes", None)
    if callable(suggest):
        items: Iterable[Any] = suggest(phrase)
    else:
        problems = predicted_problems(phrase)
        if not problems:
            return []
        top = max(problems, key=lambda m: (m.confidence, m.end - m.start))
        items = top.icd10cm
    # str codes, CodeSuggestion-like objects (.code) or (code, ...) tuples
    return [norm_code(i if isinstance(i, str) else getattr(i, "code", None) or i[0]) for i in items]


def score_coding(show_misses: bool) -> dict[str, float]:
    from chartdrop.nlp import coding

    how = "coding.suggest_codes()" if hasattr(coding, "suggest_codes") else "top problem's icd10cm"
    results: dict[str, float] = {}
    for name in CODING_FILES:
        path = REPO / "bench" / "data" / name
        if not path.is_file():
            print(f"  {name}: not present, SKIPPED")
            continue
        lines = path.read_text(encoding="utf-8").splitlines()
        rows = [r.split("\t") for r in lines if r.strip() and not r.startswith("#")]
        rows = [r for r in rows if len(r) >= 2 and r[1].strip().lower() != "expected_code"]
        top1 = top3 = 0
        for row in rows:
            accept = accepted(row)
            got = ranked_codes(row[0])
            top1 += bool(got[:1]) and got[0] in accept
            top3 += any(c in accept for c in got[:3])
            if show_misses and not (got[:1] and got[0] in accept):
                print(f"    miss: {row[0]!r} expected {row[1]} got {got[:3]}")
        n = max(1, len(rows))
        print(f"  {name} ({how}): {len(rows)} phrases, top-1 {top1 / n:.3f}, top-3 {top3 / n:.3f}")
        results[name] = top1 / n
        drafted = sum(draft_code(row[0]) in accepted(row) for row in rows) / n
        how_drafted = "the draft's code: extract() on 'ASSESSMENT: <phrase>.'"
        print(f"  {name} ({how_drafted}): top-1 {drafted:.3f}")
        results[f"{name} draft"] = drafted
    return results


def accepted(row: list[str]) -> set[str]:
    alternates = row[2].split("|") if len(row) > 2 else []
    return {norm_code(c) for c in [row[1], *alternates] if c.strip()}


def draft_code(phrase: str) -> str | None:
    """The first code of the longest coded problem overlapping `phrase` when a dictated
    assessment states it: the code the draft proposes, after the pipeline's own spans, sides,
    assertions and widening, which suggest_codes() on the bare phrase does not see."""
    text = f"ASSESSMENT: {phrase}."
    start = len("ASSESSMENT: ")
    end = start + len(phrase)
    coded = [p for p in predicted_problems(text) if p.start < end and start < p.end and p.icd10cm]
    top = max(coded, key=lambda p: p.end - p.start, default=None)
    return norm_code(top.icd10cm[0].code) if top else None


def throughput(engine: str, csv_path: Path, count: int) -> dict[str, float]:
    notes = load_notes(csv_path, count)
    base = peak_rss_mb()
    t0 = time.perf_counter()
    if engine == "chartdrop_batch":
        from chartdrop.nlp import extract_many, warm_up

        warm_up()
        print("== Throughput: chartdrop.nlp.extract_many (nlp.pipe, batch 32; own process)")

        cpu0, t1 = time.process_time(), time.perf_counter()
        for _ in extract_many(notes, batch_size=32):
            pass
        wall, cpu = time.perf_counter() - t1, time.process_time() - cpu0
        print(
            f"  {len(notes) / wall:.1f} notes/s (wall); {len(notes) / max(cpu, 1e-9):.1f} notes"
            f" per CPU-second; peak RSS {peak_rss_mb():.0f} MB"
        )
        return {"notes_s": len(notes) / wall, "notes_cpu_s": len(notes) / max(cpu, 1e-9)}
    if engine == "chartdrop":
        from chartdrop.nlp import extract, warm_up

        warm_up()
        run = extract
        print("== Throughput: chartdrop.nlp.extract (single process, after warm_up())")
    else:
        from loguru import logger

        logger.remove()  # PyRuSH logs every sentence boundary at DEBUG through loguru
        import medspacy

        nlp = medspacy.load()
        nlp("Warm up: the patient denies chest pain.")
        run = nlp
        print(f"== Peer: medspacy.load() default pipeline {nlp.pipe_names} (single process)")
        print(
            "  NOTE: medspaCy tokenizer + PyRuSH sentences + TargetMatcher (no rules, so it finds"
            " no problems) + ConText (default rules); no sectionizer by default. A speed/memory"
            " peer for the sentence + context machinery only, not an accuracy peer."
        )
    load_s = time.perf_counter() - t0
    words = sum(len(n.split()) for n in notes)
    cpu0, wall = time.process_time(), 0.0
    for note in notes:
        t1 = time.perf_counter()
        run(note)
        wall += time.perf_counter() - t1
    cpu = time.process_time() - cpu0
    rss = peak_rss_mb()
    print(f"  {len(notes)} notes, {words} words; load+warm-up {load_s:.2f} s", end="; ")
    print(f"RSS at start {base:.0f} MB")
    print(
        f"  {len(notes) / wall:.1f} notes/s, {words / wall:.0f} words/s (wall); "
        f"{len(notes) / max(cpu, 1e-9):.1f} notes per CPU-second; peak RSS {rss:.0f} MB"
    )
    return {"notes_s": len(notes) / wall, "notes_cpu_s": len(notes) / max(cpu, 1e-9), "rss": rss}


def run_child(part: str) -> dict[str, Any] | None:
    """Run one part in a fresh interpreter; pass its lines through, return its result."""
    cmd = [sys.executable, __file__, *sys.argv[1:], "--child", part]
    result: dict[str, Any] | None = None
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, cwd=REPO) as proc:
        for line in proc.stdout or ():
            if line.startswith(MARK):
                result = json.loads(line[len(MARK) :])
            else:
                print(line, end="", flush=True)
    if proc.returncode:
        print(f"  !! part {part!r} failed (exit {proc.returncode})")
        FAILED.append(part)
    return result


def child_main(part: str, args: argparse.Namespace, data: Path) -> dict[str, Any]:
    if part == "accuracy":
        out: dict[str, Any] = {}
        print("== NCBI-disease (problems vs gold disease spans; text = title + ' ' + abstract)")
        out["ncbi"] = score_ncbi(data / "ncbi_disease" / "NCBIdevelopset_corpus.txt", "dev")
        if args.ncbi_train:
            score_ncbi(data / "ncbi_disease" / "NCBItrainset_corpus.txt", "train (info)")
        print("== MACCROBAT2020 (problems vs gold Disease_disorder/Sign_symptom)")
        out["maccrobat"] = score_maccrobat(data / "maccrobat2020")
        if not args.quick:
            print("== ICD-10-CM coding (bench/data/coding_phrases*.tsv)")
            out["coding"] = score_coding(args.show_misses)
            from coding_notes import FILES as NOTE_FILES
            from coding_notes import score as score_notes

            for name in NOTE_FILES:
                out["coding"][f"{name} exact set"] = score_notes(name)["exact"]
        return out
    return throughput(part, data / "mtsamples" / "mtsamples.csv", args.notes)


def summary(acc: dict[str, Any], ours: dict[str, Any] | None, peer: dict[str, Any] | None) -> None:
    rows: list[tuple[str, str, str]] = []
    if "ncbi" in acc:
        rows.append(("NCBI-disease dev overlap F1", ">= 0.85", f"{acc['ncbi']:.3f}"))
    # Targets are judged on the held-out files only; the training files are printed above.
    if m := acc.get("maccrobat", {}).get("held-out"):
        label = "held-out last 20 files"
        rows.append((f"MACCROBAT overlap F1 ({label})", ">= 0.80", f"{m['f1']:.3f}"))
        neg = f"negation accuracy ({label}, n={m['matched']})"
        rows.append((neg, ">= 0.95", f"{m['neg_acc']:.3f}"))
    for name, top1 in acc.get("coding", {}).items():
        target = "info" if name.endswith((" draft", " set")) else ">= 0.90"
        rows.append((f"coding top-1 ({name})", target, f"{top1:.3f}"))
    if "coding" in acc and not acc["coding"]:
        rows.append(("coding top-1", ">= 0.90", "skipped"))
    if ours:
        rows.append(("chartdrop notes/s (1 process = 1 core)", ">= 100", f"{ours['notes_s']:.1f}"))
        if "batch_notes_s" in ours:
            value = f"{ours['batch_notes_s']:.1f}"
            rows.append(("chartdrop extract_many notes/s (1 process)", "info", value))
        rows.append(("chartdrop peak RSS MB", "-", f"{ours['rss']:.0f}"))
    if peer:
        value = f"{peer['notes_s']:.1f} | {peer['rss']:.0f}"
        rows.append(("medspaCy default notes/s | peak RSS MB", "peer", value))
    if ours and peer:
        value = f"{ours['notes_s'] / peer['notes_s']:.2f} | {ours['rss'] / peer['rss']:.2f}"
        rows.append(("ratio chartdrop/medspaCy notes/s | RSS", "info", value))
    print("== Summary")
    width = max((len(r[0]) for r in rows), default=10)
    for name, target, value in [("metric", "target", "measured"), *rows]:
        print(f"  {name:<{width}}  {target:>8}  {value}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notes", type=int, default=1000, help="MTSamples notes (default 1000)")
    parser.add_argument("--ncbi-train", action="store_true", help="also score NCBI train (info)")
    parser.add_argument("--skip-throughput", action="store_true")
    parser.add_argument("--skip-peer", action="store_true", help="skip the medspaCy comparison")
    parser.add_argument("--quick", action="store_true", help="NCBI + MACCROBAT only")
    parser.add_argument("--show-misses", action="store_true", help="print missed coding phrases")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()

    data = dev_data_dir()
    if not (data / "ncbi_disease").is_dir() or not (data / "maccrobat2020").is_dir():
        print(f"SKIPPED: no development data at {data} (set CHARTDROP_DEV_DATA)")
        return 0
    if args.child:
        print(MARK + json.dumps(child_main(args.child, args, data)), flush=True)
        return 0
    started = time.perf_counter()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPU(s), data {data}", flush=True)
    acc = run_child("accuracy") or {}
    ours = peer = None
    has_notes = (data / "mtsamples" / "mtsamples.csv").is_file()
    if not args.quick and not (args.skip_throughput and args.skip_peer) and not has_notes:
        print("== Throughput: SKIPPED (no mtsamples/mtsamples.csv)")
    if not args.quick and not args.skip_throughput and has_notes:
        ours = run_child("chartdrop")
        # Its own process, so that its coding caches start as cold as extract()'s did.
        batch = run_child("chartdrop_batch")
        if ours and batch:
            ours["batch_notes_s"] = batch["notes_s"]
    if not args.quick and not args.skip_peer and has_notes:
        peer = run_child("medspacy")
    summary(acc, ours, peer)
    print(f"total runtime {time.perf_counter() - started:.1f} s")
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
