"""The original behind a draft: the archived file itself (audio, for the player) and
its pages as PNG (scans, PDFs). Only files inside the archive are ever served."""

from __future__ import annotations

import io
import mimetypes
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, Response
from PIL import Image, ImageOps

from chartdrop.models import Role
from chartdrop.review import drafts as d
from chartdrop.review.web import CurrentUser, NotFound, factory_of, require, settings_of
from chartdrop.settings import Settings

router = APIRouter()
Viewer = Annotated[CurrentUser, Depends(require(Role.TECHNICIAN, Role.PHYSICIAN))]
AUDIO_TYPES = {".m4a": "audio/mp4", ".opus": "audio/ogg", ".webm": "audio/webm"}


def archived_file(settings: Settings, stored_path: str) -> Path:
    """The stored path, resolved, if it lies inside the archive and exists."""
    archive = settings.archive_dir.resolve()
    path = Path(stored_path).resolve()
    if not path.is_relative_to(archive) or not path.is_file():
        raise NotFound()
    return path


def _source(request: Request, draft_id: int, user: CurrentUser) -> tuple[Path, str | None]:
    with factory_of(request)() as db:
        draft = d.get_draft(db, draft_id, user)
        return archived_file(settings_of(request), draft.document.stored_path), draft.document.kind


@router.get("/drafts/{draft_id}/source")
def source_file(request: Request, draft_id: int, user: Viewer) -> Response:
    """The original file, inline and without its name (names may hold patient details)."""
    path, _kind = _source(request, draft_id, user)
    media = AUDIO_TYPES.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0]
    return FileResponse(
        path,
        media_type=media or "application/octet-stream",
        headers={"Content-Disposition": "inline"},
    )


@router.get("/drafts/{draft_id}/pages/{page}")
def page_image(request: Request, draft_id: int, page: int, user: Viewer) -> Response:
    """Page `page` (1-based) of a scan or PDF as PNG, in the pixels OCR saw, so the
    word boxes line up."""
    path, kind = _source(request, draft_id, user)
    settings = settings_of(request)
    if kind == "image":
        image = _image_page(path, page)
    elif kind == "pdf":
        image = _pdf_page(path, page, settings)
    else:
        raise NotFound()
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=False, compress_level=3)
    return Response(buffer.getvalue(), media_type="image/png")


def _image_page(path: Path, page: int) -> Image.Image:
    with Image.open(path) as image:
        try:
            image.seek(page - 1)
        except (EOFError, ValueError) as exc:
            raise NotFound() from exc
        frame = ImageOps.exif_transpose(image.copy())
    return frame if frame.mode in ("1", "L", "RGB") else frame.convert("RGB")


def _pdf_page(path: Path, page: int, settings: Settings) -> Image.Image:
    import pypdfium2 as pdfium

    from chartdrop.ingest.documents import PDFIUM_LOCK, _fitting_dpi

    with PDFIUM_LOCK:
        pdf = pdfium.PdfDocument(str(path))
        try:
            if not 1 <= page <= len(pdf):
                raise NotFound()
            pdf_page = pdf[page - 1]
            width_pt, height_pt = pdf_page.get_size()
            dpi = _fitting_dpi(
                width_pt, height_pt, settings.ocr_dpi, int(settings.max_image_megapixels * 1e6)
            )
            image = pdf_page.render(scale=dpi / 72).to_pil()
            pdf_page.close()
        finally:
            pdf.close()
    return image
