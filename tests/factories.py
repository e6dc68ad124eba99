"""Synthetic test documents: dictations (espeak-ng), scans (Pillow) and PDFs.

Shared by the ingest tests and the end-to-end tests, so keep the signatures stable.
Nothing here touches the network; ffmpeg is not installed, so audio formats other
than wav are encoded with PyAV (which bundles its own codecs).
"""

from __future__ import annotations

import random
import subprocess
import tempfile
import textwrap
import wave
from pathlib import Path

import av
import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")

# container format, codec, sample rate (opus only accepts 48 kHz), sample format
_AUDIO_FORMATS: dict[str, tuple[str, str, int, str]] = {
    "mp3": ("mp3", "libmp3lame", 22050, "s16p"),
    "ogg": ("ogg", "libopus", 48000, "s16"),
    "opus": ("ogg", "libopus", 48000, "s16"),
    "webm": ("webm", "libopus", 48000, "s16"),
    "flac": ("flac", "flac", 22050, "s16"),
    "m4a": ("ipod", "aac", 22050, "fltp"),
    "wav": ("wav", "pcm_s16le", 22050, "s16"),
}


def make_dictation(
    text: str, path: Path, voice: str = "en-us", speed: int = 150, fmt: str = "wav"
) -> Path:
    """Speak `text` with espeak-ng into `path` (wav, mp3, ogg/opus, webm, flac or m4a)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "wav":
        _espeak(text, path, voice, speed)
        return path
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "speech.wav"
        _espeak(text, wav, voice, speed)
        transcode_audio(wav, path, fmt)
    return path


def _espeak(text: str, out: Path, voice: str, speed: int) -> None:
    # Text goes through stdin so long notes are not limited by argv size.
    subprocess.run(
        ["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(out), "--stdin"],
        input=text.encode("utf-8"),
        check=True,
        capture_output=True,
    )


def transcode_audio(
    src: Path, dst: Path, fmt: str, layout: str = "mono", rate: int | None = None
) -> Path:
    """Re-encode any audio PyAV can read into `fmt` (see _AUDIO_FORMATS), `layout` channels,
    at `rate` Hz (default: the format's usual rate)."""
    container_fmt, codec, default_rate, sample_fmt = _AUDIO_FORMATS[fmt]
    rate = rate or default_rate
    with av.open(str(src)) as inp, av.open(str(dst), "w", format=container_fmt) as out:
        stream = out.add_stream(codec, rate=rate)
        stream.layout = layout
        stream.format = sample_fmt
        resampler = av.AudioResampler(format=sample_fmt, layout=layout, rate=rate)
        for frame in inp.decode(audio=0):
            frame.pts = None
            for rframe in resampler.resample(frame):
                out.mux(stream.encode(rframe))
        for rframe in resampler.resample(None):
            out.mux(stream.encode(rframe))
        out.mux(stream.encode(None))
    return dst


def make_silence(path: Path, seconds: float = 5.0, rate: int = 16000, noise: float = 0.0) -> Path:
    """A mono 16-bit wav of silence (optionally faint white noise, as on a real line)."""
    samples = np.zeros(int(seconds * rate), dtype=np.float32)
    if noise:
        samples += np.random.default_rng(0).normal(0.0, noise, samples.shape).astype(np.float32)
    pcm = (np.clip(samples, -1.0, 1.0) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(pcm.tobytes())
    return Path(path)


def render_page(text: str, dpi: int = 300, font_pt: float = 12.0) -> Image.Image:
    """A white letter-size page (8.5 x 11 in) with `text` typed on it, 1-inch margins."""
    width, height = int(8.5 * dpi), int(11 * dpi)
    page = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(page)
    font = ImageFont.truetype(str(FONT), size=max(8, round(font_pt / 72 * dpi)))
    margin = dpi
    # DejaVu Sans averages ~0.55 em per character; wrap to the printable width.
    chars_per_line = max(10, int((width - 2 * margin) / (font.size * 0.55)))
    line_height = round(font.size * 1.5)
    y = margin
    for paragraph in text.splitlines() or [""]:
        for line in textwrap.wrap(paragraph, chars_per_line) or [""]:
            if y + line_height > height - margin:
                return page
            draw.text((margin, y), line, fill=0, font=font)
            y += line_height
    return page


def make_scan(
    text: str,
    path: Path,
    dpi: int = 300,
    rotate: float = 0.0,
    noise: bool = False,
    fmt: str = "png",
) -> Path:
    """A scanned-looking page: rendered text, optional skew (degrees) and speckle."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    page = render_page(text, dpi)
    if rotate:
        page = page.rotate(rotate, resample=Image.Resampling.BICUBIC, expand=False, fillcolor=255)
    if noise:
        page = _add_noise(page)
    save_format = {"jpg": "JPEG", "jpeg": "JPEG", "tif": "TIFF", "tiff": "TIFF"}.get(
        fmt.lower(), fmt.upper()
    )
    page.save(path, format=save_format, dpi=(dpi, dpi))
    return path


def _add_noise(page: Image.Image) -> Image.Image:
    rng = np.random.default_rng(1)
    pixels = np.asarray(page, dtype=np.int16)
    pixels = pixels + rng.normal(0, 18, pixels.shape).astype(np.int16)  # sensor noise
    speckle = rng.random(pixels.shape)
    pixels[speckle < 0.002] = 0  # dust
    pixels[speckle > 0.998] = 255  # dropouts
    noisy = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), "L")
    return noisy.filter(ImageFilter.GaussianBlur(0.6))  # scanner optics


def make_multipage_tiff(texts: list[str], path: Path, dpi: int = 200) -> Path:
    """One TIFF with a page per text (as a fax or a sheet-fed scanner writes)."""
    pages = [render_page(text, dpi) for text in texts]
    pages[0].save(path, format="TIFF", save_all=True, append_images=pages[1:], dpi=(dpi, dpi))
    return Path(path)


def make_image_pdf(text: str, path: Path, dpi: int = 200) -> Path:
    """An image-only PDF (no text layer), as a scanner's 'scan to PDF' writes."""
    render_page(text, dpi).save(path, format="PDF", resolution=float(dpi))
    return Path(path)


def make_pdf_with_text_layer(text: str, path: Path, pages: int = 1) -> Path:
    """A small hand-written PDF with real text (Helvetica), `text` repeated on each page.

    Hand-writing keeps the fixture free of PDF-writing dependencies; the xref offsets
    are computed, so PDFium opens it without repair.
    """
    lines = [w for p in text.splitlines() for w in (textwrap.wrap(p, 85) or [""])]
    ops = ["BT", "/F1 11 Tf", "14 TL", "72 740 Td"]
    for line in lines[:48]:
        ops.append(f"({_pdf_escape(line)}) Tj T*")
    ops.append("ET")
    content = "\n".join(ops).encode("latin-1", errors="replace")

    objects: list[bytes] = []
    page_ids = [4 + 2 * i for i in range(pages)]
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    kids = " ".join(f"{pid} 0 R" for pid in page_ids)
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {pages} >>".encode())
    objects.append(
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
    )
    for pid in page_ids:
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            f"/Resources << /Font << /F1 3 0 R >> >> /Contents {pid + 1} 0 R >>".encode()
        )
        objects.append(
            f"<< /Length {len(content)} >>\nstream\n".encode() + content + b"\nendstream"
        )
    return _write_pdf(Path(path), objects)


def make_encrypted_pdf(path: Path) -> Path:
    """A PDF whose /Encrypt dictionary demands a password the reader does not have."""
    rnd = random.Random(7)
    owner = "".join(f"{rnd.randrange(256):02x}" for _ in range(32))
    user = "".join(f"{rnd.randrange(256):02x}" for _ in range(32))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>",
        f"<< /Filter /Standard /V 2 /R 3 /Length 128 /P -3904 /O <{owner}> /U <{user}> >>".encode(),
    ]
    file_id = "".join(f"{rnd.randrange(256):02x}" for _ in range(16))
    trailer_extra = f"/Encrypt 4 0 R /ID [<{file_id}> <{file_id}>]"
    return _write_pdf(Path(path), objects, trailer_extra)


def _write_pdf(path: Path, objects: list[bytes], trailer_extra: str = "") -> Path:
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R {trailer_extra} >>\n"
        f"startxref\n{xref}\n%%EOF\n"
    ).encode()
    path.write_bytes(bytes(out))
    return path


def _pdf_escape(line: str) -> str:
    return line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


__all__ = [
    "make_dictation",
    "make_encrypted_pdf",
    "make_image_pdf",
    "make_multipage_tiff",
    "make_pdf_with_text_layer",
    "make_scan",
    "make_silence",
    "render_page",
    "transcode_audio",
]
