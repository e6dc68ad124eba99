"""Searchable PDF/A copies of scans beside the archived original, and PDFs that must
be quarantined with a reason, through the whole pipeline."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pypdfium2 as pdfium
import pytest

from chartdrop.ingest import process_files
from chartdrop.ingest.pdfa import copy_path
from chartdrop.models import DocumentStatus
from tests.factories import make_encrypted_pdf, make_multipage_tiff, make_scan

NOTE = "ASSESSMENT: Hypertension, well controlled. Continue lisinopril 10 mg daily."

needs_ghostscript = pytest.mark.skipif(
    shutil.which("gs") is None and not os.environ.get("CI"),
    reason="Ghostscript is not installed (Debian: ghostscript; scripts/setup.sh installs it)",
)


def _stored(factory, document_id: int) -> Path:  # type: ignore[no-untyped-def]
    from chartdrop.models import Document

    with factory() as session:
        return Path(session.get(Document, document_id).stored_path)


@needs_ghostscript
def test_scan_gets_a_searchable_pdfa_copy(settings, factory, tmp_path):  # type: ignore[no-untyped-def]
    scan = make_scan(NOTE, tmp_path / "scan.png", dpi=200)
    fax = make_multipage_tiff(["Page one: hypertension.", "Page two: diabetes."],
                              tmp_path / "fax.tif")  # fmt: skip
    report = process_files(factory, settings, [scan, fax])
    assert {o.status for o in report.outcomes.values()} == {DocumentStatus.STAGED}
    for path, pages, word in ((scan, 1, "lisinopril"), (fax, 2, "diabetes")):
        archived = _stored(factory, report.document_ids[path])
        copy = copy_path(archived)
        assert copy.name == archived.name + ".pdfa.pdf" and copy.is_file()
        assert b"pdfaid" in copy.read_bytes()  # PDF/A identification metadata
        pdf = pdfium.PdfDocument(str(copy))
        try:
            assert len(pdf) == pages
            text = " ".join(pdf[i].get_textpage().get_text_bounded() for i in range(pages))
        finally:
            pdf.close()
        assert word in text


def test_pdfa_copies_can_be_turned_off(settings, factory, tmp_path):  # type: ignore[no-untyped-def]
    scan = make_scan(NOTE, tmp_path / "scan.png", dpi=150)
    report = process_files(factory, settings.with_(pdfa_copies=0), [scan])
    assert not copy_path(_stored(factory, report.document_ids[scan])).exists()


def test_pdfa_failure_is_only_a_warning(settings, factory, tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    from chartdrop.ingest import pdfa

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("ghostscript exploded")

    monkeypatch.setattr(pdfa, "make_pdfa_copy", broken)
    scan = make_scan(NOTE, tmp_path / "scan.png", dpi=150)
    report = process_files(factory, settings, [scan])
    assert [o.status for o in report.outcomes.values()] == [DocumentStatus.STAGED]


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("encrypted", "password-protected"),
        (b"%PDF-1.7\n" + bytes(range(256)) * 8, "damaged or not really a PDF"),
    ],
)
def test_locked_or_broken_pdf_is_quarantined(settings, factory, tmp_path, content, reason):  # type: ignore[no-untyped-def]
    path = tmp_path / "in.pdf"
    if content == "encrypted":
        make_encrypted_pdf(path)
    else:
        path.write_bytes(content)
    report = process_files(factory, settings, [path])
    [outcome] = report.outcomes.values()
    assert outcome.status == DocumentStatus.FAILED and reason in (outcome.error or "")
    quarantined = _stored(factory, outcome.document_id)
    assert quarantined.is_relative_to(settings.quarantine_dir)
    sidecar = json.loads(quarantined.with_name(quarantined.name + ".error.json").read_text())
    assert reason in sidecar["reason"]
