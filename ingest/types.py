"""Typed results of the ingest stage: what a file turned into, or why it could not."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class DocumentKind(StrEnum):
    AUDIO = "audio"
    IMAGE = "image"
    PDF = "pdf"
    TEXT = "text"
    RTF = "rtf"
    DOCX = "docx"
    HTML = "html"
    CSV = "csv"  # one note per row: split into documents when registered


@dataclass(frozen=True, slots=True)
class Word:
    """One recognised word (speech) or OCR word, with where it came from."""

    text: str
    confidence: float  # 0..1: Whisper word probability, or Tesseract conf / 100
    start: float | None = None  # seconds into the audio
    end: float | None = None
    page: int | None = None  # 1-based page for OCR words
    box: tuple[int, int, int, int] | None = None  # left, top, width, height in page pixels
    space_before: bool = True  # speech: False when the recogniser glued it on ("5" ".7")


@dataclass(frozen=True, slots=True)
class FormattedToken:
    """One token of formatted dictation text and the recognised words it came from.

    `first_word`..`last_word` (inclusive) index the document's words in order across
    all segments; `start`/`end` are those words' times, for click-to-seek.
    """

    text: str
    first_word: int
    last_word: int
    start: float | None = None
    end: float | None = None


@dataclass(frozen=True, slots=True)
class Correction:
    """A low-confidence recognised phrase replaced by a lexicon term, for the technician.

    `first_word`..`last_word` (inclusive) index the document's words as in
    FormattedToken; `original` is what the recogniser wrote.
    """

    original: str
    replacement: str
    score: float  # 0..1: similarity (lexicon) or how far context favours the change
    source: str  # lexicon ("medication", "problem", "procedure", "site", "dictionary"),
    # "compound", "phrase", "context" (context_words.py) or "sound-alike" (sound_alike.py,
    # and sound_choice.py where Whisper chose it)
    first_word: int
    last_word: int
    confidence: float  # the recogniser's mean word probability over the phrase
    start: float | None = None
    end: float | None = None


@dataclass(frozen=True, slots=True)
class Segment:
    """A stretch of text: a speech segment (start/end seconds) or an OCR/text page."""

    text: str
    start: float | None = None
    end: float | None = None
    page: int | None = None
    confidence: float | None = None
    words: tuple[Word, ...] = ()  # as recognised (speech: raw recogniser words)
    raw_text: str = ""  # speech: the recogniser's own text when `text` is formatted
    tokens: tuple[FormattedToken, ...] = ()  # speech: `text` token by token, word-mapped
    corrections: tuple[Correction, ...] = ()  # speech: vocabulary corrections in `text`


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
    raw_text: str = ""  # speech: the recogniser's output before formatting/correction
    corrections: tuple[Correction, ...] = ()  # speech: every vocabulary correction made
    low_confidence_words: int = 0  # speech/OCR: words below the review threshold


class UnreadableDocument(Exception):
    """A file chartdrop cannot turn into text. `reason` is plain words for a technician
    and must never contain patient details."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class UnsupportedDocument(UnreadableDocument):
    """The content is of a type chartdrop does not read."""
