"""Page clean-up before Tesseract, as OCRmyPDF does it: orientation, deskew, denoise.

Everything here is cheap numpy on a downscaled copy, so an ordinary upright page
costs a few tens of milliseconds. Tesseract's orientation detection (OSD, ~0.5 s a
page) runs only when the cheap checks say a page lies sideways, or when a first
reading is poor (`ocr.py` asks for it then), which is how an upside-down page shows.

Word boxes always refer to the page as the file holds it (what the review desk
shows): `Prepared.to_original` maps a box on the cleaned page back through the
deskew and the quarter turn.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pytesseract
from PIL import Image, ImageFilter

ANALYSIS_WIDTH = 1000  # pixels across the downscaled copy used for measuring
MAX_SKEW = 5.0  # degrees searched either way
MIN_SKEW = 0.1  # smaller skew is left alone (a rotation resamples the page)
NOISE_LEVEL = 1.5  # mean |page - median(page)| on paper above which we median-filter
_TURNS = {
    90: Image.Transpose.ROTATE_90,
    180: Image.Transpose.ROTATE_180,
    270: Image.Transpose.ROTATE_270,
}


@dataclass(frozen=True, slots=True)
class Prepared:
    """A cleaned page and how it was made from the original."""

    image: Image.Image  # greyscale, upright, deskewed
    original_size: tuple[int, int]
    turn: int = 0  # counter-clockwise quarter turn applied first: 0, 90, 180, 270
    skew: float = 0.0  # then rotated counter-clockwise by this many degrees
    denoised: bool = False

    def to_original(self, box: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
        """A (left, top, width, height) box on the cleaned page, on the original page."""
        if not self.turn and not self.skew:
            return box
        left, top, width, height = box
        corners = [(left, top), (left + width, top), (left, top + height),
                   (left + width, top + height)]  # fmt: skip
        points = [self._point_back(x, y) for x, y in corners]
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        ow, oh = self.original_size
        x0, y0 = max(0, math.floor(min(xs))), max(0, math.floor(min(ys)))
        x1, y1 = min(ow, math.ceil(max(xs))), min(oh, math.ceil(max(ys)))
        return x0, y0, max(0, x1 - x0), max(0, y1 - y0)

    def _point_back(self, x: float, y: float) -> tuple[float, float]:
        width, height = self.image.size
        if self.skew:  # undo Image.rotate(skew) about the centre
            a = math.radians(self.skew)
            cx, cy = width / 2, height / 2
            dx, dy = x - cx, y - cy
            x = cx + dx * math.cos(a) - dy * math.sin(a)
            y = cy + dx * math.sin(a) + dy * math.cos(a)
        ow, oh = self.original_size
        if self.turn == 90:
            return ow - y, x
        if self.turn == 180:
            return ow - x, oh - y
        if self.turn == 270:
            return y, oh - x
        return x, y


def prepare(image: Image.Image, dpi: int | None = None, *, turn: int | None = None) -> Prepared:
    """Greyscale, turned upright, deskewed and (if speckled) median-filtered.

    `turn` forces a quarter turn (after OSD); None means detect a sideways page.
    """
    grey = image if image.mode == "L" else image.convert("L")
    original_size = grey.size
    if turn is None:
        turn = 0
        ink = _ink_points(grey)
        if ink is not None and _sideways(ink):
            turn = osd_turn(grey, dpi) or 0
    if turn:
        grey = grey.transpose(_TURNS[turn])
    denoised = _noisy(grey)
    if denoised:
        grey = despeckle(grey)
    skew = 0.0
    ink = _ink_points(grey)
    if ink is not None:
        skew = _best_angle(ink)
    if abs(skew) >= MIN_SKEW:
        grey = grey.rotate(skew, resample=Image.Resampling.BILINEAR, fillcolor=255)
    else:
        skew = 0.0
    return Prepared(grey, original_size, turn, skew, denoised)


def osd_turn(image: Image.Image, dpi: int | None = None, min_confidence: float = 2.0) -> int | None:
    """Tesseract's verdict on the quarter turn that makes the page upright, or None
    when it is unsure or the page has too little text to tell."""
    grey = image if image.mode == "L" else image.convert("L")
    scale = min(1.0, 1250 / max(1, grey.width))  # OSD needs ~150 dpi, not more
    if scale < 1.0:
        grey = grey.resize((round(grey.width * scale), round(grey.height * scale)))
    config = f"--psm 0 --dpi {round((dpi or 300) * scale)}"
    try:
        osd = pytesseract.image_to_osd(
            grey, config=config, output_type=pytesseract.Output.DICT, timeout=60
        )
    except RuntimeError:  # "too few characters" and friends
        return None
    rotate = int(osd.get("rotate", 0)) % 360
    if float(osd.get("orientation_conf", 0.0)) < min_confidence or rotate not in _TURNS:
        return None
    return (360 - rotate) % 360  # OSD says clockwise; our turns are counter-clockwise


# ------------------------------------------------------------------ measurements


def binarise(grey: Image.Image) -> np.ndarray:
    """Ink mask (True = dark) by Otsu's threshold, with a floor so a blank page
    with faint noise stays blank."""
    pixels = np.asarray(grey, dtype=np.uint8)
    histogram = np.bincount(pixels.ravel(), minlength=256).astype(np.float64)
    total = histogram.sum()
    levels = np.arange(256)
    weight0 = np.cumsum(histogram)
    sum0 = np.cumsum(histogram * levels)
    weight1 = total - weight0
    mean0 = sum0 / np.maximum(weight0, 1)
    mean1 = (sum0[-1] - sum0) / np.maximum(weight1, 1)
    between = weight0 * weight1 * (mean0 - mean1) ** 2
    threshold = int(np.argmax(between))
    if mean1[threshold] - mean0[threshold] < 60:  # no real contrast: nothing inked
        return np.zeros(pixels.shape, dtype=bool)
    return pixels <= min(threshold, 200)


def _ink_points(grey: Image.Image) -> np.ndarray | None:
    """(x, y) of inked pixels on a ~1000-pixel-wide copy, centred; None if too few."""
    scale = min(1.0, ANALYSIS_WIDTH / max(1, grey.width))
    small = grey.resize((max(1, round(grey.width * scale)), max(1, round(grey.height * scale))),
                        Image.Resampling.BOX) if scale < 1.0 else grey  # fmt: skip
    mask = binarise(small)
    ys, xs = np.nonzero(mask)
    if len(xs) < 200:
        return None
    if len(xs) > 120_000:
        pick = np.random.default_rng(0).choice(len(xs), 120_000, replace=False)
        xs, ys = xs[pick], ys[pick]
    return np.stack([xs - small.width / 2, ys - small.height / 2]).astype(np.float32)


def _profile_score(coords: np.ndarray) -> float:
    """Sharpness of a projection profile: text lines make it spiky."""
    bins = np.floor(coords - coords.min()).astype(np.int64)
    counts = np.bincount(bins).astype(np.float64)
    return float(np.sum(np.diff(counts) ** 2)) / max(1.0, float(counts.sum()))


def _score_at(ink: np.ndarray, degrees: float) -> float:
    a = math.radians(degrees)
    return _profile_score(-ink[0] * math.sin(a) + ink[1] * math.cos(a))


def _best_angle(ink: np.ndarray) -> float:
    """The counter-clockwise rotation (degrees) that makes text lines horizontal."""
    coarse = np.arange(-MAX_SKEW, MAX_SKEW + 1e-6, 0.5)
    best = max(coarse, key=lambda d: _score_at(ink, float(d)))
    fine = np.arange(best - 0.5, best + 0.5 + 1e-6, 0.05)
    return round(float(max(fine, key=lambda d: _score_at(ink, float(d)))), 2)


def _gap_share(coords: np.ndarray) -> float:
    """Share of the profile that is (nearly) empty: the gaps between lines of text."""
    counts = np.bincount(np.floor(coords - coords.min()).astype(np.int64))
    return float((counts <= max(1.0, 0.02 * counts.mean())).mean())


def _sideways(ink: np.ndarray) -> bool:
    """Lines of text run down the page: the column profile is sharper and has the
    line gaps. (Sharpness alone is fooled by text repeated line after line.)"""
    angles = [math.radians(d) for d in (-3.0, -1.5, 0.0, 1.5, 3.0)]

    def best(points: np.ndarray) -> tuple[float, float]:
        projections = [-points[0] * math.sin(a) + points[1] * math.cos(a) for a in angles]
        return max(map(_profile_score, projections)), max(map(_gap_share, projections))

    row_score, row_gaps = best(ink)
    column_score, column_gaps = best(ink[::-1])  # x and y swapped
    return column_score > 1.3 * row_score and column_gaps > row_gaps + 0.1


def _noisy(grey: Image.Image) -> bool:
    """Speckle or sensor noise on the paper, measured on a central patch."""
    width, height = grey.size
    side = min(512, width, height)
    left, top = (width - side) // 2, (height - side) // 2
    patch = grey.crop((left, top, left + side, top + side))
    smooth = np.asarray(patch.filter(ImageFilter.MedianFilter(3)), dtype=np.int16)
    raw = np.asarray(patch, dtype=np.int16)
    paper = smooth > 180
    if paper.sum() < side * side // 4:
        return False
    return float(np.abs(raw - smooth)[paper].mean()) > NOISE_LEVEL


def despeckle(grey: Image.Image) -> Image.Image:
    """Dust and sensor noise off the paper, cheaply (a 3x3 median costs 0.6 s on a
    noisy 300-dpi page; this ~0.1 s): near-white paper becomes white, and dark specks
    with at most one dark neighbour become paper."""
    pixels = np.asarray(grey.point(_PAPER_LUT), dtype=np.uint8).copy()
    dark = Image.fromarray(((pixels < 128) * 255).astype(np.uint8), "L")
    around = np.asarray(dark.filter(ImageFilter.BoxBlur(1)))  # mean of the 3x3 block
    speck = (pixels < 128) & (around <= 2 * 255 // 9 + 1)
    pixels[speck] = 255
    return Image.fromarray(pixels, "L")


_PAPER_LUT = [255 if v >= 190 else v for v in range(256)]


def uncovered_ink(
    grey: Image.Image, boxes: list[tuple[int, int, int, int]], dpi: int | None
) -> float:
    """Square inches of inked paper that no recognised word covers.

    The page is cut into ~1.3 mm cells; a cell is inked when a tenth of it is dark,
    so dust and scanner noise do not count, while a line of text Tesseract lost,
    handwriting or scribbles do. Word boxes are widened by one cell.
    """
    dpi = dpi or 300
    cell = max(4, round(dpi / 20))
    mask = binarise(grey)
    rows, cols = mask.shape[0] // cell, mask.shape[1] // cell
    if not rows or not cols:
        return 0.0
    blocks = mask[: rows * cell, : cols * cell].reshape(rows, cell, cols, cell)
    inked = blocks.mean(axis=(1, 3)) >= 0.1
    covered = np.zeros_like(inked)
    for left, top, width, height in boxes:
        c0, r0 = max(0, left // cell - 1), max(0, top // cell - 1)
        c1, r1 = (left + width) // cell + 2, (top + height) // cell + 2
        covered[r0:r1, c0:c1] = True
    lost = int(np.count_nonzero(inked & ~covered))
    return lost * (cell / dpi) ** 2
