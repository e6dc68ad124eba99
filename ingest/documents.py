"""PDFs (text layer, else OCR per page) and plain-text files to text.

PDFium is not thread-safe, not even across different documents, and the watcher
may run several workers: every PDFium call here happens under one process-wide
lock, which is released while Tesseract (a child process) reads a rendered page.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from pathlib import Path

import charset_normalizer
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PIL import Image

from chartdrop.settings import Settings

from . import ocr
from .types import DocumentKind, Segment, TextResult, UnreadableDocument

PDFIUM_LOCK = threading.RLock()
MIN_TEXT_LAYER_CHARS = 20  # fewer non-space characters: a scan with a stray stamp/header

_PDF_LOAD_REASONS = {
    pdfium_c.FPDF_ERR_PASSWORD: "the PDF is password-protected; remove the password and "
    "drop it again",
    pdfium_c.FPDF_ERR_SECURITY: "the PDF uses an unsupported security handler",
    pdfium_c.FPDF_ERR_FORMAT: "the PDF is damaged or not really a PDF",
    pdfium_c.FPDF_ERR_FILE: "the PDF could not be opened",
}


def read_pdf(path: Path, settings: Settings, *, workers: int | None = None) -> TextResult:
    """Each page from its text layer when it has one, else rendered and OCR'd."""
    workers = workers or settings.ocr_workers
    max_pixels = int(settings.max_image_megapixels * 1e6)
    with PDFIUM_LOCK:
        try:
            pdf = pdfium.PdfDocument(str(path))
        except pdfium.PdfiumError as exc:
            reason = _PDF_LOAD_REASONS.get(exc.err_code, "the PDF could not be opened")
            raise UnreadableDocument(reason) from exc
    try:
        with PDFIUM_LOCK:
            count = len(pdf)
        if count == 0:
            raise UnreadableDocument("the PDF has no pages")
        if count > settings.max_pages:
            raise UnreadableDocument(
                f"the PDF has too many pages ({count}; the limit is {settings.max_pages})"
            )
        text_pages: dict[int, Segment] = {}
        warnings: list[str] = []
        scanned = _scanned_pages(pdf, count, settings.ocr_dpi, max_pixels, text_pages, warnings)
        ocr_read = ocr.ocr_pages(scanned, settings.language, workers)
    finally:
        with PDFIUM_LOCK:
            pdf.close()

    by_page = dict(text_pages)
    for page in ocr_read:
        by_page[page.segment.page or 0] = page.segment
        warnings.extend(page.warnings)
    ocr_segments = [page.segment for page in ocr_read]
    segments = tuple(by_page[number] for number in sorted(by_page))
    warnings.sort(key=_page_of)
    if ocr_segments and text_pages:
        engine, model = "pdf-text-layer+tesseract", f"pdfium + {ocr.tesseract_version()}"
    elif ocr_segments:
        engine, model = "tesseract", ocr.tesseract_version()
    else:
        engine, model = "pdf-text-layer", "pdfium"
    return TextResult(
        text="\n\n".join(s.text for s in segments if s.text),
        kind=DocumentKind.PDF,
        engine=engine,
        model=model,
        segments=segments,
        pages=count,
        warnings=tuple(warnings),
    )


def _scanned_pages(
    pdf: pdfium.PdfDocument,
    count: int,
    dpi: int,
    max_pixels: int,
    text_pages: dict[int, Segment],
    warnings: list[str],
) -> Iterator[tuple[int, Image.Image, int | None]]:
    """Record text-layer pages in `text_pages`; yield the others rendered for OCR.

    A generator so pages are rendered one at a time as OCR workers free up.
    """
    for number in range(1, count + 1):
        with PDFIUM_LOCK:
            try:
                page = pdf[number - 1]
                try:
                    text = _page_text(page)
                    if _meaningful(text):
                        text_pages[number] = Segment(text=text, page=number)
                        continue
                    width_pt, height_pt = page.get_size()
                    page_dpi = _fitting_dpi(width_pt, height_pt, dpi, max_pixels)
                    if page_dpi < dpi:
                        warnings.append(f"page {number}: very large page, read at {page_dpi} dpi")
                    image = page.render(scale=page_dpi / 72).to_pil()
                finally:
                    page.close()
            except pdfium.PdfiumError as exc:
                raise UnreadableDocument(f"page {number} of the PDF is damaged") from exc
        yield number, image, page_dpi


def _page_text(page: pdfium.PdfPage) -> str:
    textpage = page.get_textpage()
    try:
        text = textpage.get_text_bounded()
    finally:
        textpage.close()
    return normalise_text(text)


def _meaningful(text: str) -> bool:
    return sum(1 for c in text if not c.isspace()) >= MIN_TEXT_LAYER_CHARS


def _fitting_dpi(width_pt: float, height_pt: float, dpi: int, max_pixels: int) -> int:
    """`dpi`, lowered as needed so a poster-sized page stays under the pixel limit."""
    pixels_at_dpi = (width_pt / 72 * dpi) * (height_pt / 72 * dpi)
    if pixels_at_dpi <= max_pixels:
        return dpi
    return max(36, int(dpi * (max_pixels / pixels_at_dpi) ** 0.5))


def _page_of(warning: str) -> int:
    match = re.match(r"page (\d+):", warning)
    return int(match.group(1)) if match else 0


# -------------------------------------------------------------------- plain text


def read_text(path: Path, settings: Settings) -> TextResult:
    """A text file in whatever encoding it came (UTF-8, UTF-16 with BOM, cp1252 ...)."""
    del settings  # size is already capped by sniff; nothing else applies
    data = path.read_bytes()
    text, encoding = decode_text(data)
    text = normalise_text(text)
    return TextResult(
        text=text,
        kind=DocumentKind.TEXT,
        engine="plain-text",
        model=encoding,
        segments=(Segment(text=text),) if text else (),
        pages=1,
    )


def decode_text(data: bytes) -> tuple[str, str]:
    """(text, encoding name). Strict UTF-8 (and BOMs) first: for short ASCII-ish
    notes charset detection can guess a rarer code page than the obvious one."""
    for bom, encoding in (
        (b"\xef\xbb\xbf", "utf-8-sig"),
        (b"\xff\xfe", "utf-16"),
        (b"\xfe\xff", "utf-16"),
    ):
        if data.startswith(bom):
            try:
                return data.decode(encoding), encoding.removesuffix("-sig")
            except UnicodeDecodeError as exc:
                raise UnreadableDocument("the text file's encoding could not be read") from exc
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    best = charset_normalizer.from_bytes(data).best()
    if best is None:
        raise UnreadableDocument("the text file's encoding could not be recognised")
    encoding = best.encoding
    # Western clinical notes: single-byte guesses are almost always Windows-1252
    # (a superset of latin-1 for printable text), which keeps “smart quotes” and dashes.
    if encoding in {"latin_1", "iso8859_15", "cp1250", "mac_roman", "cp850"}:
        try:
            return data.decode("cp1252"), "cp1252"
        except UnicodeDecodeError:
            pass
    return str(best), encoding


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f\ufeff\ufffe]")


def normalise_text(text: str) -> str:
    """LF newlines, no BOMs or control characters, form feeds as paragraph breaks."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x0c", "\n\n")
    text = _CONTROL.sub("", text)
    return text.strip()
