"""Typed results of the ingest stage: what a file turned into, or why it could not."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class DocumentKind(StrEnum):
    AUDIO = "audio"
    IMAGE = "image"
    PDF = "pdf"
    TEXT = "text"


@dataclass(frozen=True, slots=True)
class Word:
    """One recognised word (speech) or OCR word, with where it came from."""

    text: str
    confidence: float  # 0..1: Whisper word probability, or Tesseract conf / 100
    start: float | None = None  # seconds into the audio
    end: float | None = None
    page: int | None = None  # 1-based page for OCR words
    box: tuple[int, int, int, int] | None = None  # left, top, width, height in page pixels


@dataclass(frozen=True, slots=True)
class Segment:
    """A stretch of text: a speech segment (start/end seconds) or an OCR/text page."""

    text: str
    start: float | None = None
    end: float | None = None
    page: int | None = None
    confidence: float | None = None
    words: tuple[Word, ...] = ()


@dataclass(frozen=True, slots=True)
class TextResult:
    """The text of one document and the evidence behind it."""

    text: str
    kind: DocumentKind
    engine: str  # "faster-whisper", "tesseract", "pdf-text-layer", "plain-text"
    model: str = ""  # model name/folder, tesseract version, detected encoding
    segments: tuple[Segment, ...] = ()
    duration_s: float | None = None  # audio length
    pages: int | None = None
    warnings: tuple[str, ...] = field(default=())  # e.g. "page 2: low OCR confidence"


class UnreadableDocument(Exception):
    """A file chartdrop cannot turn into text. `reason` is plain words for a technician
    and must never contain patient details."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class UnsupportedDocument(UnreadableDocument):
    """The content is of a type chartdrop does not read."""
