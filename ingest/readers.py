"""One entry point from a file to text: sniff, dispatch, and contain library failures.

Anything a decoding library raises on a hostile or broken file becomes an
UnreadableDocument naming the kind of problem, never the file's name or contents;
the original exception stays chained (`__cause__`) for whoever wants a traceback.
Setup problems (no Tesseract, a Whisper model that cannot load) are not the file's
fault and propagate as they are, so the document can be retried once fixed.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from chartdrop.settings import Settings

from . import documents, legacy, ocr
from .sniff import sniff
from .speech import SpeechModelError, Transcriber
from .types import DocumentKind, TextResult, UnreadableDocument

log = logging.getLogger(__name__)

SETUP_ERRORS = (SpeechModelError, ocr.OcrSetupError)

_transcribers: dict[tuple[str, str, str, int], Transcriber] = {}
_transcribers_lock = threading.Lock()


def get_transcriber(settings: Settings) -> Transcriber:
    """The process's Transcriber for this model configuration, created on first use.

    Cheap to call for every document: the model itself loads on the first dictation.
    """
    key = (
        settings.whisper_model,
        settings.whisper_device,
        settings.whisper_compute_type,
        settings.whisper_threads,
    )
    with _transcribers_lock:
        transcriber = _transcribers.get(key)
        if transcriber is None:
            transcriber = _transcribers[key] = Transcriber(settings)
        return transcriber


def read_document(
    path: Path,
    settings: Settings,
    kind: DocumentKind | None = None,
    transcriber: Transcriber | None = None,
) -> TextResult:
    """The text of the document at `path`, or UnreadableDocument/UnsupportedDocument."""
    path = Path(path)
    if kind is None:
        kind = sniff(path, settings)
    try:
        if kind is DocumentKind.AUDIO:
            return (transcriber or get_transcriber(settings)).transcribe(path, settings)
        if kind is DocumentKind.IMAGE:
            return ocr.read_image(path, settings)
        if kind is DocumentKind.PDF:
            return documents.read_pdf(path, settings)
        if kind in (DocumentKind.TEXT, DocumentKind.CSV):
            # A note-per-row CSV is split when registered (ingest.containers); one
            # that reaches a reader anyway is kept whole as text, never lost.
            return documents.read_text(path, settings)
        if kind is DocumentKind.RTF:
            return legacy.read_rtf(path, settings)
        if kind is DocumentKind.DOCX:
            return legacy.read_docx(path, settings)
        if kind is DocumentKind.HTML:
            return legacy.read_html(path, settings)
        raise UnreadableDocument(f"no reader for {kind}")
    except UnreadableDocument:
        raise
    except SETUP_ERRORS:
        raise
    except MemoryError as exc:
        raise UnreadableDocument(f"the {_noun(kind)} needed more memory than is available") from exc
    except Exception as exc:
        # Type name only: library messages can carry paths or fragments of content.
        log.warning("%s reader failed: %s", kind.value, type(exc).__name__)
        raise UnreadableDocument(
            f"the {_noun(kind)} could not be read ({type(exc).__name__})"
        ) from exc


def _noun(kind: DocumentKind) -> str:
    return {
        DocumentKind.AUDIO: "recording",
        DocumentKind.IMAGE: "image",
        DocumentKind.PDF: "PDF",
        DocumentKind.TEXT: "text file",
        DocumentKind.RTF: "RTF file",
        DocumentKind.DOCX: "Word document",
        DocumentKind.HTML: "HTML file",
        DocumentKind.CSV: "CSV file",
    }.get(kind, "file")
