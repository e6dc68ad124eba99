"""Decide what kind of document a file is from its content, never its name.

Physicians' software and scanners name files inconsistently (`.dat`, no extension,
`.mp3` that is really m4a), so the extension is ignored and libmagic decides.
"""

from __future__ import annotations

from pathlib import Path

import magic

from chartdrop.settings import Settings

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
    return kind_for_mime(mime)


def kind_for_mime(mime: str) -> DocumentKind:
    if mime in AUDIO_MIME:
        return DocumentKind.AUDIO
    if mime in IMAGE_MIME:
        return DocumentKind.IMAGE
    if mime in PDF_MIME:
        return DocumentKind.PDF
    if mime.startswith("text/") and mime not in TEXT_EXCLUDED_MIME:
        return DocumentKind.TEXT
    raise UnsupportedDocument(f"unsupported file type: {mime}")


def _mime_of(head: bytes) -> str:
    # libmagic's verdict on the first 64 KiB matches its verdict on the whole file for
    # every format we accept, and bounds the work on huge files.
    try:
        mime = magic.from_buffer(head, mime=True)
    except magic.MagicException as exc:  # broken libmagic database: not the file's fault
        raise UnreadableDocument("the file type could not be determined") from exc
    mime = (mime or "application/octet-stream").split(";", 1)[0].strip().lower()
    return mime
