from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from chartdrop.ingest import preprocess
from chartdrop.ingest.ocr import read_image, read_page
from chartdrop.settings import Settings
from tests.factories import make_scan, render_page

NOTE = (
    "HISTORY: The patient has hypertension and diabetes mellitus.\n"
    "MEDICATIONS: Metformin 500 mg twice daily. Lisinopril 10 mg daily.\n"
    "PLAN: Follow up in three weeks with repeat creatinine.\n"
    "EXAM: Lungs are clear. Heart regular rate and rhythm. No edema."
)
KEY_WORDS = ("HISTORY", "hypertension", "diabetes", "Metformin", "Lisinopril", "creatinine")


def _missing(text: str) -> list[str]:
    return [w for w in KEY_WORDS if w not in text]


@pytest.mark.parametrize("turn", [90, 180, 270])
def test_turned_page_is_read_upright(turn: int) -> None:
    page = render_page(NOTE, dpi=200)
    turned = page.rotate(turn, expand=True)
    result = read_page(turned, 1, dpi=200)
    assert not _missing(result.segment.text), result.segment.text
    assert result.warnings == ()
    # Boxes lie on the page as the file holds it (what the review desk shows).
    words = {w.text: w for w in result.segment.words}
    left, top, width, height = words["hypertension"].box  # type: ignore[misc]
    crop = np.asarray(turned.crop((left, top, left + width, top + height)))
    assert (crop < 128).mean() > 0.05  # the box holds ink
    if turn in (90, 270):
        assert height > width  # the word runs down the turned page


def test_skewed_page_is_deskewed(tmp_path: Path, reader_settings: Settings) -> None:
    path = make_scan(NOTE, tmp_path / "skew.png", dpi=200, rotate=3.0)
    with Image.open(path) as image:
        prepared = preprocess.prepare(image.convert("L"), 200)
    assert prepared.skew == pytest.approx(-3.0, abs=0.2)
    result = read_image(path, reader_settings)
    assert not _missing(result.text) and result.warnings == ()
    box = next(w.box for w in result.segments[0].words if w.text.startswith("HISTORY"))
    assert box is not None and 150 < box[0] < 260  # back on the skewed original


def test_box_mapping_round_trip() -> None:
    prepared = preprocess.Prepared(Image.new("L", (300, 200), 255), (200, 300), turn=90)
    # A point near the cleaned page's top-left came from the original's top-right.
    left, top, _w, _h = prepared.to_original((0, 0, 10, 10))
    assert (left, top) == (190, 0)


def _scribbles(size: tuple[int, int], seed: int = 3) -> Image.Image:
    rng = np.random.default_rng(seed)
    page = Image.new("L", size, 255)
    draw = ImageDraw.Draw(page)
    for _ in range(14):  # handwriting-like loops, line after line
        y = int(rng.integers(150, size[1] - 150))
        x = 150
        points = []
        while x < size[0] - 150:
            points.append((x, y + int(rng.integers(-25, 25))))
            x += int(rng.integers(8, 30))
        draw.line(points, fill=0, width=4)
    return page


def test_scribbled_page_is_flagged_for_manual_entry() -> None:
    result = read_page(_scribbles((1700, 2200)), 4, dpi=200)
    assert result.warnings, result.segment.text
    assert all(w.startswith("page 4:") and "needs manual entry" in w for w in result.warnings)


def test_typed_page_with_handwritten_addendum_is_flagged() -> None:
    page = render_page(NOTE, dpi=200)
    page.paste(_scribbles((1400, 500), seed=5).crop((0, 0, 1400, 500)), (150, 1500))
    result = read_page(page, 1, dpi=200)
    assert not _missing(result.segment.text)
    assert any("incomplete" in w or "uncertain" in w for w in result.warnings), result.warnings


def test_blank_page_is_not_denoised_into_text() -> None:
    prepared = preprocess.prepare(Image.new("L", (800, 1000), 250), 100)
    assert prepared.skew == 0 and prepared.turn == 0
    assert preprocess.uncovered_ink(prepared.image, [], 100) == 0
