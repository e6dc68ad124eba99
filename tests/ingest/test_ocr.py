from __future__ import annotations

import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image

from chartdrop.ingest.ocr import ocr_image, read_image
from chartdrop.ingest.types import DocumentKind, UnreadableDocument
from chartdrop.settings import Settings
from tests.factories import make_multipage_tiff, make_scan, render_page

NOTE = (
    "HISTORY: The patient has hypertension and diabetes mellitus.\n"
    "MEDICATIONS: Metformin 500 mg twice daily. Lisinopril 10 mg daily.\n"
    "PLAN: Follow up in three weeks with repeat creatinine."
)
KEY_WORDS = ("HISTORY", "hypertension", "diabetes", "Metformin", "Lisinopril", "creatinine")


def _missing(text: str) -> list[str]:
    return [w for w in KEY_WORDS if w not in text]


def test_rendered_scan(tmp_path: Path, reader_settings: Settings) -> None:
    result = read_image(make_scan(NOTE, tmp_path / "scan.png"), reader_settings)
    assert result.kind is DocumentKind.IMAGE
    assert result.engine == "tesseract" and result.model.startswith("tesseract 5")
    assert not _missing(result.text), result.text
    assert result.pages == 1 and result.warnings == ()
    (page,) = result.segments
    assert page.page == 1 and page.confidence is not None and page.confidence > 0.8
    assert "\n" in page.text  # one line per printed line
    words = {w.text: w for w in page.words}
    box = words["hypertension"].box
    assert box is not None and box[0] > 250 and box[2] > 100  # right of the 1-inch margin
    assert all(w.page == 1 and 0 <= w.confidence <= 1 for w in page.words)


def test_skewed_noisy_jpeg_is_still_readable(tmp_path: Path, reader_settings: Settings) -> None:
    path = make_scan(NOTE, tmp_path / "scan.jpg", rotate=1.5, noise=True, fmt="jpeg")
    assert len(_missing(read_image(path, reader_settings).text)) <= 1


def test_blank_page_warns(tmp_path: Path, reader_settings: Settings) -> None:
    result = read_image(make_scan("", tmp_path / "blank.png", dpi=150), reader_settings)
    assert result.text == ""
    assert result.warnings == ("page 1: no text found",)


def test_multipage_tiff(tmp_path: Path, reader_settings: Settings) -> None:
    path = make_multipage_tiff(["Page one says hypertension.", "Page two says diabetes."],
                               tmp_path / "fax.tif")  # fmt: skip
    result = read_image(path, reader_settings)
    assert [s.page for s in result.segments] == [1, 2]
    assert "hypertension" in result.segments[0].text and "diabetes" in result.segments[1].text
    assert {w.page for w in result.segments[1].words} == {2}
    with pytest.raises(UnreadableDocument, match="too many pages"):
        read_image(path, reader_settings.with_(max_pages=1))


def _png_header_only(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64))


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
@pytest.mark.parametrize("side", [12_000, 60_000])  # over our limit; over Pillow's own
def test_decompression_bomb_is_refused(
    tmp_path: Path, reader_settings: Settings, side: int
) -> None:
    path = tmp_path / "bomb.png"
    path.write_bytes(_png_header_only(side, side))
    with pytest.raises(UnreadableDocument, match="too large"):
        read_image(path, reader_settings)


def test_truncated_image(tmp_path: Path, reader_settings: Settings) -> None:
    whole = make_scan(NOTE, tmp_path / "scan.png", dpi=100)
    cut = tmp_path / "cut.png"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    with pytest.raises(UnreadableDocument, match="damaged or incomplete"):
        read_image(cut, reader_settings)


def test_modes_are_converted() -> None:
    page = render_page("Hypertension noted.", dpi=100).crop((0, 0, 850, 200))
    rgba = page.convert("RGBA")
    sixteen = page.convert("I;16")
    for image in (rgba, sixteen, page.convert("P"), page.convert("CMYK")):
        assert "Hypertension" in ocr_image(image, page=3).text
    assert isinstance(rgba, Image.Image)
