"""A problem extended over the specifiers after it, within its category (nlp/specifiers.py)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from chartdrop.nlp.types import Extraction


@pytest.mark.parametrize(
    ("phrase", "code"),
    [
        ("Chronic kidney disease stage 3a", "N18.31"),
        ("Diabetes mellitus type 2 with diabetic nephropathy", "E11.21"),
        ("Major depressive disorder recurrent severe without psychotic features", "F33.2"),
        ("Leukemia in remission", "C95.91"),
        ("Respiratory failure with hypoxemia", "J96.91"),
        ("Major depressive disorder, single episode, moderate", "F32.1"),  # dictated commas
        ("Lumbar spinal stenosis with neurogenic claudication", "M48.062"),
        # The type moves the category: unstated, diabetes is type 2 (E11).
        ("Diabetes mellitus, type 1", "E10.9"),
        ("Diabetes mellitus type I, uncontrolled", "E10.65"),
        # An acuity moves the category too: acute and chronic forms are filed apart.
        ("Renal failure, acute", "N17.9"),
        ("Bronchitis, acute", "J20.9"),
    ],
)
def test_specifiers_after_a_problem_code_it(
    extract: Callable[[str], Extraction], phrase: str, code: str
) -> None:
    (problem,) = extract(f"ASSESSMENT: {phrase}.").problems
    assert problem.text == phrase
    assert problem.icd10cm[0].code == code
    # A negation inside the name ("without psychotic features") is not the problem's.
    assert problem.assertion == "present"


def test_a_longer_text_coding_another_condition_is_not_taken(
    extract: Callable[[str], Extraction],
) -> None:
    # Q54.4, congenital chordee, is "chordee without hypospadias": the hypospadias stays.
    codes = {
        p.text: p.icd10cm[0].code for p in extract("ASSESSMENT: Hypospadias with chordee.").problems
    }
    assert codes.get("Hypospadias") == "Q54.9"
    # An "Other ..." code names a type the words did not (M81.8): the default M81.0 stays.
    text = "ASSESSMENT: Osteoporosis without current pathological fracture."
    assert extract(text).problems[0].icd10cm[0].code == "M81.0"
    # Another category (I12.9, hypertensive CKD) is not the text's: the combination is made
    # across the note's problems (combinations.py), and CKD stays coded beside it.
    codes = {
        p.text: p.icd10cm[0].code for p in extract("ASSESSMENT: Hypertension with CKD.").problems
    }
    assert codes == {"Hypertension": "I12.9", "CKD": "N18.9"}


def test_a_list_of_conditions_stays_a_list(extract: Callable[[str], Extraction]) -> None:
    text = "DIAGNOSES: Right femur fracture, right femoral neck fracture."
    assert len(extract(text).problems) == 2


@pytest.mark.parametrize(
    ("text", "mention", "code"),
    [
        # A stage closing a numbered entry ("III." one token): the stage, not "stage" alone
        # (which ranked stage 1, N18.1).
        (
            "IMPRESSION:,1. Diabetes.,2.  Chronic kidney disease, stage III.,3.  Gout.",
            "Chronic kidney disease, stage III",
            "N18.30",
        ),
        # "acute" after a comma is the next entry's, not the DVT's (I82.629, upper limb).
        ("EXTREMITIES: No evidence of DVT, acute arthritis, cellulitis.", "DVT", "I82.409"),
    ],
)
def test_dictated_lists_keep_their_entries(
    extract: Callable[[str], Extraction], text: str, mention: str, code: str
) -> None:
    problem = next(p for p in extract(text).problems if p.text.startswith(mention[:5]))
    assert (problem.text, problem.icd10cm[0].code) == (mention, code)


def test_ordinary_words_after_a_problem_change_nothing(
    extract: Callable[[str], Extraction],
) -> None:
    (problem,) = extract("She has chronic kidney disease and sees nephrology.").problems
    assert problem.text == "chronic kidney disease"
    assert problem.icd10cm[0].code == "N18.9"


def test_a_negation_the_code_does_not_name_still_negates(
    extract: Callable[[str], Extraction],
) -> None:
    text = "The pelvic exam shows external genitalia without abnormalities or lesions."
    assert {p.assertion for p in extract(text).problems} == {"negated"}


def test_a_negated_name_with_without_stays_negated(extract: Callable[[str], Extraction]) -> None:
    (problem,) = extract("She denies migraine without aura.").problems
    assert problem.assertion == "negated"
    (problem,) = extract("ASSESSMENT: Migraine without aura.").problems
    assert problem.assertion == "present"
