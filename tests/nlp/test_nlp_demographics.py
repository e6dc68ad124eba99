from __future__ import annotations

from collections.abc import Callable

import pytest

from chartdrop.nlp.demographics import extract_demographics
from chartdrop.nlp.types import DEMOGRAPHIC_FIELDS, Extraction, Field
from tests.nlp.nlp_samples import DICTATED, TYPED


def check_spans(text: str, demographics: dict[str, Field | None]) -> None:
    assert set(demographics) == set(DEMOGRAPHIC_FIELDS)
    for field in demographics.values():
        if field is not None:
            assert 0 <= field.start < field.end <= len(text)
            assert text[field.start : field.end].strip() == text[field.start : field.end]
            assert 0.0 < field.confidence <= 1.0


def value(demographics: dict[str, Field | None], key: str) -> str | None:
    field = demographics[key]
    return field.value if field else None


def test_dictated_note(extract: Callable[[str], Extraction]) -> None:
    demo = extract(DICTATED).demographics
    check_spans(DICTATED, demo)
    assert value(demo, "first_name").lower() == "maria"  # type: ignore[union-attr]
    assert value(demo, "last_name").lower() == "lopez"  # type: ignore[union-attr]
    assert value(demo, "date_of_birth") == "1955-03-04"
    assert value(demo, "mrn") == "447219"
    assert "grant" in value(demo, "provider").lower()  # type: ignore[union-attr]
    dob = demo["date_of_birth"]
    assert dob is not None
    assert DICTATED[dob.start : dob.end] == "march fourth nineteen fifty five"
    mrn = demo["mrn"]
    assert mrn is not None
    assert DICTATED[mrn.start : mrn.end] == "four four seven two one nine"
    first = demo["first_name"]
    assert first is not None and DICTATED[first.start : first.end] == "maria"


def test_typed_header(extract: Callable[[str], Extraction]) -> None:
    demo = extract(TYPED).demographics
    check_spans(TYPED, demo)
    assert value(demo, "first_name") == "Maria"
    assert value(demo, "last_name") == "Lopez"
    last = demo["last_name"]
    assert last is not None and TYPED[last.start : last.end] == "LOPEZ"
    assert value(demo, "date_of_birth") == "1955-03-04"
    assert value(demo, "mrn") == "447219"
    assert value(demo, "date_of_service") == "2026-11-20"
    assert value(demo, "provider") == "Dr. Alan Grant"
    assert value(demo, "age") == "71"
    assert value(demo, "sex") == "female"


@pytest.mark.parametrize(
    ("text", "first", "last"),
    [
        ("Patient: Maria Lopez\nDOB: 03/04/1955", "Maria", "Lopez"),
        ("Name: LOPEZ, MARIA\nMRN: 447219", "Maria", "Lopez"),
        ("Name: Lopez, Maria J\nSex: F", "Maria", "Lopez"),
        ("patient name maria lopez date of birth march 4th 1955", "Maria", "Lopez"),
        ("Patient name, Maria Lopez. Date of birth, March 4th, 1955.", "Maria", "Lopez"),
        ("this is doctor alan grant dictating on maria lopez", "Maria", "Lopez"),
        ("This is Dr. Grant dictating a consult for the patient Maria Lopez.", "Maria", "Lopez"),
        # Said without a label of its own, as Whisper writes a dictation
        ("Patient Maria Lopez, date of birth 03/04/1955, MRN 447219.", "Maria", "Lopez"),
        ("The patient, John Grant, is a 45-year-old male.", "John", "Grant"),
        ("Maria Lopez, DOB 03/04/1955.", "Maria", "Lopez"),
        ("Patient Nkechi Okonkwo-Abara, date of birth 03/04/1955.", "Nkechi", "Okonkwo-Abara"),
    ],
)
def test_patient_name_styles(text: str, first: str, last: str) -> None:
    demo = extract_demographics(text)
    check_spans(text, demo)
    assert value(demo, "first_name") == first
    assert value(demo, "last_name") == last


@pytest.mark.parametrize(
    "text",
    [
        "Physician name: Alan Grant. The patient is well developed.",
        "The patient is doing well and is being discharged home.",
        "Patient: 67-year-old male with chest pain.",
        # Title Case words after "patient" are no name: the word list knows them as words
        "Patient Education Materials were reviewed.",
        "Patient Denies Chest Pain.",
        "Dear Doctor Sample, date of birth unknown.",
    ],
)
def test_no_false_patient_name(text: str) -> None:
    demo = extract_demographics(text)
    assert demo["first_name"] is None
    assert demo["last_name"] is None


@pytest.mark.parametrize(
    ("text", "dob"),
    [
        ("DOB: 03/04/1955", "1955-03-04"),
        ("date of birth march fourth nineteen fifty five", "1955-03-04"),
        ("date of birth march 4th 1955", "1955-03-04"),
        ("date of birth 3 4 1955", "1955-03-04"),
        ("Date of Birth: 1955-03-04", "1955-03-04"),
        ("born on the fourth of march, nineteen fifty-five", "1955-03-04"),
    ],
)
def test_dob_styles(text: str, dob: str) -> None:
    demo = extract_demographics(text)
    check_spans(text, demo)
    assert value(demo, "date_of_birth") == dob


@pytest.mark.parametrize(
    ("text", "mrn"),
    [
        ("MRN 447219", "447219"),
        ("MRN: 447219", "447219"),
        ("MR#: 447219", "447219"),
        ("medical record number four four seven two one nine", "447219"),
        ("medical record number 447219", "447219"),
        ("medical record number 4 4 7 2 1 9", "447219"),
        ("Medical record number, four oh seven two one nine.", "407219"),
        ("medical record number is four four seven two one nine she is sixty seven years old",
         "447219"),
        ("Medical Record #: A-0047219", "A-0047219"),
    ],
)  # fmt: skip
def test_mrn_styles(text: str, mrn: str) -> None:
    demo = extract_demographics(text)
    check_spans(text, demo)
    assert value(demo, "mrn") == mrn


@pytest.mark.parametrize(
    ("text", "age", "sex"),
    [
        ("She is a 67-year-old woman.", "67", "female"),
        ("a sixty seven year old female", "67", "female"),
        ("A Sixty-Seven-Year-Old Female.", "67", "female"),
        ("67 yo M. Sex: Male", "67", "male"),
        ("This 23-year-old white female presents with allergies.", "23", "female"),
        ("Age: 45\nGender: F", "45", "female"),
        ("He is seventy two years of age.", "72", None),
        ("This is a 3-week-old baby boy transferred to rule out sepsis.", "3 weeks", "male"),
        ("A 1-month-old girl with fever.", "1 month", "female"),
        ("She is a six month old female.", "6 months", "female"),
        ("The patient is a 5-year, 8-month-old male.", "5", "male"),
        ("This 1-year-old child had a gastrostomy.", "1", None),
        ("The patient is a 3-1/2-year-old boy.", "3", "male"),
        ("The patient is a 1-month-26-day-old female.", "1 month", "female"),
        ("She is a very pleasant 31-year-old mother of two.", "31", None),
        # Abbreviated in capitals, handedness included (RHF: a right-handed female).
        ("HX: This 54 y/o RHF presented with weakness.", "54", "female"),
        ("This 44 y/o LHM presented with numbness.", "44", "male"),
        ("67 y/o F presents with cough.", "67", "female"),
    ],
)
def test_age_and_sex(text: str, age: str, sex: str | None) -> None:
    demo = extract_demographics(text)
    check_spans(text, demo)
    assert value(demo, "age") == age
    if sex:
        assert value(demo, "sex") == sex


@pytest.mark.parametrize(
    "text",
    [
        "Her 45-year-old son brought her in.",
        "Lives with mom and dad. Dad is a service manager; 4-year-old son, who is healthy.",
        "He has a 30-year-old sister with asthma and two 5-year-old daughters.",
    ],
)
def test_relative_age_is_not_the_patients(text: str) -> None:
    assert extract_demographics(text)["age"] is None


def test_infant_age_wins_over_a_siblings() -> None:
    text = "This is a 3-week-old baby boy. SOCIAL HISTORY: Lives with parents; 4-year-old son."
    assert value(extract_demographics(text), "age") == "3 weeks"


@pytest.mark.parametrize(
    "text",
    [
        "She has one child, a son, born on October 31, 2008.",
        "Her mother was born on 03/04/1931 and has diabetes.",
    ],
)
def test_relative_birth_date_is_not_the_patients(text: str) -> None:
    assert extract_demographics(text)["date_of_birth"] is None


@pytest.mark.parametrize(
    ("text", "provider"),
    [
        ("Dictated by: Dr. Alan Grant", "Dr. Alan Grant"),
        ("this is doctor alan grant dictating", "Dr. Alan Grant"),
        ("This is Alan Grant dictating a progress note.", "Alan Grant"),
        ("Electronically signed by: Alan Grant, MD", "Alan Grant, MD"),
        ("Attending physician: Dr. Ellie Sattler", "Dr. Ellie Sattler"),
        # dictated, no colon (Whisper: "..., dictating physician Dr. Alan Grant.")
        ("Date of service 11/02/2026, dictating physician Dr. Alan Grant.", "Dr. Alan Grant"),
        ("dictating physician doctor alan grant", "Dr. Alan Grant"),
        ("The attending physician is Dr. Ellie Sattler.", "Dr. Ellie Sattler"),
        ("dictating physician Alan Grant, MD", "Alan Grant, MD"),
        ("ATTENDING: Mary Jones, MD", "Mary Jones, MD"),
        # The referring physician is not the author; the label after it may be.
        ("REFERRING PHYSICIAN: Dr. Stone\nATTENDING PHYSICIAN: Dr. Lee Hart", "Dr. Lee Hart"),
    ],
)
def test_provider_styles(text: str, provider: str) -> None:
    demo = extract_demographics(text)
    check_spans(text, demo)
    assert value(demo, "provider") == provider


@pytest.mark.parametrize(
    ("text", "dos"),
    [
        ("Date of service: 11/20/2026", "2026-11-20"),
        ("DOS: 11/20/26", "2026-11-20"),
        ("date of service november twentieth twenty twenty six", "2026-11-20"),
        ("Date of Exam: 2026-11-20", "2026-11-20"),
        ("Dear Dr. Adams,\nI saw Mr. Williams today, 11/20/2026, for follow up.", "2026-11-20"),
        # A legacy note's two-digit year is not decades ahead.
        ("DATE OF SERVICE: 10/26/95", "1995-10-26"),
    ],
)
def test_date_of_service(text: str, dos: str) -> None:
    demo = extract_demographics(text)
    check_spans(text, demo)
    assert value(demo, "date_of_service") == dos


@pytest.mark.parametrize(
    "text",
    [
        "She was last seen on 5/2/2025 and was stable.",
        "Thereafter he was referred to X, who he saw on July 19, 2025.",
    ],
)
def test_an_earlier_visit_is_no_date_of_service(text: str) -> None:
    assert value(extract_demographics(text), "date_of_service") is None


def test_whisper_punctuation_and_capitals() -> None:
    text = (
        "This is Doctor Alan Grant, dictating on Maria Lopez. Date of birth, March 4th, 1955. "
        "Medical record number, 4, 4, 7, 2, 1, 9. She is a 67-year-old female."
    )
    demo = extract_demographics(text)
    check_spans(text, demo)
    assert (value(demo, "first_name"), value(demo, "last_name")) == ("Maria", "Lopez")
    assert value(demo, "date_of_birth") == "1955-03-04"
    assert value(demo, "mrn") == "447219"
    assert value(demo, "provider") == "Dr. Alan Grant"
    assert (value(demo, "age"), value(demo, "sex")) == ("67", "female")


def test_nothing_in_plain_text() -> None:
    demo = extract_demographics("The wound is healing well without signs of infection.")
    assert all(v is None for k, v in demo.items() if k != "sex")


def test_a_dictated_label_and_digits_tiny_en_mishears() -> None:
    # Whisper tiny.en on an espeak dictation of "date of birth March fourth nineteen fifty
    # five, medical record number four four seven two one nine".
    text = (
        "This is Dr. Alan Grant dictating on patient Maria Lopez, based on birth 03/04/1955, "
        "medical record number 447 to 19, assessment, diabetic gastroparesis."
    )
    demo = extract_demographics(text)
    check_spans(text, demo)
    assert value(demo, "date_of_birth") == "1955-03-04"
    assert value(demo, "mrn") == "447219"  # not a partial 447
    assert demo["mrn"] is not None and demo["mrn"].confidence < 0.9
    assert value(extract_demographics("Place of birth: Mexico."), "date_of_birth") is None
