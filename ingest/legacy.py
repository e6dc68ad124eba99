"""Legacy formats for backfill: RTF, DOCX, HTML, and one-note-per-row CSV exports.

Each is turned into plain text with readable line breaks. DOCX is a zip: its parts
are size-checked before anything is decompressed (zip bombs), and XML is parsed by
python-docx's lxml set-up, which does not resolve external entities.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

from chartdrop.settings import Settings

from .documents import decode_text, normalise_text
from .types import DocumentKind, Segment, TextResult, UnreadableDocument

MAX_DOCX_UNCOMPRESSED_MB = 200.0  # all parts together, decompressed
MAX_DOCX_RATIO = 200  # decompressed / compressed size of one part
MAX_CSV_ROWS = 200_000
# Header names of the note column in EHR/MTSamples-style exports, best first.
NOTE_COLUMNS = ("transcription", "note_text", "note", "notes", "text", "body", "report",
                "content", "narrative")  # fmt: skip
csv.field_size_limit(max(csv.field_size_limit(), 16 * 1024 * 1024))


def _result(text: str, kind: DocumentKind, engine: str, model: str = "") -> TextResult:
    text = normalise_text(_tidy(text))
    return TextResult(
        text=text,
        kind=kind,
        engine=engine,
        model=model,
        segments=(Segment(text=text),) if text else (),
        pages=1,
    )


def _tidy(text: str) -> str:
    """Trailing spaces off each line, at most one blank line in a row."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines))


# --------------------------------------------------------------------------- RTF


def read_rtf(path: Path, settings: Settings) -> TextResult:
    from striprtf.striprtf import rtf_to_text

    del settings
    raw, _ = decode_text(path.read_bytes())  # RTF is 7-bit; \'xx escapes carry the rest
    if not raw.lstrip().startswith("{\\rtf"):
        raise UnreadableDocument("the RTF file is damaged")
    return _result(rtf_to_text(raw, errors="replace"), DocumentKind.RTF, "rtf", "striprtf")


# -------------------------------------------------------------------------- DOCX


def check_zip(path: Path, max_mb: float = MAX_DOCX_UNCOMPRESSED_MB) -> zipfile.ZipFile:
    """The zip, opened, once its declared sizes say it is safe to decompress."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise UnreadableDocument("the Word document is damaged or not really a .docx") from exc
    total = 0
    for info in archive.infolist():
        total += info.file_size
        if (
            info.compress_size
            and info.file_size / info.compress_size > MAX_DOCX_RATIO
            and (info.file_size > 10 * 1024 * 1024)
        ):
            archive.close()
            raise UnreadableDocument(
                "the Word document expands too much when unpacked (a zip bomb?)"
            )
    if total > max_mb * 1024 * 1024:
        archive.close()
        raise UnreadableDocument(
            f"the Word document is too large when unpacked ({total / 1024 / 1024:.0f} MB; "
            f"the limit is {max_mb:g} MB)"
        )
    return archive


def read_docx(path: Path, settings: Settings) -> TextResult:
    import docx

    del settings
    with check_zip(path) as archive:
        if "word/document.xml" not in archive.namelist():
            raise UnreadableDocument("the file is a zip archive, not a Word document")
    try:
        document = docx.Document(str(path))
    except Exception as exc:  # python-docx raises many types on broken parts
        raise UnreadableDocument("the Word document is damaged") from exc
    return _result("\n".join(_docx_blocks(document)), DocumentKind.DOCX, "docx", "python-docx")


def _docx_blocks(document: object) -> Iterator[str]:
    """Paragraphs and table rows in document order (tables as tab-separated cells)."""
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    for block in document.iter_inner_content():  # type: ignore[attr-defined]
        if isinstance(block, Paragraph):
            yield block.text
        elif isinstance(block, Table):
            for row in block.rows:
                cells = []
                for cell in row.cells:
                    text = " ".join(cell.text.split())
                    if not cells or cells[-1] != text:  # merged cells repeat
                        cells.append(text)
                yield "\t".join(cells)
            yield ""


# -------------------------------------------------------------------------- HTML

_BLOCK_TAGS = frozenset({"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6",
                         "table", "ul", "ol", "pre", "blockquote", "section", "article",
                         "header", "footer", "hr", "dt", "dd", "title"})  # fmt: skip
_SKIP_TAGS = frozenset({"script", "style", "head", "noscript", "template"})


class _TextParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0
        self.pre = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            self.skipping += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")
        elif tag in ("td", "th"):
            self.parts.append("\t")
        self.pre += tag == "pre"

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self.skipping = max(0, self.skipping - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")
        if tag == "pre":
            self.pre = max(0, self.pre - 1)

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data if self.pre else re.sub(r"\s+", " ", data))


def read_html(path: Path, settings: Settings) -> TextResult:
    del settings
    raw, encoding = decode_text(path.read_bytes())
    parser = _TextParser()
    parser.feed(raw)
    parser.close()
    text = "".join(parser.parts)
    text = "\n".join(re.sub(r" {2,}", " ", line).strip(" ") for line in text.split("\n"))
    return _result(text, DocumentKind.HTML, "html", encoding)


# --------------------------------------------------------------------------- CSV


def note_column(header: list[str]) -> str | None:
    """The header's note column (as written), or None when none is known."""
    names = {h.strip().lower().replace(" ", "_"): h for h in header}
    if len(names) < 2:
        return None
    return next((names[n] for n in NOTE_COLUMNS if n in names), None)


def looks_like_note_csv(head: str) -> bool:
    """A header row with a known note column (comma, semicolon or tab separated)."""
    first = head.lstrip("\ufeff").split("\n", 1)[0]
    for delimiter in (",", ";", "\t"):
        if delimiter in first:
            header = next(csv.reader(io.StringIO(first), delimiter=delimiter), [])
            if note_column(header):
                return True
    return False


def note_rows(path: Path) -> Iterator[tuple[int, str]]:
    """(row number from 1, note text) for every data row; '' for an empty note."""
    text, _ = decode_text(path.read_bytes())
    first = text.lstrip("\ufeff").split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first.count)
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff"), newline=""), delimiter=delimiter)
    column = note_column(list(reader.fieldnames or []))
    if column is None:
        raise UnreadableDocument("the CSV file has no note column")
    try:
        for number, row in enumerate(reader, start=1):
            if number > MAX_CSV_ROWS:
                raise UnreadableDocument(
                    f"the CSV file has too many rows (the limit is {MAX_CSV_ROWS})"
                )
            yield number, normalise_text(_tidy(row.get(column) or ""))
    except csv.Error as exc:
        raise UnreadableDocument("the CSV file is damaged") from exc
