from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from chartdrop.nlp.deficiencies import find_deficiencies
from chartdrop.nlp.types import DEMOGRAPHIC_FIELDS, Extraction, Field, Mention
from tests.nlp.nlp_samples import DICTATED, TYPED

TEXT = "A note with enough words to be a real document."


def demo(**values: str) -> dict[str, Field | None]:
    out: dict[str, Field | None] = dict.fromkeys(DEMOGRAPHIC_FIELDS)
    for key, value in values.items():
        out[key] = Field(value, 0, 1, 0.9)
    return out


COMPLETE = {
    "first_name": "Maria", "last_name": "Lopez", "date_of_birth": "1955-03-04",
    "mrn": "447219", "provider": "Dr. Alan Grant", "date_of_service": "2026-11-20",
}  # fmt: skip


def codes(deficiencies: tuple) -> list[str]:
    return [d.code for d in deficiencies]


def test_complete_note_has_none() -> None:
    assert find_deficiencies(TEXT, demo(**COMPLETE, age="71")) == ()


@pytest.mark.parametrize(
    ("missing", "code"),
    [
        ("date_of_birth", "missing_date_of_birth"),
        ("mrn", "missing_mrn"),
        ("provider", "missing_provider"),
        ("date_of_service", "missing_date_of_service"),
        ("first_name", "missing_patient_name"),
        ("last_name", "missing_patient_name"),
    ],
)
def test_each_missing_field(missing: str, code: str) -> None:
    values = {k: v for k, v in COMPLETE.items() if k != missing}
    assert codes(find_deficiencies(TEXT, demo(**values))) == [code]


@pytest.mark.parametrize("text", ["", "   \n ", "thanks", "see attached page"])
def test_empty_text(text: str) -> None:
    assert codes(find_deficiencies(text, demo())) == ["empty_text"]


def test_age_conflicts_with_dob_at_date_of_service() -> None:
    assert codes(find_deficiencies(TEXT, demo(**COMPLETE, age="67"))) == ["conflicting_age_dob"]
    assert find_deficiencies(TEXT, demo(**COMPLETE, age="71")) == ()


def test_age_against_today_without_date_of_service() -> None:
    values = {k: v for k, v in COMPLETE.items() if k != "date_of_service"}
    today = dt.date(2026, 11, 23)
    ok = find_deficiencies(TEXT, demo(**values, age="71"), today=today)
    assert codes(ok) == ["missing_date_of_service"]
    bad = find_deficiencies(TEXT, demo(**values, age="50"), today=today)
    assert "conflicting_age_dob" in codes(bad)


def test_dob_after_service_is_a_conflict() -> None:
    values = dict(COMPLETE, date_of_birth="2027-01-01")
    assert codes(find_deficiencies(TEXT, demo(**values))) == ["conflicting_age_dob"]


def test_messages_carry_no_patient_details(extract: Callable[[str], Extraction]) -> None:
    for text in (DICTATED, TYPED, "Patient: Zed Quill. Age 30. DOB 01/02/1950."):
        for deficiency in extract(text).deficiencies:
            for detail in ("maria", "lopez", "zed", "quill", "1950", "1955", "447219", "grant"):
                assert detail not in deficiency.message.lower()


def test_dictated_note_deficiencies(extract: Callable[[str], Extraction]) -> None:
    assert codes(extract(DICTATED).deficiencies) == ["missing_date_of_service"]
    assert extract(TYPED).deficiencies == ()


def test_an_operative_narrative_raises_no_unspecific_problem(
    extract: Callable[[str], Extraction],
) -> None:
    narrative = "DESCRIPTION OF PROCEDURE: The mass was excised and the lesion cauterized."
    found = extract(narrative)
    assert {p.text for p in found.problems if not p.specific} == {"mass", "lesion"}
    assert "unspecific_problem" not in codes(found.deficiencies)
    assert "unspecific_problem" in codes(
        extract(f"INDICATIONS: A mass in the abdomen.,{narrative}").deficiencies
    )


AP = "assessment_and_plan"


def _problem(text: str, section: str | None, specific: bool, assertion: str = "present") -> Mention:
    return Mention(text, 0, len(text), assertion, section=section, specific=specific)


@pytest.mark.parametrize(
    ("problems", "flagged"),
    [
        # Coders code from the assessment and diagnoses: a vague word in a narrative is not
        # a query to the physician when the assessment is specific...
        ([("fracture", "procedure", False), ("hip fracture", AP, True)], False),
        # ...but it is when the assessment itself is vague,
        ([("mass", AP, False), ("cellulitis", "physical_exam", True)], True),
        # or when the note has no assessment at all.
        ([("infection", "history_of_present_illness", False)], True),
        # "the fracture" refers back to a specific fracture in the same section.
        ([("fracture", AP, False), ("hip fracture", AP, True)], False),
        # A negated vague problem is nothing to ask about.
        ([("infection", AP, False, "negated")], False),
        # No one codes from an operative narrative or a medication list ("the skin was
        # infiltrated with Xylocaine"), even in a note without an assessment...
        ([("infiltrated", "procedure", False), ("rash", "medications", False)], False),
        # ...but a procedure's indications are what it is coded by.
        ([("fracture", "indications", False)], True),
    ],
)  # fmt: skip
def test_unspecific_problem_is_asked_where_coders_code(problems: list, flagged: bool) -> None:
    mentions = [_problem(*p) for p in problems]
    found = codes(find_deficiencies(TEXT, demo(**COMPLETE, age="71"), problems=mentions))
    assert ("unspecific_problem" in found) is flagged
