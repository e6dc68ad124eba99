from __future__ import annotations

from pathlib import Path

import pytest

from chartdrop.ingest.sniff import sniff
from chartdrop.ingest.types import DocumentKind, UnreadableDocument, UnsupportedDocument
from chartdrop.settings import Settings
from tests.factories import (
    make_dictation,
    make_image_pdf,
    make_pdf_with_text_layer,
    make_scan,
)

TEXT = "Follow up in two weeks."


@pytest.mark.parametrize("fmt", ["wav", "mp3", "ogg", "flac", "m4a", "webm"])
def test_audio_by_content_despite_extension(tmp_path: Path, fmt: str) -> None:
    made = make_dictation(TEXT, tmp_path / f"note.{fmt}", fmt=fmt)
    disguised = made.rename(tmp_path / "note.pdf")
    assert sniff(disguised) is DocumentKind.AUDIO


@pytest.mark.parametrize("fmt", ["png", "jpeg", "tiff", "bmp"])
def test_images_by_content(tmp_path: Path, fmt: str) -> None:
    path = make_scan(TEXT, tmp_path / "scan.txt", dpi=72, fmt=fmt)
    assert sniff(path) is DocumentKind.IMAGE


def test_pdfs_by_content(tmp_path: Path) -> None:
    assert sniff(make_pdf_with_text_layer(TEXT, tmp_path / "a.wav")) is DocumentKind.PDF
    assert sniff(make_image_pdf(TEXT, tmp_path / "b", dpi=72)) is DocumentKind.PDF


@pytest.mark.parametrize(
    "data",
    [
        b"Patient seen today.\nPlan: rest.\n",
        "Caf\u00e9 \u2013 na\u00efve\r\n".encode("cp1252"),
        "Caf\u00e9\r\n".encode("utf-16"),
        b"mrn,date,result\n1,2024-01-01,ok\n2,2024-01-02,ok\n",  # no note column: text
        # libmagic alone calls these HP-GL plotter files ("PA" is a plotter command)
        b"PAST MEDICAL HISTORY:, He has difficulty climbing stairs.,SOCIAL HISTORY:, None.",
        b"PREOPERATIVE DIAGNOSIS: , Achilles tendon rupture, left.,POSTOPERATIVE DIAGNOSIS:",
    ],
)
def test_text_by_content(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "note.jpg"
    path.write_bytes(data)
    assert sniff(path) is DocumentKind.TEXT


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.wav"
    path.touch()
    with pytest.raises(UnreadableDocument, match="the file is empty"):
        sniff(path)


def test_unknown_binary(tmp_path: Path) -> None:
    path = tmp_path / "x.mp3"
    path.write_bytes(b"\x00\x13\x37" + bytes(range(256)) * 40)
    with pytest.raises(UnsupportedDocument, match=r"^unsupported file type: [a-z]+/"):
        sniff(path)


def test_zip_is_unsupported(tmp_path: Path) -> None:
    path = tmp_path / "x.pdf"
    path.write_bytes(b"PK\x03\x04" + bytes(200))
    with pytest.raises(UnsupportedDocument, match="application/zip"):
        sniff(path)


@pytest.mark.parametrize("magic", [b"\x02dss", b"\x03ds2"])
def test_olympus_dss_is_refused_with_advice(tmp_path: Path, magic: bytes) -> None:
    path = tmp_path / "dictation.wav"
    path.write_bytes(magic + bytes(1024))
    with pytest.raises(UnsupportedDocument, match=r"DSS.*convert.*wav or mp3"):
        sniff(path)


def test_too_big(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_bytes(b"a" * 2 * 1024 * 1024)
    with pytest.raises(UnreadableDocument, match=r"too large \(2\.0 MB; the limit is 1 MB\)"):
        sniff(path, Settings(max_file_mb=1))


def test_reason_never_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "Smith_John_MRN123.bin"
    path.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(UnreadableDocument) as caught:
        sniff(path)
    assert "Smith" not in caught.value.reason
