"""Combination codes across a note's problems (nlp/combinations.py)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from chartdrop.nlp.types import Extraction


def _codes(extraction: Extraction) -> dict[str, str]:
    return {p.text: p.icd10cm[0].code for p in extraction.problems if p.charted}


@pytest.mark.parametrize(
    ("assessment", "codes"),
    [
        # Hypertension with chronic kidney disease and heart failure (I.C.9.a.1-3); the stage
        # and the type of failure stay coded beside it.
        (
            "1. Hypertension. 2. Chronic kidney disease stage 3.",
            {"Hypertension": "I12.9", "Chronic kidney disease stage 3": "N18.30"},
        ),
        ("Hypertension. ESRD.", {"Hypertension": "I12.0", "ESRD": "N18.6"}),
        (
            "Hypertension. Congestive heart failure.",
            {"Hypertension": "I11.0", "Congestive heart failure": "I50.9"},
        ),
        (
            "1. HTN. 2. CHF. 3. CKD.",
            {"HTN": "I13.0", "CHF": "I50.9", "CKD": "N18.9"},
        ),
        # Hypertension with a heart condition other than failure (I51.4-I51.7, I51.89, I51.9)
        # is hypertensive heart disease too; with heart failure as well, the failure row wins.
        ("Hypertension. Cardiomegaly.", {"Hypertension": "I11.9", "Cardiomegaly": "I51.7"}),
        (
            "1. HTN. 2. LVH. 3. CKD stage 3.",
            {"HTN": "I13.10", "LVH": "I51.7", "CKD stage 3": "N18.30"},
        ),
        (
            "Hypertension. Cardiomegaly. Congestive heart failure.",
            {"Hypertension": "I11.0", "Cardiomegaly": "I51.7", "Congestive heart failure": "I50.9"},
        ),
        (
            "Hypertensive heart disease. Congestive heart failure.",
            {"Hypertensive heart disease": "I11.0", "Congestive heart failure": "I50.9"},
        ),
        # Diabetes "with" (I.A.15): the complication's code stays where the code book says to
        # code it as well (N18.-, L97.-).
        (
            "Type 2 diabetes. Chronic kidney disease stage 4.",
            {"Type 2 diabetes": "E11.22", "Chronic kidney disease stage 4": "N18.4"},
        ),
        (
            "Type 1 diabetes mellitus. Right foot ulcer.",
            {"Type 1 diabetes mellitus": "E10.621", "Right foot ulcer": "L97.519"},
        ),
        # ... and is replaced where the combination includes it.
        ("Diabetes mellitus. Peripheral neuropathy.", {"Peripheral neuropathy": "E11.42"}),
        ("Diabetes mellitus. Neuropathy.", {"Neuropathy": "E11.40"}),  # the index's default
        ("Type 2 diabetes. Mononeuropathy.", {"Mononeuropathy": "E11.41"}),
        # A named nerve's lesion is not presumed diabetic.
        (
            "Type 2 diabetes. Left ulnar neuropathy.",
            {"Type 2 diabetes": "E11.9", "Left ulnar neuropathy": "G56.22"},
        ),
        ("DM. PVD.", {"PVD": "E11.51"}),
        # "in" rows link a diabetes of the type however it is coded (E11.65 here), and the
        # combination of the linked problem is charted beside it.
        (
            "Diabetes mellitus type 2, uncontrolled. Hypoglycemic episodes. Retinopathy.",
            {
                "Diabetes mellitus type 2, uncontrolled": "E11.65",
                "Hypoglycemic episodes": "E11.649",
                "Retinopathy": "E11.319",
            },
        ),
        # Coronary atherosclerosis "with" angina; COPD with pneumonia, which is coded too.
        ("Coronary artery disease. Unstable angina.", {"Unstable angina": "I25.110"}),
        ("COPD. Pneumonia.", {"COPD": "J44.0", "Pneumonia": "J18.9"}),
    ],
)
def test_linked_conditions_take_the_combination_code(
    extract: Callable[[str], Extraction], assessment: str, codes: dict[str, str]
) -> None:
    assert _codes(extract(f"ASSESSMENT: {assessment}")) == codes


def test_the_conditions_own_codes_follow_the_combination(
    extract: Callable[[str], Extraction],
) -> None:
    # The technician can undo the link where the physician said the two are unrelated.
    problems = extract("ASSESSMENT: Hypertension. Chronic kidney disease.").problems
    assert [c.code for c in problems[0].icd10cm[:2]] == ["I12.9", "I10"]
    # Its confidence is no higher than either problem's.
    assert problems[0].icd10cm[0].score <= min(
        p.icd10cm[1 if i == 0 else 0].score for i, p in enumerate(problems)
    )


def test_a_condition_wholly_taken_into_a_combination_leaves_the_chart(
    extract: Callable[[str], Extraction],
) -> None:
    # E11.9 "without complications" would contradict E11.42; the diabetes stays shown, off
    # the chart, with its code.
    problems = extract("ASSESSMENT: Diabetes mellitus. Peripheral neuropathy.").problems
    diabetes = next(p for p in problems if p.text == "Diabetes mellitus")
    assert not diabetes.charted
    assert diabetes.icd10cm[0].code == "E11.9"
    # With a combination of its own it stays charted: E11.22, and E11.42 on the neuropathy.
    text = "ASSESSMENT: Diabetes mellitus. Peripheral neuropathy. CKD stage 3a."
    assert _codes(extract(text)) == {
        "Diabetes mellitus": "E11.22",
        "Peripheral neuropathy": "E11.42",
        "CKD stage 3a": "N18.31",
    }


def test_a_code_without_complications_leaves_the_chart_beside_one_of_them(
    extract: Callable[[str], Extraction],
) -> None:
    text = "ASSESSMENT: 1. Diabetes mellitus type 2. 2. Diabetic peripheral neuropathy."
    assert _codes(extract(text)) == {"Diabetic peripheral neuropathy": "E11.42"}


def test_an_age_related_cataract_is_not_presumed_diabetic(
    extract: Callable[[str], Extraction],
) -> None:
    # "Age-related" names the cause; only a cataract of no stated cause is linked (E11.36).
    assert _codes(extract("ASSESSMENT: Diabetes. Cataract.")) == {"Cataract": "E11.36"}
    codes = _codes(extract("ASSESSMENT: Diabetes. Nuclear sclerosis."))
    assert codes.get("Nuclear sclerosis", "").startswith("H25.1")


def test_several_complications_are_all_offered(extract: Callable[[str], Extraction]) -> None:
    problems = extract("ASSESSMENT: Diabetes. CKD. Gastroparesis.").problems
    assert [c.code for c in problems[0].icd10cm[:3]] == ["E11.22", "E11.43", "E11.9"]


@pytest.mark.parametrize(
    "text",
    [
        "ASSESSMENT: Hypertension. No chronic kidney disease.",  # negated
        "ASSESSMENT: Hypertension.\nFAMILY HISTORY: Mother had kidney failure and CKD.",
        "ASSESSMENT: Hypertension. Rule out congestive heart failure.",  # possible
        "ASSESSMENT: Hypertension. Acute kidney injury.",  # not chronic kidney disease
        "ASSESSMENT: COPD.\nPAST MEDICAL HISTORY: Pneumonia in 2019.",  # a past infection
    ],
)
def test_conditions_not_the_patients_own_are_not_linked(
    extract: Callable[[str], Extraction], text: str
) -> None:
    problems = extract(text).problems
    assert problems[0].icd10cm[0].code in ("I10", "J44.9")


def test_a_stated_stage_is_not_taken_into_the_combination(
    extract: Callable[[str], Extraction],
) -> None:
    # "with chronic kidney disease stage 3" stays its own problem: N18.30 is coded beside
    # E11.22, not taken into the diabetes' text.
    text = "ASSESSMENT: Diabetes mellitus type 2 with chronic kidney disease stage 3."
    codes = _codes(extract(text))
    assert codes["chronic kidney disease stage 3"] == "N18.30"
    assert "E11.22" in codes.values()


def test_an_untyped_diabetic_complication_takes_the_notes_type(
    extract: Callable[[str], Extraction],
) -> None:
    # Type 2 is the default only where no type is documented (I.C.4.a.2).
    text = "ASSESSMENT: 1. Type 1 diabetes mellitus. 2. Diabetic ketoacidosis."
    codes = _codes(extract(text))
    assert codes["Diabetic ketoacidosis"] == "E10.10"
    text = "ASSESSMENT: 1. Type 2 diabetes. 2. Diabetic ketoacidosis."
    assert _codes(extract(text))["Diabetic ketoacidosis"] == "E11.10"


@pytest.mark.parametrize(
    ("assessment", "problem", "first", "also"),
    [
        # "Use additional code": one phrase, two codes.
        ("Diabetic gastroparesis.", "Diabetic gastroparesis", "E11.43", ["K31.84"]),
        # A diabetes coded with one complication takes the code of another beside it.
        (
            "Type 2 diabetes mellitus, uncontrolled. Chronic kidney disease stage 2.",
            "Type 2 diabetes mellitus, uncontrolled",
            "E11.65",
            ["E11.22"],
        ),
        # Of several combinations, the first leads and the others are charted with it.
        ("Diabetes. CKD stage 3. Right foot ulcer.", "Diabetes", "E11.22", ["E11.621"]),
    ],
)
def test_codes_charted_together(
    extract: Callable[[str], Extraction], assessment: str, problem: str, first: str, also: list[str]
) -> None:
    (found,) = [p for p in extract(f"ASSESSMENT: {assessment}").problems if p.text == problem]
    assert found.icd10cm[0].code == first
    assert [c.code for c in found.also] == also


def test_an_additional_code_the_note_charts_itself_is_not_added_again(
    extract: Callable[[str], Extraction],
) -> None:
    problems = extract("ASSESSMENT: 1. Diabetic gastroparesis. 2. Gastroparesis.").problems
    assert all(not p.also for p in problems)
    # and a complication named "diabetic" does not take the patient's diabetes' links
    problems = extract("ASSESSMENT: Diabetic gastroparesis. CKD stage 2. Diabetes.").problems
    coded = {p.text: (p.icd10cm[0].code, [c.code for c in p.also]) for p in problems}
    assert coded["Diabetic gastroparesis"] == ("E11.43", ["K31.84"])


def test_a_code_is_charted_once_and_where_it_is_charted(
    extract: Callable[[str], Extraction],
) -> None:
    # A diabetes named in the medication list (not charted) does not take the CKD link from
    # the assessment's; a code another charted problem leads with is not added again.
    text = "MEDICATIONS: Metformin for diabetes.\nASSESSMENT: Diabetes, uncontrolled. CKD stage 3."
    charted = [p for p in extract(text).problems if p.charted]
    assert [(p.icd10cm[0].code, [c.code for c in p.also]) for p in charted] == [
        ("E11.65", ["E11.22"]),
        ("N18.30", []),
    ]
    text = "ASSESSMENT: 1. Diabetes mellitus. 2. Diabetes, uncontrolled. 3. CKD stage 3."
    codes = [c.code for p in extract(text).problems if p.charted for c in (p.icd10cm[0], *p.also)]
    assert sorted(codes) == ["E11.22", "E11.65", "N18.30"]
