"""Pipeline speed: ASR real-time factor and NLP throughput on development data.

Prints numbers only (never note text). Not a test: nothing is asserted.

    .venv/bin/python bench/pipeline_speed.py [--notes N] [--audio-files N] [--skip-asr] [--skip-nlp]

Needs the development data (`$CHARTDROP_DEV_DATA`, default `../shared/data` from the repo
root) and, for the ASR part, espeak-ng; skips cleanly (exit 0) without them. When both
parts run, each runs in its own child process so that its peak RSS is its own.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from common import dev_data_dir, load_notes, peak_rss_mb

os.environ["HF_HUB_OFFLINE"] = "1"  # never reach for a model hub (OMP_THREAD_LIMIT: leave alone)

REPO = Path(__file__).resolve().parents[1]
CACHE = REPO / "bench" / ".data"
VOICES = (("en-us", 150), ("en-gb", 170))  # (espeak-ng voice, words per minute), alternated
DICTATION_WORDS = 120
_PUNCT = re.compile(r"[^\w\s]")


def words_of(text: str) -> list[str]:
    """Crude normaliser: lower case, punctuation to spaces, split on whitespace."""
    return _PUNCT.sub(" ", text.lower()).split()


def wer(reference: str, hypothesis: str) -> float:
    """Word error rate: word-level Levenshtein distance / reference length."""
    ref, hyp = words_of(reference), words_of(hypothesis)
    prev = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        cur = [i]
        for j, h in enumerate(hyp, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (r != h)))
        prev = cur
    return prev[-1] / max(1, len(ref))


# --------------------------------------------------------------------------- ASR


def speaker() -> Callable[..., Path]:
    """tests/factories.py's make_dictation if importable, else espeak-ng directly."""
    sys.path.insert(0, str(REPO))
    try:
        from tests.factories import make_dictation

        return make_dictation
    except ImportError:

        def speak(text: str, path: Path, voice: str = "en-us", speed: int = 150) -> Path:
            path.parent.mkdir(parents=True, exist_ok=True)
            cmd = ["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(path), "--stdin"]
            subprocess.run(cmd, input=text.encode(), check=True, capture_output=True)
            return path

        return speak


def dictation_set(csv_path: Path, count: int) -> list[dict[str, str | int]] | None:
    """Manifest of `count` dictations under bench/.data/asr, made when missing, else reused."""
    folder = CACHE / "asr"
    manifest_path = folder / "manifest.json"
    manifest: list[dict[str, str | int]] = []
    if manifest_path.is_file():
        manifest = json.loads(manifest_path.read_text())
    manifest = [m for m in manifest if (folder / str(m["file"])).is_file()]
    if len(manifest) >= count:
        return manifest[:count]
    if shutil.which("espeak-ng") is None:
        return None
    speak = speaker()
    notes = load_notes(csv_path, count)
    manifest = []
    started = time.perf_counter()
    for i, note in enumerate(notes):
        voice, speed = VOICES[i % len(VOICES)]
        reference = " ".join(note.split()[:DICTATION_WORDS])
        name = f"dictation{i:02d}_{voice}_{speed}.wav"
        speak(reference, folder / name, voice=voice, speed=speed)
        manifest.append({"file": name, "voice": voice, "speed": speed, "reference": reference})
    manifest_path.write_text(json.dumps(manifest, indent=1))
    print(f"  built {len(manifest)} dictation(s) in {time.perf_counter() - started:.1f} s")
    return manifest


def bench_asr(csv_path: Path, count: int) -> None:
    print(f"== ASR (espeak-ng dictations, first ~{DICTATION_WORDS} words of MTSamples notes)")
    CACHE.mkdir(parents=True, exist_ok=True)
    manifest = dictation_set(csv_path, count)
    if manifest is None:
        print("  SKIPPED: espeak-ng is not installed and no cached dictations exist")
        return
    from chartdrop.ingest.readers import get_transcriber, read_document
    from chartdrop.settings import Settings

    settings = Settings()
    transcriber = get_transcriber(settings)
    started = time.perf_counter()
    transcriber.load()
    load_s = time.perf_counter() - started
    print(
        f"  model {transcriber.model_name} on {transcriber.device}/{transcriber.compute_type}, "
        f"threads {settings.whisper_threads}, beam {settings.whisper_beam_size}, VAD on"
    )
    print(f"  model load: {load_s:.2f} s   (OMP_THREAD_LIMIT={os.environ.get('OMP_THREAD_LIMIT')})")
    print(f"  {'file':<30} {'audio s':>8} {'wall s':>7} {'RTF':>6} {'WER':>6}")
    rows: list[tuple[float, float, float]] = []
    for item in manifest:
        started = time.perf_counter()
        result = read_document(CACHE / "asr" / str(item["file"]), settings)
        wall = time.perf_counter() - started
        audio = result.duration_s or 0.0
        error = wer(str(item["reference"]), result.text)
        rows.append((audio, wall, error))
        print(f"  {item['file']!s:<30} {audio:8.1f} {wall:7.2f} {audio / wall:6.1f} {error:6.1%}")
    audio_total = sum(r[0] for r in rows)
    wall_total = sum(r[1] for r in rows)
    print(
        f"  total: {audio_total:.1f} s audio in {wall_total:.2f} s "
        f"-> RTF {audio_total / wall_total:.1f}"
        " (audio seconds per wall second; higher is faster)"
    )
    if len(rows) > 1:
        warm_audio = sum(r[0] for r in rows[1:])
        warm_wall = sum(r[1] for r in rows[1:])
        print(f"  excluding the first file: RTF {warm_audio / warm_wall:.1f}")
    print(
        f"  mean WER {statistics.mean(r[2] for r in rows):.1%} "
        "(crude normaliser: lower case, punctuation stripped; digits vs spelled-out numbers "
        "and abbreviations count as errors)"
    )
    print(f"  peak RSS: {peak_rss_mb():.0f} MB")


# --------------------------------------------------------------------------- NLP


def bench_nlp(csv_path: Path, count: int) -> None:
    print("== NLP (chartdrop.nlp.extract, single process)")
    notes = load_notes(csv_path, count)
    print(f"  notes: {len(notes)} (asked for {count})   baseline RSS {peak_rss_mb():.0f} MB")
    started = time.perf_counter()
    from chartdrop.nlp import extract, warm_up

    imported = time.perf_counter()
    warm_up()
    ready = time.perf_counter()
    print(
        f"  import: {imported - started:.2f} s   warm-up (pipeline build): {ready - imported:.2f} s"
    )
    latencies: list[float] = []
    words = 0
    cpu0 = time.process_time()
    for note in notes:
        t0 = time.perf_counter()
        extract(note)
        latencies.append(time.perf_counter() - t0)
        words += len(note.split())
    cpu = time.process_time() - cpu0
    total = sum(latencies)
    latencies.sort()
    p95 = latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))]
    print(f"  {len(notes)} notes, {words} words in {total:.2f} s")
    print(f"  throughput: {len(notes) / total:.1f} notes/s, {words / total:.0f} words/s")
    # Issue 3's measure: notes per CPU-second of this process (other jobs may share the cores).
    print(f"  CPU: {len(notes) / max(cpu, 1e-9):.1f} notes per CPU-second (extract)")
    print(
        f"  per note: mean {statistics.mean(latencies) * 1000:.1f} ms, "
        f"median {statistics.median(latencies) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms, "
        f"max {latencies[-1] * 1000:.1f} ms"
    )
    from chartdrop.nlp import extract_many

    cpu0, t0 = time.process_time(), time.perf_counter()
    for _ in extract_many(notes, batch_size=32):
        pass
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - t0
    print(
        f"  extract_many (batch 32, caches warm): {len(notes) / wall:.1f} notes/s (wall), "
        f"{len(notes) / max(cpu, 1e-9):.1f} notes per CPU-second"
    )
    print(f"  peak RSS: {peak_rss_mb():.0f} MB")


# --------------------------------------------------------------------------- main


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notes", type=int, default=1000, help="notes for NLP (default 1000)")
    parser.add_argument("--audio-files", type=int, default=5, help="dictations (default 5)")
    parser.add_argument("--skip-asr", action="store_true")
    parser.add_argument("--skip-nlp", action="store_true")
    args = parser.parse_args()

    csv_path = dev_data_dir() / "mtsamples" / "mtsamples.csv"
    if not csv_path.is_file():
        print(f"SKIPPED: no development data at {csv_path} (set CHARTDROP_DEV_DATA)")
        return 0
    if not os.environ.get("CHARTDROP_BENCH_CHILD"):
        print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPU(s)", flush=True)
    if not args.skip_asr and not args.skip_nlp:
        # One child per part, so each part's peak RSS is its own.
        env = {**os.environ, "CHARTDROP_BENCH_CHILD": "1"}
        for skip in ("--skip-nlp", "--skip-asr"):
            cmd = [sys.executable, __file__, *sys.argv[1:], skip]
            if subprocess.run(cmd, check=False, env=env).returncode:
                return 1
        return 0
    if not args.skip_asr:
        bench_asr(csv_path, args.audio_files)
    if not args.skip_nlp:
        bench_nlp(csv_path, args.notes)
    return 0


if __name__ == "__main__":
    sys.exit(main())
