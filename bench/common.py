"""Helpers the benchmark scripts share (kept free of chartdrop imports: a parent process that
runs its parts in children must not load the NLP or Whisper itself)."""

from __future__ import annotations

import csv
import os
import resource
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def dev_data_dir() -> Path:
    """The development data (`$CHARTDROP_DEV_DATA`, default ../shared/data)."""
    return Path(os.environ.get("CHARTDROP_DEV_DATA") or REPO.parent / "shared" / "data")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def load_notes(csv_path: Path, limit: int) -> list[str]:
    """The first `limit` non-empty MTSamples transcriptions."""
    csv.field_size_limit(sys.maxsize)
    notes: list[str] = []
    with csv_path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if len(notes) >= limit:
                break
            if text := (row.get("transcription") or "").strip():
                notes.append(text)
    return notes
