"""Dictation accuracy and speed: bare faster-whisper vs chartdrop's audio reader.

    .venv/bin/python bench/asr.py [--notes 8] [--threads 2] [--model bundled:tiny.en]
                                  [--held-out] [--workers 1] [--long MINUTES]

Builds (when missing) a development set under bench/.data/asr_dev/: espeak-ng
dictations of the first ~100 words of MTSamples notes (`$CHARTDROP_DEV_DATA`, default
`../shared/data`) in several voices and speeds, a third of them with noise mixed in.
`--held-out` builds and scores instead a second set (bench/.data/asr_heldout/) from
other notes, for checking what was tuned on the first: its notes come from the
EXCLUDED_NOTES that the word-pair counts (ingest/training/context_counts.py) leave out,
and none of them is in the development set.
Then, each in its own child process (so peak memory is its own):

  bare       faster-whisper (beam 5 or --beam, VAD, int8, N threads), segment texts joined
  chartdrop  chartdrop's Transcriber; scored as raw recogniser text, formatted only,
             and formatted + lexicon-corrected (what the draft gets)

and prints real-time factor (audio s / wall s), peak RSS, WER after Whisper's English
text normaliser (`whisper-normalizer`) on both sides, and medical-term recall: the
share of each note's own medical terms (its MTSamples keywords and lexicon terms that
occur in the reference) found in the hypothesis; and draft codes: the share of the
(ICD-10-CM code, assertion) pairs that chartdrop's NLP charts from the reference text
which it also charts from the hypothesis, what a technician's draft would show. Prints
numbers only, never note text.
Not a test: nothing is asserted.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import time
import wave
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from common import dev_data_dir

os.environ["HF_HUB_OFFLINE"] = "1"
REPO = Path(__file__).resolve().parents[1]
FOLDER = REPO / "bench" / ".data" / "asr_dev"
HELD_OUT_FOLDER = REPO / "bench" / ".data" / "asr_heldout"
EXCLUDED_NOTES = 40  # pick_notes(EXCLUDED_NOTES) are kept out of the word-pair counts
DEV_NOTES = 8  # the development set's notes (the default --notes), never in a held-out set
# (espeak-ng voice, words per minute), cycled over the notes
VOICES = (("en-us", 150), ("en-gb", 170), ("en-gb-x-rp", 140), ("en-us", 180))
NOISY_EVERY = 3  # every third dictation also gets a noisy copy (SNR below)
SNR_DB = 12.0
SPECIALTIES = (
    "General Medicine",
    "SOAP / Chart / Progress Notes",
    "Consult - History and Phy.",
    "Discharge Summary",
    "Cardiovascular / Pulmonary",
    "Nephrology",
)


def clean_note(text: str, words: int = 100, list_items: bool = True) -> str:
    """MTSamples text as dictated: section headers as sentences, ~`words` words,
    cut at a sentence end. Numbered lists run on as "...,2. Mild ...", and espeak-ng
    says that "." as "dot", which no physician dictates and the reference does not hold:
    `list_items` makes them sentences ("list_items=False" is how the notes were chosen,
    so the sets kept their notes when this was added)."""
    text = re.sub(r",\s*([A-Z][A-Z /&]+):\s*,?", r". \1: ", text)
    if list_items:
        text = re.sub(r"\.,\s*", ". ", text)
    text = re.sub(r"\s+", " ", text).strip(" ,.")
    out: list[str] = []
    for sentence in re.split(r"(?<=[.!?])\s+", text):
        out.append(sentence)
        if sum(len(s.split()) for s in out) >= words * 0.8:
            break
    return " ".join(out)[: words * 12]


def pick_notes(count: int) -> list[dict[str, str]]:
    csv.field_size_limit(sys.maxsize)
    path = dev_data_dir() / "mtsamples" / "mtsamples.csv"
    picked: list[dict[str, str]] = []
    per: dict[str, int] = {}
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            spec = (row.get("medical_specialty") or "").strip()
            if spec not in SPECIALTIES or not (row.get("keywords") or "").strip():
                continue
            if per.get(spec, 0) >= max(1, count // 4):
                continue
            chosen_by = clean_note(row.get("transcription") or "", list_items=False)
            if not 70 <= len(chosen_by.split()) <= 130:
                continue
            text = clean_note(row.get("transcription") or "")
            per[spec] = per.get(spec, 0) + 1
            picked.append({"id": row["note_id"], "text": text, "keywords": row["keywords"]})
            if len(picked) >= count:
                break
    return picked


def add_noise(src: Path, dst: Path, snr_db: float, seed: int) -> None:
    with wave.open(str(src)) as w:
        rate, pcm = w.getframerate(), np.frombuffer(w.readframes(w.getnframes()), "<i2")
    signal = pcm.astype(np.float32) / 32768.0
    power = float(np.mean(signal[np.abs(signal) > 1e-3] ** 2)) if signal.any() else 1e-4
    noise = np.random.default_rng(seed).normal(
        0, np.sqrt(power / 10 ** (snr_db / 10)), signal.shape
    )
    mixed = np.clip(signal + noise.astype(np.float32), -1, 1)
    with wave.open(str(dst), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes((mixed * 32767).astype("<i2").tobytes())


def held_out_notes(count: int, dev_count: int) -> list[dict[str, str]]:
    """`count` notes that the word-pair counts never saw and the dev set does not hold."""
    dev = {n["id"] for n in pick_notes(dev_count)}
    return [n for n in pick_notes(EXCLUDED_NOTES) if n["id"] not in dev][:count]


def build(count: int, folder: Path = FOLDER, held_out: bool = False) -> list[dict[str, object]]:
    manifest_path = folder / "manifest.json"
    if manifest_path.is_file():
        manifest = json.loads(manifest_path.read_text())
        if len({m["note"] for m in manifest}) >= count and all(
            (folder / m["file"]).is_file() for m in manifest
        ):
            return [m for m in manifest if m["index"] < count]
    if shutil.which("espeak-ng") is None:
        raise SystemExit("espeak-ng is not installed: cannot build the dev set")
    sys.path.insert(0, str(REPO))
    from tests.factories import make_dictation

    folder.mkdir(parents=True, exist_ok=True)
    manifest = []
    # Up to EXCLUDED_NOTES - DEV_NOTES held-out notes; the first 8 are the same for any count.
    notes = held_out_notes(count, DEV_NOTES) if held_out else pick_notes(count)
    for i, note in enumerate(notes):
        voice, speed = VOICES[i % len(VOICES)]
        name = f"d{i:02d}_{voice}_{speed}.wav"
        make_dictation(note["text"], folder / name, voice=voice, speed=speed)
        base = {
            "index": i,
            "note": note["id"],
            "reference": note["text"],
            "keywords": note["keywords"],
            "voice": voice,
            "speed": speed,
        }
        manifest.append({**base, "file": name, "noisy": False})
        if i % NOISY_EVERY == 0:
            noisy = name.replace(".wav", "_noisy.wav")
            add_noise(folder / name, folder / noisy, SNR_DB, seed=i)
            manifest.append({**base, "file": noisy, "noisy": True})
    manifest_path.write_text(json.dumps(manifest, indent=1))
    return manifest


def audio_seconds(path: Path) -> float:
    with wave.open(str(path)) as w:
        return w.getnframes() / w.getframerate()


# ---------------------------------------------------------------- child processes


def run_bare(files: list[Path], threads: int, model_name: str, beam: int) -> dict[str, object]:
    from faster_whisper import WhisperModel

    from chartdrop.ingest.speech import resolve_device, resolve_model

    source, _ = resolve_model(model_name)
    device, compute = resolve_device("auto", "auto")
    model = WhisperModel(source, device=device, compute_type=compute, cpu_threads=threads)
    texts, wall = [], 0.0
    for path in files:
        t0 = time.perf_counter()
        segments, _ = model.transcribe(str(path), language="en", beam_size=beam, vad_filter=True)
        texts.append(" ".join(s.text.strip() for s in segments))
        wall += time.perf_counter() - t0
    return {"hyp": {"bare": texts}, "wall": wall}


def run_chartdrop(
    files: list[Path], threads: int, model_name: str, beam: int, workers: int = 1
) -> dict[str, object]:
    """One Transcriber; `workers` > 1 reads that many files at once, as `chartdrop watch`'s
    workers do (CHARTDROP_WORKERS), and the wall time is then the whole set's."""
    from chartdrop.ingest.readers import read_document
    from chartdrop.ingest.speech import Transcriber
    from chartdrop.ingest.transcript import finish
    from chartdrop.settings import Settings

    settings = Settings(whisper_threads=threads, whisper_model=model_name, whisper_beam_size=beam)
    transcriber = Transcriber(settings).load()
    hyp: dict[str, list[str]] = {"raw": [], "formatted": [], "chartdrop": []}
    wall, corrections, low = 0.0, 0, 0

    def read(path: Path) -> tuple[object, float]:
        t0 = time.perf_counter()
        return read_document(path, settings, transcriber=transcriber), time.perf_counter() - t0

    if workers > 1:
        t0 = time.perf_counter()
        with ThreadPoolExecutor(workers) as pool:
            results = list(pool.map(read, files))
        wall = time.perf_counter() - t0
    else:
        results = [read(path) for path in files]
        wall = sum(seconds for _, seconds in results)
    for result, _ in results:
        hyp["raw"].append(result.raw_text)
        hyp["formatted"].append(finish(result.segments, None).text)
        hyp["chartdrop"].append(result.text)
        corrections += len(result.corrections)
        low += result.low_confidence_words
    return {"hyp": hyp, "wall": wall, "corrections": corrections, "low": low}


def child(mode: str, files: list[str], threads: int, model: str, beam: int, workers: int) -> None:
    paths = [Path(f) for f in files]
    if mode == "bare":
        out = run_bare(paths, threads, model, beam)
    else:
        out = run_chartdrop(paths, threads, model, beam, workers)
    out["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(out))


# ------------------------------------------------------------------------ scoring


def normaliser():
    try:
        from whisper_normalizer.english import EnglishTextNormalizer
    except ImportError as exc:
        raise SystemExit("pip install whisper-normalizer (bench only)") from exc
    return EnglishTextNormalizer()


def wer(ref: list[str], hyp: list[str]) -> tuple[int, int]:
    from rapidfuzz.distance import Levenshtein

    return Levenshtein.distance(ref, hyp), len(ref)


def medical_terms(reference: str, keywords: str, norm) -> list[str]:
    from chartdrop.nlp import resources

    ref = f" {norm(reference)} "
    terms = {k.strip() for k in keywords.split(",")[1:] if k.strip()}
    for name in ("medications.tsv", "problem_synonyms.tsv", "procedures.tsv"):
        terms |= {row[0] for row in resources.read_tsv(name) if len(row[0]) >= 4}
    found = []
    for term in terms:
        t = norm(term)
        if len(t) >= 4 and f" {t} " in ref:
            found.append(t)
    # Drop terms contained in a longer found term ("valve" inside "mitral valve").
    return sorted(t for t in set(found) if not any(t != o and f" {t} " in f" {o} " for o in found))


def charted_codes(text: str) -> set[tuple[str, str]]:
    """(code, assertion) of each charted, coded problem the NLP finds in `text`."""
    from chartdrop.nlp import extract

    found = extract(text).problems
    return {(m.icd10cm[0].code, m.assertion) for m in found if m.charted and m.icd10cm}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--notes", type=int, default=DEV_NOTES)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--model", default="bundled:tiny.en")
    parser.add_argument("--beam", type=int, default=5, help="beam width for both systems")
    parser.add_argument("--skip-bare", action="store_true", help="chartdrop only (iterating)")
    parser.add_argument(
        "--long",
        type=float,
        metavar="MINUTES",
        help="instead: one recording this long (the clean dev files end to end), chartdrop "
        "only: real-time factor and peak RSS, for memory over long dictations",
    )
    parser.add_argument(
        "--held-out", action="store_true", help="score the held-out set instead (see above)"
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="chartdrop reads this many files at once (CHARTDROP_WORKERS); RTF is then the "
        "set's audio over its wall time: a queue's throughput, not one file's speed",
    )
    parser.add_argument("--child", choices=("bare", "chartdrop"))
    parser.add_argument("files", nargs="*")
    args = parser.parse_args()
    if args.child:
        child(args.child, args.files, args.threads, args.model, args.beam, args.workers)
        return
    folder = HELD_OUT_FOLDER if args.held_out else FOLDER
    manifest = build(args.notes, folder, held_out=args.held_out)
    files = [str(folder / m["file"]) for m in manifest]
    if args.long:
        long_recording(manifest, folder, args.long, args.threads, args.model, args.beam)
        return
    audio = sum(audio_seconds(Path(f)) for f in files)
    print(
        f"{'held-out' if args.held_out else 'dev'} set: {len(manifest)} files from "
        f"{args.notes} notes, {audio:.0f} s of audio, "
        f"model {args.model}, beam {args.beam}, {args.threads} threads"
        + (f", chartdrop {args.workers} files at once" if args.workers > 1 else "")
    )
    runs = {}
    for mode in ("chartdrop",) if args.skip_bare else ("bare", "chartdrop"):
        cmd = [
            sys.executable,
            __file__,
            "--child",
            mode,
            "--threads",
            str(args.threads),
            "--model",
            args.model,
            "--beam",
            str(args.beam),
            "--workers",
            str(args.workers),
            *files,
        ]
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if done.returncode:
            raise SystemExit(f"{mode} run failed:\n{done.stderr[-3000:]}")
        runs[mode] = json.loads(done.stdout.strip().splitlines()[-1])
    norm = normaliser()
    terms = [medical_terms(m["reference"], m["keywords"], norm) for m in manifest]
    refs = [norm(m["reference"]).split() for m in manifest]
    ref_codes = [charted_codes(m["reference"]) for m in manifest]
    print(
        f"{'system':<22}{'WER':>7}{'WER clean':>11}{'WER noisy':>11}{'med recall':>12}"
        f"{'codes':>7}{'RTF':>8}{'peak MB':>9}"
    )
    overall: dict[str, float] = {}
    for mode, run in runs.items():
        for name, hyps in run["hyp"].items():
            errs = {True: [0, 0], False: [0, 0]}
            hit = total = coded = 0
            for m, ref, hyp, ts, codes in zip(manifest, refs, hyps, terms, ref_codes, strict=True):
                e, n = wer(ref, norm(hyp).split())
                errs[m["noisy"]][0] += e
                errs[m["noisy"]][1] += n
                h = f" {norm(hyp)} "
                hit += sum(1 for t in ts if f" {t} " in h)
                total += len(ts)
                coded += len(codes & charted_codes(hyp))
            all_e = errs[True][0] + errs[False][0]
            all_n = errs[True][1] + errs[False][1]
            overall[name] = all_e / all_n
            print(
                f"{mode + ':' + name:<22}{all_e / all_n:>7.3f}"
                f"{errs[False][0] / max(1, errs[False][1]):>11.3f}"
                f"{errs[True][0] / max(1, errs[True][1]):>11.3f}"
                f"{hit / max(1, total):>11.1%}"
                f"{coded / max(1, sum(map(len, ref_codes))):>7.1%}"
                f"{audio / run['wall']:>8.1f}{run['peak_mb']:>9.0f}"
            )
    if "bare" in overall:  # the issue's target: chartdrop's WER at most 0.7x bare's
        print(f"WER chartdrop / bare: {overall['chartdrop'] / overall['bare']:.2f}x")
    cd = runs["chartdrop"]
    print(
        f"chartdrop: {cd['corrections']} lexicon correction(s), {cd['low']} low-confidence "
        f"word(s) flagged; {sum(len(t) for t in terms)} medical terms and "
        f"{sum(map(len, ref_codes))} draft codes in the references"
    )


def long_recording(
    manifest: list[dict[str, object]],
    folder: Path,
    minutes: float,
    threads: int,
    model: str,
    beam: int,
) -> None:
    """The clean dev dictations end to end until `minutes` long, through chartdrop once."""
    clean = [folder / str(m["file"]) for m in manifest if not m["noisy"]]
    target = folder / f"long_{minutes:g}min.wav"
    if not target.is_file():
        with wave.open(str(clean[0])) as first:
            params = first.getparams()
        frames_wanted = int(minutes * 60 * params.framerate)
        with wave.open(str(target), "wb") as out:
            out.setparams(params)
            written = 0
            while written < frames_wanted:
                for path in clean:
                    with wave.open(str(path)) as src:
                        if src.getparams()[:3] != params[:3]:
                            continue
                        out.writeframes(src.readframes(src.getnframes()))
                        written += src.getnframes()
                    if written >= frames_wanted:
                        break
    seconds = audio_seconds(target)
    cmd = [sys.executable, __file__, "--child", "chartdrop", "--threads", str(threads),
           "--model", model, "--beam", str(beam), str(target)]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(f"chartdrop run failed:\n{done.stderr[-3000:]}")
    run = json.loads(done.stdout.strip().splitlines()[-1])
    print(
        f"long recording: {seconds / 60:.1f} min, model {model}, beam {beam}, {threads} threads: "
        f"{seconds / run['wall']:.1f}x real time, peak RSS {run['peak_mb']:.0f} MB"
    )


if __name__ == "__main__":
    main()
