"""The JSON a draft prints (`process --json`, `show --json`): one shape everywhere."""

from __future__ import annotations

from typing import Any

from chartdrop.models.entities import Document

DRAFT_KEYS = ("demographics", "problems", "procedures", "medications", "document_type")


def is_charted(problem: dict[str, Any]) -> bool:
    """Whether a draft's problem goes to the chart at approval: the NLP's proposal (`charted`
    false for a repeat of another problem, or a mention in a section a coder does not code
    from, such as an operative narrative) until the technician charts it. Drafts from before
    the proposal existed chart every problem."""
    return problem.get("charted") is not False


def document_view(document: Document, draft_document: Document | None = None) -> dict[str, Any]:
    """A document and its draft as the JSON contract. For a duplicate, pass the
    original as `draft_document`: its draft is the one that stands."""
    source = draft_document or document
    draft = source.draft
    transcript = source.transcript
    view: dict[str, Any] = {
        "draft_id": draft.id if draft else None,
        "status": document.status,
        "state": draft.state if draft else None,
        "error": document.error,
        "document": {
            "id": document.id,
            "sha256": document.sha256,
            "kind": source.kind,
            "source": document.original_name,
            "received_at": document.received_at.isoformat() if document.received_at else None,
            "stored_path": document.stored_path,
        },
        "text": transcript.text if transcript else None,
    }
    for key in DRAFT_KEYS:
        view[key] = getattr(draft, key) if draft else None
    view["deficiencies"] = draft.deficiencies if draft else []
    if draft is not None:
        view["review"] = {
            "reviewer": draft.reviewer,
            "reviewed_at": draft.reviewed_at.isoformat() if draft.reviewed_at else None,
            "reason": draft.reason,
            "patient_id": draft.patient_id,
        }
    return view
