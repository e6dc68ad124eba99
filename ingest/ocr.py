"""Scanned pages to text with Tesseract, keeping each word's box and confidence.

Each page is cleaned up first (`preprocess`: upright, despeckled, deskewed) and
its word boxes are mapped back onto the page as the file holds it. A page is
flagged "needs manual entry" when its words are unsure or inked areas carry none.

Tesseract's own OpenMP threading makes it 5-6x slower on a small machine
(OMP_THREAD_LIMIT=1: 0.9 s/page against 5-6 s on 2 cores), so each Tesseract process
runs single-threaded
and pages are OCR'd in parallel instead, a bounded number at a time so a long scan
never holds more than a few decoded pages in memory.
"""

from __future__ import annotations

import functools
import os
import warnings
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pytesseract
from PIL import Image, ImageOps, ImageSequence

from chartdrop.settings import Settings

from . import preprocess
from .types import DocumentKind, Segment, TextResult, UnreadableDocument, Word


class _TesseractEnv(Mapping[str, str]):
    """The live process environment, plus OMP_THREAD_LIMIT=1 unless already set.

    Only Tesseract's child processes may see the limit: in this process it would
    reach CTranslate2's OpenMP, and Whisper with cpu_threads above the limit
    decodes garbage (measured: ")))))..." for clear speech, 20x slower).
    """

    def __getitem__(self, key: str) -> str:
        if key == "OMP_THREAD_LIMIT" and key not in os.environ:
            return "1"
        return os.environ[key]

    def __iter__(self) -> Iterator[str]:
        yield from os.environ
        if "OMP_THREAD_LIMIT" not in os.environ:
            yield "OMP_THREAD_LIMIT"

    def __len__(self) -> int:
        return len(os.environ) + ("OMP_THREAD_LIMIT" not in os.environ)


# pytesseract passes its module-level `environ` (normally os.environ) to every child.
pytesseract.pytesseract.environ = _TesseractEnv()
# Pillow warns from 89 MP; read_image enforces its own (configurable) pixel limit.
warnings.filterwarnings("ignore", category=Image.DecompressionBombWarning)

LOW_CONFIDENCE = 0.6  # mean word confidence below this: the page needs a human
UNSURE_WORD = 0.5  # a word below this is uncertain
UNSURE_SHARE = 0.3  # more than this share of uncertain words: the page needs a human
LOST_INK_SQ_IN = 0.15  # inked area without words (about two typed words) flags a page
DEFAULT_MAX_MEGAPIXELS = 120.0  # a tabloid page at 600 dpi; larger is a bomb or a poster
DEFAULT_OCR_WORKERS = 2
PAGE_TIMEOUT_S = 180  # a pathological page must not hold a worker forever

# ISO 639-1 (the `language` setting) to Tesseract's traineddata names.
_TESSERACT_LANG = {"en": "eng", "fr": "fra", "de": "deu", "es": "spa", "it": "ita",
                   "pt": "por", "nl": "nld"}  # fmt: skip


class OcrSetupError(RuntimeError):
    """Tesseract or its language data is missing: a setup problem, not the file's."""


@functools.cache
def tesseract_version() -> str:
    try:
        return f"tesseract {pytesseract.get_tesseract_version()}"
    except pytesseract.TesseractNotFoundError as exc:
        raise OcrSetupError("tesseract is not installed (Debian: tesseract-ocr)") from exc


@functools.cache
def tesseract_lang(language: str) -> str:
    lang = _TESSERACT_LANG.get(language, language)
    tesseract_version()  # fail on a missing binary before a missing language
    if lang not in pytesseract.get_languages(config=""):
        raise OcrSetupError(f"Tesseract language data {lang!r} is not installed")
    return lang


@dataclass(frozen=True, slots=True)
class OcrPage:
    """One OCR'd page and what a technician must check on it."""

    segment: Segment
    warnings: tuple[str, ...] = ()


def ocr_image(
    image: Image.Image,
    page: int,
    lang: str = "eng",
    dpi: int | None = None,
    timeout: float = PAGE_TIMEOUT_S,
) -> Segment:
    """OCR one page: text with a line break per Tesseract line, a blank line between
    paragraphs, and every word with its box (original page pixels) and confidence."""
    return read_page(image, page, lang, dpi, timeout).segment


def read_page(
    image: Image.Image,
    page: int,
    lang: str = "eng",
    dpi: int | None = None,
    timeout: float = PAGE_TIMEOUT_S,
) -> OcrPage:
    """Clean the page up (orientation, noise, skew), OCR it, and flag what a human
    must read: a poor first reading is retried once after Tesseract's orientation
    check (upside-down pages read as gibberish)."""
    ready = _ocr_ready(image)
    prepared = preprocess.prepare(ready, dpi)
    first = _read_prepared(prepared, page, lang, dpi, timeout)
    if not first[1]:
        return OcrPage(*_mapped(first, prepared))
    turn = preprocess.osd_turn(prepared.image, dpi)
    if turn:
        retried = preprocess.prepare(ready, dpi, turn=(prepared.turn + turn) % 360)
        second = _read_prepared(retried, page, lang, dpi, timeout)
        if _quality(second[0]) > _quality(first[0]):
            return OcrPage(*_mapped(second, retried))
    return OcrPage(*_mapped(first, prepared))


def _quality(segment: Segment) -> float:
    return (segment.confidence or 0.0) * min(1.0, len(segment.words) / 20)


def _mapped(
    read: tuple[Segment, tuple[str, ...]], prepared: preprocess.Prepared
) -> tuple[Segment, tuple[str, ...]]:
    """Word boxes moved from the cleaned page back onto the page as the file holds it."""
    segment, warnings = read
    if not prepared.turn and not prepared.skew:
        return segment, warnings
    words = tuple(
        replace(w, box=prepared.to_original(w.box) if w.box else None) for w in segment.words
    )
    return replace(segment, words=words), warnings


def _read_prepared(
    prepared: preprocess.Prepared, page: int, lang: str, dpi: int | None, timeout: float
) -> tuple[Segment, tuple[str, ...]]:
    segment = _tesseract(prepared.image, page, lang, dpi, timeout)
    # Tesseract rates some correct words 0, so any real word covers its ink; junk on
    # handwriting is caught by the uncertain-word share instead.
    covering = [w.box for w in segment.words if w.box and _is_word(w.text)]
    lost = preprocess.uncovered_ink(prepared.image, covering, dpi)
    return segment, tuple(page_warnings(segment, lost))


def _is_word(text: str) -> bool:
    return sum(c.isalnum() for c in text) >= 2 or text.isalnum()


def _tesseract(
    image: Image.Image, page: int, lang: str, dpi: int | None, timeout: float
) -> Segment:
    config = f"--dpi {dpi}" if dpi else ""
    ready = image.copy()
    # pytesseract hands the page over as a temp file in `format`, PNG by default:
    # BMP skips compression and saves ~0.5 s on a 300-dpi letter page (25%).
    ready.format = "BMP"
    try:
        data = pytesseract.image_to_data(
            ready,
            lang=lang,
            config=config,
            output_type=pytesseract.Output.DICT,
            timeout=timeout,
        )
    except pytesseract.TesseractNotFoundError as exc:
        raise OcrSetupError("tesseract is not installed (Debian: tesseract-ocr)") from exc
    except RuntimeError as exc:
        # pytesseract reports its timeout as a bare RuntimeError, failures as TesseractError
        # (a RuntimeError subclass); neither message is for a technician.
        if isinstance(exc, pytesseract.TesseractError):
            raise UnreadableDocument(f"OCR failed on page {page}") from exc
        raise UnreadableDocument(f"OCR timed out on page {page}") from exc

    words: list[Word] = []
    paragraphs: list[list[list[str]]] = []  # paragraph -> line -> words
    last_par = last_line = None
    for i, raw in enumerate(data["text"]):
        text = raw.strip()
        conf = float(data["conf"][i])
        if not text or conf < 0:
            continue
        par = (data["block_num"][i], data["par_num"][i])
        line = (*par, data["line_num"][i])
        if par != last_par:
            paragraphs.append([])
            last_par, last_line = par, None
        if line != last_line:
            paragraphs[-1].append([])
            last_line = line
        paragraphs[-1][-1].append(text)
        box = (data["left"][i], data["top"][i], data["width"][i], data["height"][i])
        words.append(Word(text=text, confidence=round(conf / 100, 4), page=page, box=box))

    page_text = "\n\n".join("\n".join(" ".join(line) for line in par) for par in paragraphs)
    confidence = round(sum(w.confidence for w in words) / len(words), 4) if words else None
    return Segment(text=page_text, page=page, confidence=confidence, words=tuple(words))


def page_warnings(segment: Segment, lost_ink: float = 0.0) -> list[str]:
    """Why a technician must read this page themselves; [] when it reads cleanly.

    `lost_ink` is the inked area (square inches) no recognised word covers:
    handwriting, scribbles, or a line Tesseract dropped.
    """
    n = segment.page
    manual = "needs manual entry"
    if not segment.words:
        if lost_ink >= LOST_INK_SQ_IN:
            return [f"page {n}: no text recognised on a written page (handwriting?); {manual}"]
        return [f"page {n}: no text found"]
    found = []
    if segment.confidence is not None and segment.confidence < LOW_CONFIDENCE:
        found.append(f"page {n}: low OCR confidence ({segment.confidence:.2f}); {manual}")
    unsure = sum(1 for w in segment.words if w.confidence < UNSURE_WORD)
    if len(segment.words) >= 5 and unsure / len(segment.words) > UNSURE_SHARE:
        found.append(f"page {n}: many uncertain words ({unsure} of {len(segment.words)}); {manual}")
    if lost_ink >= LOST_INK_SQ_IN:
        found.append(
            f"page {n}: text may be incomplete (inked areas without recognised words: "
            f"handwriting, stamps or lost lines); {manual}"
        )
    return found


def ocr_pages(
    pages: Iterable[tuple[int, Image.Image, int | None]],
    language: str,
    workers: int = DEFAULT_OCR_WORKERS,
) -> list[OcrPage]:
    """OCR (page number, image, dpi) triples, `workers` at a time, results in page order.

    `pages` is consumed lazily in the calling thread (PDFium must stay on one thread),
    and at most `workers` rendered pages wait for Tesseract at any moment. Tesseract
    and its language are only required once a page actually needs OCR.
    """
    workers = max(1, workers)
    results: list[OcrPage] = []
    in_flight: list[Future[OcrPage]] = []
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ocr") as pool:
        try:
            for number, image, dpi in pages:
                lang = tesseract_lang(language)
                if len(in_flight) >= workers:
                    results.append(in_flight.pop(0).result())
                in_flight.append(pool.submit(read_page, image, number, lang, dpi))
            while in_flight:
                results.append(in_flight.pop(0).result())
        finally:
            for future in in_flight:
                future.cancel()
    return results


# ------------------------------------------------------------------------ images


def read_image(path: Path, settings: Settings, *, workers: int | None = None) -> TextResult:
    """A scanned image (PNG, JPEG, BMP, single- or multi-page TIFF) as text."""
    workers = workers or settings.ocr_workers
    max_pixels = _max_pixels(settings)
    try:
        with Image.open(path) as image:
            count = getattr(image, "n_frames", 1)
            if count > settings.max_pages:
                raise UnreadableDocument(
                    f"the image has too many pages ({count}; the limit is {settings.max_pages})"
                )
            pages = ocr_pages(_frames(image, max_pixels), settings.language, workers)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise UnreadableDocument("the image is too large to read safely") from exc
    except (OSError, SyntaxError, ValueError, EOFError, IndexError) as exc:
        # Pillow's ways of saying "truncated" or "corrupt"
        raise UnreadableDocument("the image is damaged or incomplete") from exc
    segments = [p.segment for p in pages]
    return TextResult(
        text="\n\n".join(s.text for s in segments if s.text),
        kind=DocumentKind.IMAGE,
        engine="tesseract",
        model=tesseract_version(),
        segments=tuple(segments),
        pages=len(segments),
        warnings=tuple(w for p in pages for w in p.warnings),
    )


def _frames(image: Image.Image, max_pixels: int) -> Iterator[tuple[int, Image.Image, int | None]]:
    for number, frame in enumerate(ImageSequence.Iterator(image), start=1):
        check_pixels(frame.size, max_pixels)
        frame.load()  # decode now, in this thread: truncation surfaces here
        yield number, ImageOps.exif_transpose(frame.copy()), _dpi_of(frame)


def check_pixels(size: tuple[int, int], max_pixels: int) -> None:
    width, height = size
    if width * height > max_pixels:
        raise UnreadableDocument(
            f"the image is too large ({width} x {height} pixels; "
            f"the limit is {max_pixels / 1e6:g} megapixels)"
        )


def _max_pixels(settings: Settings) -> int:
    return int(settings.max_image_megapixels * 1e6)


def _dpi_of(image: Image.Image) -> int | None:
    dpi = image.info.get("dpi")
    try:
        value = round(float(dpi[0])) if dpi else None
    except (TypeError, ValueError, IndexError):
        return None
    return value if value and 70 <= value <= 2400 else None  # 1 or 72 are often bogus


def _ocr_ready(image: Image.Image) -> Image.Image:
    """An image in a mode Tesseract handles (1, L, RGB); transparency onto white."""
    if image.mode in ("1", "L", "RGB"):
        return image
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    if image.mode.startswith(("I", "F")):
        # 16-bit/float greyscale (some medical scanners): stretch into 8 bits.
        values = np.asarray(image, dtype=np.float32)
        low, high = float(values.min()), float(values.max())
        scaled = (values - low) * (255.0 / (high - low)) if high > low else values * 0
        return Image.fromarray(scaled.astype(np.uint8), "L")
    return image.convert("RGB")
