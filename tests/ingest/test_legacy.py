"""Legacy backfill formats: RTF, DOCX, HTML, note-per-row CSV; and their limits."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import docx
import pytest
from sqlalchemy import select

from chartdrop.ingest import backfill, process_files
from chartdrop.ingest.legacy import read_html, read_rtf
from chartdrop.ingest.readers import read_document
from chartdrop.ingest.sniff import sniff
from chartdrop.ingest.types import DocumentKind, UnreadableDocument
from chartdrop.models import Document, DocumentStatus, Transcript
from chartdrop.settings import Settings

RTF = (
    r"{\rtf1\ansi\ansicpg1252\deff0{\fonttbl{\f0 Times New Roman;}}"
    r"{\*\generator Msftedit 5.41;}\f0\fs24 "
    r"{\b HISTORY:} The patient has hypertension.\par "
    r"PLAN: Caf\'e9 visit; lisinopril 10 mg daily.\par}"
)
HTML = (
    "<!DOCTYPE html><html><head><title>Note</title><style>p{color:red}</style>"
    "<script>var x = 'secret';</script></head><body><h1>Progress note</h1>"
    "<p>HISTORY: The patient has <b>hypertension</b>.</p><p>PLAN: lisinopril&nbsp;10 mg"
    "<br>Follow up in 2 weeks &amp; recheck.</p><table><tr><td>BP</td><td>140/90</td></tr>"
    "</table></body></html>"
)


def test_text_quoting_markup_stays_text(tmp_path: Path) -> None:
    path = tmp_path / "note.txt"
    path.write_text("PROGRESS NOTE\n<script>alert('x')</script> <b>Hypertension</b>.\n")
    assert sniff(path) is DocumentKind.TEXT


def _docx(path: Path) -> Path:
    document = docx.Document()
    document.add_heading("Progress note", level=1)
    document.add_paragraph("HISTORY: The patient has hypertension.")
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text, table.rows[0].cells[1].text = "BP", "140/90"
    document.add_paragraph("PLAN: lisinopril 10 mg daily.")
    document.save(str(path))
    return path


def test_rtf(tmp_path: Path, reader_settings: Settings) -> None:
    path = tmp_path / "note.doc"
    path.write_text(RTF, encoding="ascii")
    assert sniff(path) is DocumentKind.RTF
    result = read_rtf(path, reader_settings)
    assert result.kind is DocumentKind.RTF and result.engine == "rtf"
    assert result.text.splitlines() == [
        "HISTORY: The patient has hypertension.",
        "PLAN: Caf\u00e9 visit; lisinopril 10 mg daily.",
    ]


def test_docx(tmp_path: Path, reader_settings: Settings) -> None:
    path = _docx(tmp_path / "note.bin")
    assert sniff(path) is DocumentKind.DOCX
    result = read_document(path, reader_settings)
    assert result.kind is DocumentKind.DOCX
    assert result.text.splitlines()[:4] == [
        "Progress note",
        "HISTORY: The patient has hypertension.",
        "BP\t140/90",
        "",
    ]
    assert "PLAN: lisinopril 10 mg daily." in result.text


def test_html(tmp_path: Path, reader_settings: Settings) -> None:
    path = tmp_path / "note.txt"
    path.write_text(HTML, encoding="utf-8")
    assert sniff(path) is DocumentKind.HTML
    result = read_html(path, reader_settings)
    lines = result.text.splitlines()
    assert "HISTORY: The patient has hypertension." in lines
    assert "PLAN: lisinopril 10 mg" in lines and "Follow up in 2 weeks & recheck." in lines
    assert "secret" not in result.text and "color" not in result.text
    assert "BP\t140/90" in [line.strip() for line in lines]


def _zip_bomb(path: Path, megabytes: int = 300) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("word/document.xml", "w", force_zip64=True) as part:
            chunk = b" " * (1024 * 1024)
            for _ in range(megabytes):
                part.write(chunk)
    return path


def test_zip_bomb_docx_is_refused(tmp_path: Path, reader_settings: Settings) -> None:
    path = _zip_bomb(tmp_path / "bomb.docx")
    assert path.stat().st_size < 2 * 1024 * 1024
    assert sniff(path) is DocumentKind.DOCX
    with pytest.raises(UnreadableDocument, match=r"zip bomb|too large when unpacked"):
        read_document(path, reader_settings)


def test_broken_docx(tmp_path: Path, reader_settings: Settings) -> None:
    whole = _docx(tmp_path / "whole.docx").read_bytes()
    path = tmp_path / "cut.docx"
    path.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(UnreadableDocument):
        read_document(path, reader_settings)


def _mtsamples_csv(path: Path, notes: list[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["description", "medical_specialty", "sample_name", "transcription",
                     "keywords"])  # fmt: skip
    for n, note in enumerate(notes, 1):
        writer.writerow([f"Sample {n}", "Cardiology", f"Sample {n}", note, "kw, kw"])
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


NOTES = [
    "HISTORY: The patient has hypertension.\nPLAN: lisinopril 10 mg daily.",
    "ASSESSMENT: Type 2 diabetes mellitus, controlled.",
    "IMPRESSION: Community-acquired pneumonia, right lower lobe.",
]


def test_csv_sniffed_by_header(tmp_path: Path) -> None:
    assert sniff(_mtsamples_csv(tmp_path / "export.dat", NOTES)) is DocumentKind.CSV


def test_csv_rows_become_documents(settings, factory, tmp_path):  # type: ignore[no-untyped-def]
    path = _mtsamples_csv(tmp_path / "in" / "mtsamples.csv", [*NOTES[:2], "", NOTES[2]])
    report = process_files(factory, settings, [path])
    assert sorted(p.name for p in report.document_ids) == [
        "mtsamples.csv#row00001", "mtsamples.csv#row00002", "mtsamples.csv#row00004",
    ]  # fmt: skip
    assert report.unreadable == {
        path.with_name("mtsamples.csv#row00003"): "row 3: the note column is empty"
    }
    assert {o.status for o in report.outcomes.values()} == {DocumentStatus.STAGED}
    with factory() as session:
        texts = session.scalars(select(Transcript.text).order_by(Transcript.document_id)).all()
        kinds = set(session.scalars(select(Document.kind)))
    assert list(texts) == NOTES and kinds == {"text"}
    archived = list((settings.archive_dir / "containers").iterdir())
    assert len(archived) == 1 and archived[0].read_bytes() == path.read_bytes()
    assert path.exists()  # the caller's file stays


def test_csv_backfill_is_resumable(settings, factory, tmp_path):  # type: ignore[no-untyped-def]
    folder = tmp_path / "legacy"
    _mtsamples_csv(folder / "export.csv", NOTES)
    first = backfill(factory, settings, folder)
    assert len(first.document_ids) == 3 and len(first.outcomes) == 3
    second = backfill(factory, settings, folder)
    assert not second.document_ids and len(second.skipped) == 3
    assert len(list((settings.archive_dir / "containers").iterdir())) == 1


def test_backfill_processes_chunk_by_chunk(settings, factory, tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    # Drafts of a long backfill appear while it still registers files, not after all of them.
    import chartdrop.ingest.batch as batch

    monkeypatch.setattr(batch, "BACKFILL_CHUNK", 2)
    folder = tmp_path / "legacy"
    folder.mkdir()
    for n in range(5):
        (folder / f"note{n}.txt").write_text(f"Patient has hypertension, visit {n}.")
    events: list[tuple[str, int]] = []
    report = backfill(
        factory,
        settings,
        folder,
        on_outcome=lambda outcome: events.append(("staged", outcome.document_id)),
        on_registered=lambda taken: events.append(("taken", taken)),
    )
    assert [n for kind, n in events if kind == "taken"] == [2, 4, 5]
    assert [kind for kind, _ in events] == ["taken", *["staged"] * 2] * 2 + ["taken", "staged"]
    assert len(report.outcomes) == 5 == len(report.document_ids)
    assert {o.status for o in report.outcomes.values()} == {DocumentStatus.STAGED}
