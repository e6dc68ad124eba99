from __future__ import annotations

from pathlib import Path

import pytest

from chartdrop.ingest.documents import decode_text, read_pdf, read_text
from chartdrop.ingest.types import DocumentKind, UnreadableDocument
from chartdrop.settings import Settings
from tests.factories import make_encrypted_pdf, make_image_pdf, make_pdf_with_text_layer

NOTE = "ASSESSMENT: Hypertension, well controlled. Continue lisinopril 10 mg daily."


def test_text_layer_pdf(tmp_path: Path, reader_settings: Settings) -> None:
    result = read_pdf(make_pdf_with_text_layer(NOTE, tmp_path / "a.pdf", pages=2), reader_settings)
    assert result.kind is DocumentKind.PDF
    assert result.engine == "pdf-text-layer" and result.pages == 2
    assert result.segments[0].text == NOTE and result.segments[1].page == 2
    assert result.warnings == ()


def test_image_only_pdf_is_ocrd(tmp_path: Path, reader_settings: Settings) -> None:
    result = read_pdf(
        make_image_pdf(NOTE, tmp_path / "scan.pdf"), reader_settings.with_(ocr_dpi=200)
    )
    assert result.engine == "tesseract" and result.model.startswith("tesseract")
    assert "Hypertension" in result.text and "lisinopril" in result.text
    assert result.segments[0].words[0].box is not None


def test_mixed_pdf(tmp_path: Path, reader_settings: Settings) -> None:
    import pypdfium2 as pdfium

    text_pdf = make_pdf_with_text_layer(NOTE, tmp_path / "a.pdf")
    scan_pdf = make_image_pdf("Diabetes mellitus type 2.", tmp_path / "b.pdf", dpi=150)
    merged = pdfium.PdfDocument.new()
    for source in (text_pdf, scan_pdf):
        merged.import_pages(pdfium.PdfDocument(str(source)))
    merged.save(str(tmp_path / "both.pdf"))
    result = read_pdf(tmp_path / "both.pdf", reader_settings.with_(ocr_dpi=150))
    assert result.engine == "pdf-text-layer+tesseract"
    assert [s.page for s in result.segments] == [1, 2]
    assert "Diabetes" in result.segments[1].text


def test_too_many_pages(tmp_path: Path, reader_settings: Settings) -> None:
    path = make_pdf_with_text_layer(NOTE, tmp_path / "long.pdf", pages=3)
    with pytest.raises(UnreadableDocument, match=r"too many pages \(3; the limit is 2\)"):
        read_pdf(path, reader_settings.with_(max_pages=2))


def test_password_protected_pdf(tmp_path: Path, reader_settings: Settings) -> None:
    with pytest.raises(UnreadableDocument, match="password"):
        read_pdf(make_encrypted_pdf(tmp_path / "locked.pdf"), reader_settings)


def test_garbage_pdf(tmp_path: Path, reader_settings: Settings) -> None:
    path = tmp_path / "broken.pdf"
    path.write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 8)
    with pytest.raises(UnreadableDocument, match="damaged or not really a PDF"):
        read_pdf(path, reader_settings)


WINDOWS_NOTE = "Caf\u00e9 \u2013 na\u00efve \u201cquoted\u201d\r\nline two\r\n"


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (WINDOWS_NOTE.encode("cp1252"), "cp1252"),
        (WINDOWS_NOTE.encode("utf-16"), "utf-16"),
        (WINDOWS_NOTE.encode(), "utf-8"),
        (("\ufeff" + WINDOWS_NOTE.replace("\r", "")).encode(), "utf-8"),
    ],
)
def test_text_encodings(
    tmp_path: Path, reader_settings: Settings, data: bytes, encoding: str
) -> None:
    path = tmp_path / "note.txt"
    path.write_bytes(data)
    result = read_text(path, reader_settings)
    assert result.text == "Caf\u00e9 \u2013 na\u00efve \u201cquoted\u201d\nline two"
    assert result.model == encoding and result.engine == "plain-text"


def test_latin1_text() -> None:
    text, _ = decode_text("M\u00fcller, \u00c5ngstr\u00f6m, r\u00e9sum\u00e9\n".encode("latin-1"))
    assert text.startswith("M\u00fcller, \u00c5ngstr\u00f6m")


def test_bad_utf16_is_unreadable() -> None:
    with pytest.raises(UnreadableDocument, match="encoding"):
        decode_text(b"\xff\xfe" + b"\x00\xd8" + b"a")  # odd length, lone surrogate
