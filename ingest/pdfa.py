"""A searchable PDF/A copy of each scanned document, kept beside its archived original.

OCRmyPDF (which runs Tesseract again, and Ghostscript for PDF/A) works in a child
process: it is not meant to be called from several threads at once, it gets a
timeout, and its OMP_THREAD_LIMIT for Tesseract stays in the child. A failure is
logged and reported, never a document failure: the text was already read.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

from chartdrop.settings import Settings

from .ocr import tesseract_lang
from .types import DocumentKind, TextResult

log = logging.getLogger("chartdrop.ingest")

SUFFIX = ".pdfa.pdf"
SECONDS_PER_PAGE = 60  # timeout budget, generous: OCRmyPDF OCRs each page again


def wanted(settings: Settings, result: TextResult) -> bool:
    """Scans only: images, and PDFs with at least one page that needed OCR."""
    if not settings.pdfa_copies:
        return False
    return result.kind is DocumentKind.IMAGE or (
        result.kind is DocumentKind.PDF and "tesseract" in result.engine
    )


def copy_path(original: Path) -> Path:
    return original.with_name(original.name + SUFFIX)


def make_pdfa_copy(
    original: Path, settings: Settings, pages: int = 1, *, mixed: bool = False
) -> Path | None:
    """Write `<original>.pdfa.pdf`; None (and a logged warning) if OCRmyPDF cannot.

    `mixed`: a PDF with text-layer pages too. Those are rasterised and OCR'd with the
    rest (`--force-ocr`): `--skip-text` would keep them, but OCRmyPDF refuses it with
    Debian 12's Ghostscript 10.0 (a regression that corrupts existing text).
    """
    if shutil.which("gs") is None:
        log.warning("PDF/A copy skipped: Ghostscript is not installed (Debian: ghostscript)")
        return None
    target = copy_path(original)
    partial = target.with_name(f".{target.name}.part")
    command = [
        sys.executable, "-m", "ocrmypdf",
        "--output-type", "pdfa",
        "--rotate-pages",
        "--optimize", "0",
        "--jobs", "1",
        "--quiet",
        "--language", tesseract_lang(settings.language),
        "--tesseract-timeout", "180",
    ]  # fmt: skip
    if mixed:
        command.append("--force-ocr")
    if _needs_dpi(original):
        command += ["--image-dpi", "300"]
    command += [str(original), str(partial)]
    try:
        completed = subprocess.run(
            command,
            capture_output=True,
            timeout=60 + SECONDS_PER_PAGE * max(1, pages),
            env={**os.environ, "PYTHONWARNINGS": "ignore"},
            check=False,
        )
    except subprocess.TimeoutExpired:
        log.warning("PDF/A copy of %s: OCRmyPDF timed out", original.name.split("-", 1)[0])
        partial.unlink(missing_ok=True)
        return None
    if completed.returncode != 0 or not partial.is_file():
        # OCRmyPDF's exit codes name the problem class; its messages may quote content.
        log.warning(
            "PDF/A copy of document %s failed (OCRmyPDF exit %s)",
            original.name.split("-", 1)[0],
            completed.returncode,
        )
        partial.unlink(missing_ok=True)
        return None
    os.replace(partial, target)
    return target


def _needs_dpi(original: Path) -> bool:
    """Images without a usable resolution: OCRmyPDF refuses them unless told one."""
    from PIL import Image

    from .ocr import _dpi_of

    try:
        with Image.open(original) as image:
            return image.format != "PDF" and _dpi_of(image) is None
    except OSError:
        return False  # a PDF (Pillow cannot open it) or unreadable: OCRmyPDF decides
