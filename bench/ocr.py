"""OCR accuracy and speed: bare Tesseract against chartdrop's reader, same pages, same run.

    .venv/bin/python bench/ocr.py [--notes 10] [--jobs 2] [--rebuild]

Builds (when missing) a development set under bench/.data/ocr/: notes from MTSamples
(`transcription`, first ~300 words) typed onto letter pages with Pillow at 200-300
dpi, rotated up to 2 degrees, blurred, with sensor noise, dust and JPEG artefacts; the
reference text is kept in manifest.json. Prints numbers only: per-document CER
(Levenshtein on whitespace-normalised text / reference length), mean, worst,
seconds per page (pages read `--jobs` at a time) and pages flagged; then how many of the
problems (words and assertion) extracted from each typed note the extraction from its OCR
text also has. Skips cleanly (exit 0) without the data (`$CHARTDROP_DEV_DATA`, default
../shared/data).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import statistics
import sys
import textwrap
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from common import dev_data_dir
from PIL import Image, ImageDraw, ImageFilter, ImageFont

REPO = Path(__file__).resolve().parents[1]
SET_DIR = REPO / "bench" / ".data" / "ocr"
FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
WORDS = 300


def normalise(text: str) -> str:
    return " ".join(text.split())


def cer(reference: str, hypothesis: str) -> float:
    ref, hyp = normalise(reference), normalise(hypothesis)
    try:
        from rapidfuzz.distance import Levenshtein

        distance = Levenshtein.distance(ref, hyp)
    except ImportError:  # a small DP, row by row
        previous = list(range(len(hyp) + 1))
        for i, a in enumerate(ref, 1):
            current = [i]
            for j, b in enumerate(hyp, 1):
                current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a != b)))
            previous = current
        distance = previous[-1]
    return distance / max(1, len(ref))


# ------------------------------------------------------------------------ dev set


def _notes(csv_path: Path, count: int) -> list[str]:
    notes = []
    with csv_path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            text = (row.get("transcription") or "").replace(",  ", "  ").replace(":,", ":")
            words = text.split()
            if len(words) >= 150:
                notes.append(" ".join(words[:WORDS]))
            if len(notes) >= count:
                break
    return notes


def _render(text: str, dpi: int, rng: random.Random) -> tuple[Image.Image, str]:
    width, height = int(8.5 * dpi), int(11 * dpi)
    page = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(page)
    font = ImageFont.truetype(str(FONT), size=round(11 / 72 * dpi))
    margin = int(0.9 * dpi)
    chars = int((width - 2 * margin) / (font.size * 0.56))
    lines = textwrap.wrap(text, chars)
    y, step = margin, round(font.size * 1.45)
    kept = []
    for line in lines:
        if y + step > height - margin:
            break
        draw.text((margin, y), line, fill=rng.randint(0, 40), font=font)
        kept.append(line)
        y += step
    return page, "\n".join(kept)


def _degrade(page: Image.Image, rng: random.Random, seed: int) -> Image.Image:
    page = page.rotate(rng.uniform(-2, 2), resample=Image.Resampling.BICUBIC, fillcolor=255)
    page = page.filter(ImageFilter.GaussianBlur(rng.uniform(0.4, 1.1)))
    noise = np.random.default_rng(seed)
    pixels = np.asarray(page, dtype=np.int16)
    pixels = pixels + noise.normal(0, rng.uniform(8, 22), pixels.shape).astype(np.int16)
    speckle = noise.random(pixels.shape)
    pixels[speckle < 0.0015] = 0
    pixels[speckle > 0.9985] = 255
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), "L")


def build(count: int) -> list[dict[str, object]]:
    source = dev_data_dir() / "mtsamples" / "mtsamples.csv"
    rng = random.Random(20261123)
    SET_DIR.mkdir(parents=True, exist_ok=True)
    manifest = []
    for n, text in enumerate(_notes(source, count), 1):
        dpi = rng.choice((200, 250, 300))
        page, reference = _render(text, dpi, rng)
        page = _degrade(page, rng, n)
        name = f"note-{n:02d}.jpg"
        page.save(SET_DIR / name, format="JPEG", quality=rng.randint(45, 80), dpi=(dpi, dpi))
        manifest.append({"file": name, "dpi": dpi, "reference": reference})
    (SET_DIR / "manifest.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    return manifest


# ------------------------------------------------------------------------ running


def bare(path: Path) -> tuple[str, int]:
    import pytesseract

    import chartdrop.ingest.ocr  # noqa: F401  (gives Tesseract OMP_THREAD_LIMIT=1, nothing else)

    with Image.open(path) as image:
        return pytesseract.image_to_string(image), 0


def chartdrop_reader(path: Path) -> tuple[str, int]:
    from chartdrop.ingest.ocr import read_image
    from chartdrop.settings import Settings

    result = read_image(path, Settings(ocr_workers=1))
    return result.text, len({w.split(":")[0] for w in result.warnings})


def run(
    name: str, read: Callable[[Path], tuple[str, int]], manifest: list, jobs: int
) -> list[tuple[str, int]]:
    paths = [SET_DIR / str(entry["file"]) for entry in manifest]
    read(paths[0])  # warm-up: imports, Tesseract version checks
    started, cpu_started = time.perf_counter(), _cpu_seconds()
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        outputs = list(pool.map(read, paths))
    seconds = time.perf_counter() - started
    cpu = (_cpu_seconds() - cpu_started) / len(paths)
    pairs = zip(manifest, outputs, strict=True)
    scores = [cer(str(entry["reference"]), text) for entry, (text, _) in pairs]
    flagged = sum(1 for _, f in outputs if f)
    worst = max(range(len(scores)), key=scores.__getitem__)
    print(f"\n== {name}")
    for entry, score, (_, flags) in zip(manifest, scores, outputs, strict=True):
        mark = " flagged" if flags else ""
        print(f"  {entry['file']} ({entry['dpi']} dpi): CER {score:.4f}{mark}")
    print(f"  mean CER {statistics.mean(scores):.4f}; worst {manifest[worst]['file']} "
          f"{scores[worst]:.4f}; docs over 2%: {sum(s > 0.02 for s in scores)}")  # fmt: skip
    rate = f"{len(paths) / seconds:.2f} pages/s, {jobs} at a time on {os.cpu_count()} CPUs"
    print(f"  {seconds / len(paths):.2f} s/page ({rate}); pages flagged: {flagged}/{len(paths)}")
    # CPU time (this process and its Tesseract children) does not depend on the load
    # others put on a shared machine: pages/s on 2 idle cores is about 2 / cpu.
    print(f"  CPU {cpu:.2f} s/page (about {2 / cpu:.2f} pages/s on 2 idle cores)")
    return outputs


def nlp_agreement(manifest: list, outputs: list[tuple[str, int]]) -> None:
    """What the scans' drafts lose: problems (words and assertion) extracted from each typed
    note that the extraction from its OCR text also has, and those only the scan has."""
    from chartdrop.nlp import extract

    def problems(text: str) -> set[tuple[str, str]]:
        return {(" ".join(p.text.lower().split()), p.assertion) for p in extract(text).problems}

    typed = scanned = same = 0
    for entry, (text, _) in zip(manifest, outputs, strict=True):
        expected, got = problems(str(entry["reference"])), problems(text)
        typed, scanned, same = typed + len(expected), scanned + len(got), same + len(expected & got)
    print("\n== NLP on the scans against the typed notes (problem words and assertion)")
    print(f"  typed {typed}, scanned {scanned}; the same on both {same} ({same / typed:.1%} of"
          f" the typed); only on the scans {scanned - same}")  # fmt: skip


def _cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notes", type=int, default=10)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()
    if not (dev_data_dir() / "mtsamples" / "mtsamples.csv").is_file():
        print(f"skipped: no MTSamples under {dev_data_dir()}")
        return 0
    manifest_path = SET_DIR / "manifest.json"
    if args.rebuild or not manifest_path.is_file():
        manifest = build(args.notes)
    else:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))[: args.notes]
    print(f"{len(manifest)} pages from {SET_DIR.relative_to(REPO)}")
    run("bare Tesseract (image_to_string, no preprocessing)", bare, manifest, args.jobs)
    outputs = run("chartdrop read_image (orientation, denoise, deskew, flags)",
                  chartdrop_reader, manifest, args.jobs)  # fmt: skip
    nlp_agreement(manifest, outputs)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    raise SystemExit(main())
