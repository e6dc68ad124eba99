"""Documentation deficiencies a records technician must resolve. Messages are plain English
and never contain patient details (they end up in logs and work queues)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence

from .normalize import term_key
from .sections import CODED_SECTION, NOT_CODED_FROM
from .types import Deficiency, Field, Mention

MIN_WORDS = 5
_MISSING = {
    "date_of_birth": ("missing_date_of_birth", "No date of birth found."),
    "mrn": ("missing_mrn", "No medical record number found."),
    "provider": ("missing_provider", "No dictating or signing provider found."),
    "date_of_service": ("missing_date_of_service", "No date of service found."),
}


def _age_on(born: dt.date, day: dt.date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def _date(field: Field | None) -> dt.date | None:
    if field is None:
        return None
    try:
        return dt.date.fromisoformat(field.value)
    except ValueError:
        return None


UNSPECIFIC_PROBLEM = Deficiency(
    "unspecific_problem",
    "A problem is too unspecific to code; ask the provider for its type or site "
    "(see the problems list).",
)


def find_deficiencies(
    text: str,
    demographics: dict[str, Field | None],
    today: dt.date | None = None,
    problems: Sequence[Mention] = (),
) -> tuple[Deficiency, ...]:
    if len(re.findall(r"\w+", text)) < MIN_WORDS:
        # Nothing else is worth reporting about a blank or near-blank document.
        message = "The document has no usable text (blank or only a few words)."
        return (Deficiency("empty_text", message),)
    out: list[Deficiency] = []
    first, last = demographics.get("first_name"), demographics.get("last_name")
    if first is None and last is None:
        out.append(Deficiency("missing_patient_name", "No patient name found."))
    elif first is None or last is None:
        message = "Patient name is incomplete (first or last name not found)."
        out.append(Deficiency("missing_patient_name", message))
    for key, (code, message) in _MISSING.items():
        if demographics.get(key) is None:
            out.append(Deficiency(code, message))
    conflict = _age_dob_conflict(demographics, today or dt.date.today())
    if conflict:
        out.append(conflict)
    if _unspecific_problems(problems):
        out.append(UNSPECIFIC_PROBLEM)  # one entry per document; the flag is on each problem
    return tuple(out)


def _unspecific_problems(problems: Sequence[Mention]) -> list[Mention]:
    """Present problems too vague to code, where a coder codes from: the assessment and
    diagnoses when the note has them (not "the fracture was reduced" in an operative
    narrative), else anywhere but the sections no one codes from (NOT_CODED_FROM: "the mass
    was excised" in an operative narrative with no diagnosis header); less those that only
    refer back to a specific one in the same note ("the fracture" after "distal radius
    fracture")."""
    present = [p for p in problems if p.assertion == "present" and p.section not in NOT_CODED_FROM]
    if any(p.section == CODED_SECTION for p in problems):
        present = [p for p in present if p.section == CODED_SECTION]
    stated = [set(term_key(p.text).split()) for p in present if p.specific]
    return [
        p
        for p in present
        if not p.specific and not any(set(term_key(p.text).split()) <= words for words in stated)
    ]


def _age_dob_conflict(demographics: dict[str, Field | None], today: dt.date) -> Deficiency | None:
    born = _date(demographics.get("date_of_birth"))
    if born is None:
        return None
    service = _date(demographics.get("date_of_service"))
    reference = service or today
    if born > reference:
        return Deficiency(
            "conflicting_age_dob", "The date of birth is after the date of service (or today)."
        )
    age_field = demographics.get("age")
    if age_field is None or not age_field.value.isdigit():
        return None
    stated, computed = int(age_field.value), _age_on(born, reference)
    # Without a date of service the note may be older than today: allow the stated age to lag.
    ok = stated == computed if service else computed - 2 <= stated <= computed
    if ok:
        return None
    against = "the date of service" if service else "today's date"
    return Deficiency(
        "conflicting_age_dob",
        f"The stated age does not match the date of birth (checked against {against}).",
    )
