from __future__ import annotations

from pathlib import Path

import pytest

from chartdrop.ingest import readers
from chartdrop.ingest.readers import get_transcriber, read_document
from chartdrop.ingest.speech import Transcriber
from chartdrop.ingest.types import DocumentKind, UnreadableDocument, UnsupportedDocument
from chartdrop.settings import Settings
from tests.factories import make_pdf_with_text_layer, make_scan

NOTE = "The patient has hypertension and diabetes."


def test_dispatch_by_content(
    tmp_path: Path, reader_settings: Settings, transcriber: Transcriber, dictation_wav: Path
) -> None:
    scan = make_scan(NOTE, tmp_path / "a.pdf", dpi=150)
    pdf = make_pdf_with_text_layer(NOTE, tmp_path / "b.png")
    text = tmp_path / "c.wav"
    text.write_text(NOTE)
    assert read_document(scan, reader_settings).kind is DocumentKind.IMAGE
    assert read_document(pdf, reader_settings).engine == "pdf-text-layer"
    assert read_document(text, reader_settings).text == NOTE
    audio = read_document(dictation_wav, reader_settings, transcriber=transcriber)
    assert audio.kind is DocumentKind.AUDIO and "hypertension" in audio.text.lower()


def test_unsupported_passes_through(tmp_path: Path, reader_settings: Settings) -> None:
    path = tmp_path / "x"
    path.write_bytes(b"PK\x03\x04" + bytes(100))
    with pytest.raises(UnsupportedDocument):
        read_document(path, reader_settings)


def test_library_crash_becomes_plain_reason(
    tmp_path: Path, reader_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(path: Path, reader_settings: Settings) -> None:
        raise KeyError("Jane Doe, MRN 12345")

    monkeypatch.setattr(readers.documents, "read_text", explode)
    path = tmp_path / "note.txt"
    path.write_text(NOTE)
    with pytest.raises(UnreadableDocument) as caught:
        read_document(path, reader_settings)
    assert caught.value.reason == "the text file could not be read (KeyError)"
    assert isinstance(caught.value.__cause__, KeyError)


def test_wrong_kind_hint_is_contained(tmp_path: Path, reader_settings: Settings) -> None:
    path = tmp_path / "note.txt"
    path.write_text(NOTE)
    with pytest.raises(UnreadableDocument):
        read_document(path, reader_settings, kind=DocumentKind.PDF)


def test_transcriber_cache() -> None:
    a = get_transcriber(Settings())
    assert get_transcriber(Settings(max_pages=3)) is a  # unrelated reader_settings share it
    assert get_transcriber(Settings(whisper_beam_size=1)) is a  # per-call setting
    assert get_transcriber(Settings(whisper_threads=1)) is not a
