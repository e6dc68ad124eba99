"""Decide what kind of document a file is from its content, never its name.

Physicians' software and scanners name files inconsistently (`.dat`, no extension,
`.mp3` that is really m4a), so the extension is ignored and libmagic decides.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import magic

from chartdrop.settings import Settings

from .legacy import looks_like_note_csv
from .types import DocumentKind, UnreadableDocument, UnsupportedDocument

AUDIO_MIME = frozenset(
    {
        "audio/x-wav",
        "audio/wav",
        "audio/vnd.wave",
        "audio/wave",
        "audio/mpeg",
        "audio/mp3",
        "audio/x-m4a",
        "audio/m4a",
        "audio/mp4",
        "audio/aac",
        "audio/x-hx-aac-adts",
        "audio/ogg",
        "audio/opus",
        "application/ogg",
        "audio/flac",
        "audio/x-flac",
        "audio/webm",
        # libmagic labels any WebM or audio-only MP4 (phone recorders) as video;
        # the speech reader decodes just the audio track and fails cleanly if none.
        "video/webm",
        "video/mp4",
    }
)
IMAGE_MIME = frozenset(
    {"image/png", "image/jpeg", "image/tiff", "image/bmp", "image/x-ms-bmp", "image/x-bmp"}
)
PDF_MIME = frozenset({"application/pdf", "application/x-pdf"})
# text/* is read as plain text except formats whose markup would pollute the note.
TEXT_EXCLUDED_MIME = frozenset({"text/rtf"})
DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
HTML_MIME = frozenset({"text/html", "application/xhtml+xml"})

# Olympus/Philips DSS and DS2 dictation files: proprietary codecs PyAV cannot decode.
_DSS_MAGIC = (b"\x02dss", b"\x03ds2")
_HEAD_BYTES = 64 * 1024


def sniff(path: Path, settings: Settings | None = None) -> DocumentKind:
    """The document kind of `path`, or UnreadableDocument/UnsupportedDocument.

    Reasons never name the file: the caller knows which file it asked about.
    """
    settings = settings or Settings()
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise UnreadableDocument("the file could not be opened") from exc
    if size == 0:
        raise UnreadableDocument("the file is empty")
    limit_bytes = settings.max_file_mb * 1024 * 1024
    if size > limit_bytes:
        raise UnreadableDocument(
            f"the file is too large ({size / 1024 / 1024:.1f} MB; "
            f"the limit is {settings.max_file_mb:g} MB)"
        )
    try:
        with path.open("rb") as handle:
            head = handle.read(_HEAD_BYTES)
    except OSError as exc:
        raise UnreadableDocument("the file could not be opened") from exc

    if head.startswith(_DSS_MAGIC):
        raise UnsupportedDocument(
            "Olympus DSS/DS2 dictation files are not supported; "
            "convert the recording to wav or mp3 and drop it again"
        )

    mime = _mime_of(head)
    if not mime.startswith("text/") and _kind_of_mime(mime) is None and _is_plain_text(head):
        # libmagic takes some typed notes for plotter or ROM files from their first letters
        # ("PA" is HP-GL's plot command: "PAST MEDICAL HISTORY:", "PREOPERATIVE
        # DIAGNOSIS:"); 34 of 4,966 MTSamples notes were refused so.
        mime = "text/plain"
    return _legacy_kind(path, head, mime) or kind_for_mime(mime)


def _is_plain_text(head: bytes) -> bool:
    """UTF-8 (or ASCII) text of printable characters and line breaks, with some letters."""
    if b"\x00" in head:
        return False
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 3:  # not just a character cut off by the 64 KiB read
            return False
        text = head[: exc.start].decode("utf-8")
    unprintable = sum(1 for c in text if not (c.isprintable() or c in "\t\r\n\f"))
    return unprintable <= len(text) // 100 and any(c.isalpha() for c in text)


def _legacy_kind(path: Path, head: bytes, mime: str) -> DocumentKind | None:
    """RTF, DOCX, HTML and note-per-row CSV, by content (libmagic alone confuses them
    with plain text or any zip)."""
    if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{\\rtf") or mime == "text/rtf":
        return DocumentKind.RTF
    if head.startswith(b"PK\x03\x04") and _is_docx(path):
        return DocumentKind.DOCX
    if mime in HTML_MIME and _starts_as_html(head):
        return DocumentKind.HTML
    if mime.startswith("text/") and looks_like_note_csv(_head_text(head)):
        return DocumentKind.CSV
    return None


def _starts_as_html(head: bytes) -> bool:
    """An HTML document, not a text note that merely quotes a tag somewhere."""
    start = _head_text(head[:2048]).lstrip("\ufeff \t\r\n").lower()
    return start.startswith(_HTML_STARTS)


_HTML_STARTS = ("<!doctype html", "<html", "<head", "<body", "<?xml", "<!--", "<meta", "<title")


def _is_docx(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as archive:
            return "word/document.xml" in archive.namelist()
    except (zipfile.BadZipFile, OSError):
        return False


def _head_text(head: bytes) -> str:
    for bom, encoding in ((b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if head.startswith(bom):
            return head[2:].decode(encoding, errors="replace")
    return head.decode("utf-8", errors="replace")


def kind_for_mime(mime: str) -> DocumentKind:
    kind = _kind_of_mime(mime)
    if kind is None:
        raise UnsupportedDocument(f"unsupported file type: {mime}")
    return kind


def _kind_of_mime(mime: str) -> DocumentKind | None:
    if mime in AUDIO_MIME:
        return DocumentKind.AUDIO
    if mime in IMAGE_MIME:
        return DocumentKind.IMAGE
    if mime in PDF_MIME:
        return DocumentKind.PDF
    if mime.startswith("text/") and mime not in TEXT_EXCLUDED_MIME:
        return DocumentKind.TEXT
    return None


def _mime_of(head: bytes) -> str:
    # libmagic's verdict on the first 64 KiB matches its verdict on the whole file for
    # every format we accept, and bounds the work on huge files.
    try:
        mime = magic.from_buffer(head, mime=True)
    except magic.MagicException as exc:  # broken libmagic database: not the file's fault
        raise UnreadableDocument("the file type could not be determined") from exc
    mime = (mime or "application/octet-stream").split(";", 1)[0].strip().lower()
    return mime
