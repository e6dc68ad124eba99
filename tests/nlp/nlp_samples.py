"""Sample notes and helpers shared by the NLP tests (made up; no real patient)."""

from __future__ import annotations

from chartdrop.nlp.types import Mention

DICTATED = (
    "this is doctor alan grant dictating a progress note on patient maria lopez. "
    "date of birth march fourth nineteen fifty five. medical record number four four seven "
    "two one nine. she has hypertension. she denies chest pain."
)
TYPED = (
    "Patient: LOPEZ, MARIA  DOB: 03/04/1955  MRN: 447219\n"
    "Date of service: 11/20/2026\n"
    "Dictated by: Dr. Alan Grant\n\n"
    "HISTORY OF PRESENT ILLNESS: Ms. Lopez is a 71-year-old woman with hypertension who "
    "denies chest pain.\n"
)


def find(mentions: tuple[Mention, ...], text: str) -> Mention:
    """The first mention whose text is `text` (case-insensitive)."""
    for mention in mentions:
        if mention.text.lower() == text.lower():
            return mention
    raise AssertionError(f"no mention {text!r} in {[m.text for m in mentions]}")
