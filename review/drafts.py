"""What the review desk shows of a draft, and the technician's edits to it. Edits keep
the evidence: a corrected field keeps its span and remembers the recognised value,
and corrected text goes to DraftEntry.text while Transcript.text stays as recognised."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from chartdrop.chart.matching import Candidate, match_candidates
from chartdrop.models import DraftEntry, DraftState, Role, User
from chartdrop.models.views import is_charted
from chartdrop.review import codes
from chartdrop.review.web import CurrentUser, NotFound

LOW_CONFIDENCE = 0.7
FIELDS = [
    ("first_name", "First name"),
    ("last_name", "Last name"),
    ("date_of_birth", "Date of birth"),
    ("sex", "Sex"),
    ("mrn", "MRN"),
    ("date_of_service", "Date of service"),
    ("provider", "Dictating provider"),
]
DATE_FIELDS = {"date_of_birth", "date_of_service"}
ASSERTIONS = ["present", "negated", "possible", "hypothetical", "historical", "family"]
# Deficiencies a technician's correction resolves: code -> (fields, message).
MISSING: dict[str, tuple[tuple[str, ...], str]] = {
    "missing_mrn": (("mrn",), "No medical record number found."),
    "missing_date_of_birth": (("date_of_birth",), "No date of birth found."),
    "missing_provider": (("provider",), "No dictating or signing provider found."),
    "missing_date_of_service": (("date_of_service",), "No date of service found."),
    "missing_patient_name": (("first_name", "last_name"), "No patient name found."),
}


class EditError(ValueError):
    """An edit the desk refuses (message for the technician)."""


def get_draft(db: Session, draft_id: int, user: CurrentUser) -> DraftEntry:
    """The draft, if this user may see it: technicians see all, physicians their own."""
    draft = db.get(DraftEntry, draft_id)
    if draft is None:
        raise NotFound()
    if user.role == Role.TECHNICIAN or (
        user.role == Role.PHYSICIAN and draft.physician_id == user.id
    ):
        return draft
    raise NotFound()


def pending(draft: DraftEntry) -> DraftEntry:
    if draft.state != DraftState.PENDING:
        raise EditError(f"This draft is already {draft.state}; it can no longer be edited.")
    return draft


def field_value(draft: DraftEntry, name: str) -> Any:
    field = (draft.demographics or {}).get(name)
    return field.get("value") if isinstance(field, dict) else None


def current_text(draft: DraftEntry) -> str:
    if draft.text is not None:
        return draft.text
    transcript = draft.document.transcript
    return transcript.text if transcript else ""


def recognition_confidence(draft: DraftEntry) -> float | None:
    """Mean word confidence of the recogniser (speech or OCR); None for text files."""
    transcript = draft.document.transcript
    values = [
        float(w["confidence"])
        for s in (transcript.segments if transcript else [])
        for w in (s.get("words") or [])
        if w.get("confidence") is not None
    ]
    return sum(values) / len(values) if values else None


def age_text(received: datetime | None) -> str:
    if received is None:
        return "?"
    if received.tzinfo is None:
        received = received.replace(tzinfo=UTC)
    minutes = int((datetime.now(UTC) - received).total_seconds() // 60)
    if minutes < 60:
        return f"{minutes} min"
    if minutes < 48 * 60:
        return f"{minutes // 60} h"
    return f"{minutes // 1440} d"


def source_view(draft: DraftEntry) -> dict[str, Any]:
    """Audio words (with times) or page word boxes, for the source pane."""
    transcript = draft.document.transcript
    lines: list[list[dict[str, Any]]] = []
    pages: dict[int, list[dict[str, Any]]] = {}
    segments = transcript.segments if transcript else []
    fixes = _fixes_by_word(segments)
    index = -1  # the document's word index, as corrections count it
    for segment in segments:
        line = []
        for word in segment.get("words") or []:
            index += 1
            conf = word.get("confidence")
            low = conf is not None and conf < LOW_CONFIDENCE
            if word.get("box") and word.get("page"):
                left, top, width, height = word["box"]
                pages.setdefault(int(word["page"]), []).append(
                    {"t": word["text"], "c": conf, "low": low, "b": [left, top, width, height]}
                )
            elif word.get("start") is not None:
                fix = fixes.get(index)
                line.append(
                    {
                        "text": word["text"],
                        "start": word["start"],
                        "end": word.get("end") or word["start"],
                        "conf": conf,
                        "low": low,
                        # An automatic correction covering this word: why, and (on its
                        # last word) what was written instead.
                        "fix": _fix_note(fix) if fix else None,
                        "fix_to": fix["replacement"] if fix and fix["last_word"] == index else None,
                    }
                )
        if line:
            lines.append(line)
    page_count = (transcript.pages if transcript else None) or (max(pages) if pages else 0)
    return {"lines": lines, "boxes": pages, "page_count": page_count}


def _fixes_by_word(segments: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    """Each corrected word's correction (a speech segment's `corrections`)."""
    out: dict[int, dict[str, Any]] = {}
    for segment in segments:
        for fix in segment.get("corrections") or []:
            for k in range(int(fix["first_word"]), int(fix["last_word"]) + 1):
                out[k] = fix
    return out


def _fix_note(fix: dict[str, Any]) -> str:
    return (
        f"heard \u201c{fix['original']}\u201d, written \u201c{fix['replacement']}\u201d "
        f"({fix['source']} correction, score {float(fix['score']):.2f})"
    )


def demographic_rows(draft: DraftEntry) -> list[dict[str, Any]]:
    rows = []
    for name, label in FIELDS:
        field = (draft.demographics or {}).get(name)
        field = field if isinstance(field, dict) else {}
        conf = field.get("confidence")
        rows.append(
            {
                "name": name,
                "label": label,
                "value": "" if field.get("value") is None else str(field.get("value")),
                "start": field.get("start"),
                "end": field.get("end"),
                "confidence": conf,
                "low": conf is not None and conf < LOW_CONFIDENCE,
                "edited_by": field.get("edited_by"),
                "recognised": field.get("recognised"),
            }
        )
    return rows


def patient_candidates(db: Session, draft: DraftEntry) -> list[Candidate]:
    """Existing patients this draft may be about, ranked by chart.matching (same MRN,
    or name, date of birth and sex compared fuzzily), each with its score and reasons."""
    return match_candidates(db, draft.demographics or {})[:10]


def physicians(db: Session) -> list[User]:
    return list(
        db.scalars(
            select(User)
            .where(User.role == Role.PHYSICIAN, User.active.is_(True))
            .order_by(User.display_name)
        )
    )


def edit_demographics(draft: DraftEntry, values: dict[str, str], actor: str) -> list[str]:
    """Apply the technician's field values; returns the names of the fields changed."""
    demographics = dict(draft.demographics or {})
    changed = []
    for name, label in FIELDS:
        if name not in values:
            continue
        new = values[name].strip()
        if new and name in DATE_FIELDS:
            try:
                new = date.fromisoformat(new).isoformat()
            except ValueError as exc:
                raise EditError(f"{label}: write the date as YYYY-MM-DD.") from exc
        old_field = demographics.get(name) if isinstance(demographics.get(name), dict) else None
        old = None if old_field is None else old_field.get("value")
        if ("" if old is None else str(old)) == new:
            continue
        if not new:
            demographics[name] = None
        else:
            field = dict(old_field or {"start": None, "end": None})
            field.setdefault("recognised", old)
            field.update(value=new, confidence=1.0, edited_by=actor)
            demographics[name] = field
        changed.append(name)
    if changed:
        draft.demographics = demographics  # a new object, so the JSON column is saved
        _refresh_deficiencies(draft)
    return changed


def _refresh_deficiencies(draft: DraftEntry) -> None:
    present = {d.get("code") for d in draft.deficiencies or []}
    kept = []
    for deficiency in draft.deficiencies or []:
        rule = MISSING.get(deficiency.get("code"))
        if rule and all(field_value(draft, f) for f in rule[0]):
            continue  # resolved by the correction
        kept.append(deficiency)
    for code, (names, message) in MISSING.items():
        if code not in present and not all(field_value(draft, f) for f in names):
            kept.append({"code": code, "message": message})
    draft.deficiencies = kept


def _problem(draft: DraftEntry, index: int) -> dict[str, Any]:
    if not 0 <= index < len(draft.problems or []):
        raise EditError("There is no such problem on this draft.")
    return dict(draft.problems[index])


def set_problem_code(
    draft: DraftEntry, index: int, code: str, assertion: str | None, actor: str
) -> str:
    """Accept or change a problem's ICD-10-CM code (and optionally its assertion)."""
    problem = _problem(draft, index)
    dotted = codes.normalize(code)
    if dotted is None:
        raise EditError(f"{code.strip()[:16]} is not a billable ICD-10-CM code.")
    problem["selected"] = {"code": dotted, "description": codes.describe(dotted), "by": actor}
    if assertion:
        if assertion not in ASSERTIONS:
            raise EditError("Unknown assertion.")
        problem["assertion"] = assertion
    _put_problem(draft, index, problem)
    return dotted


def chart_problem(draft: DraftEntry, index: int, actor: str) -> None:
    """Move a problem the NLP proposed to leave off the chart onto it."""
    problem = _problem(draft, index)
    if is_charted(problem):
        raise EditError("That problem is charted already.")
    problem["charted"] = True
    problem["charted_by"] = actor
    _put_problem(draft, index, problem)


def drop_additional_code(draft: DraftEntry, index: int, code: str) -> None:
    """Take off one of the codes the NLP charts with a problem's first (its `also` list)."""
    problem = _problem(draft, index)
    also = list(problem.get("also") or [])
    kept = [c for c in also if c.get("code") != code]
    if len(kept) == len(also):
        raise EditError("That code is not charted with this problem.")
    problem["also"] = kept
    _put_problem(draft, index, problem)


def _put_problem(draft: DraftEntry, index: int, problem: dict[str, Any]) -> None:
    """Store an edited copy from _problem (a new list, so the JSON column sees the change)."""
    problems = list(draft.problems)
    problems[index] = problem
    draft.problems = problems


def remove_problem(draft: DraftEntry, index: int) -> None:
    _problem(draft, index)
    draft.problems = [p for i, p in enumerate(draft.problems) if i != index]


def add_problem(draft: DraftEntry, text: str, assertion: str, code: str, actor: str) -> None:
    text = text.strip()
    if not text:
        raise EditError("Name the problem.")
    if assertion not in ASSERTIONS:
        raise EditError("Unknown assertion.")
    problem: dict[str, Any] = {
        "text": text[:200],
        "start": None,
        "end": None,
        "assertion": assertion,
        "section": None,
        "confidence": 1.0,
        "icd10cm": [],
        "added_by": actor,
    }
    draft.problems = [*(draft.problems or []), problem]
    if code.strip():
        set_problem_code(draft, len(draft.problems) - 1, code, None, actor)


def confirm_problems(draft: DraftEntry, actor: str) -> None:
    """At approval: every charted problem is confirmed, with its chosen code or else its top
    suggestion. The others stay on the draft, as evidence, unconfirmed."""
    confirmed = []
    for problem in draft.problems or []:
        problem = dict(problem)
        if not is_charted(problem):
            confirmed.append(problem)
            continue
        if not problem.get("selected") and problem.get("icd10cm"):
            top = problem["icd10cm"][0]
            problem["selected"] = {
                "code": top["code"],
                "description": top.get("description"),
                "by": actor,
            }
        problem["confirmed"] = True
        confirmed.append(problem)
    draft.problems = confirmed
