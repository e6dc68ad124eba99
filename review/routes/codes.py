"""ICD-10-CM code search (JSON), for changing or adding a problem's code."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from chartdrop.models import Role
from chartdrop.review import codes
from chartdrop.review.web import CurrentUser, require

router = APIRouter()


class CodeQuery(BaseModel):
    q: str = Field(default="", max_length=100)


@router.post("/api/codes/search")
def search_codes(
    query: CodeQuery,
    user: Annotated[CurrentUser, Depends(require(Role.TECHNICIAN, csrf=True))],
) -> dict[str, list[dict[str, str]]]:
    """POST, not GET: search words stay out of URLs and access logs."""
    return {"results": codes.search(query.q)}
