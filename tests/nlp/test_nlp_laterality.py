"""A stated side moves a problem to its sided ICD-10-CM code (nlp/laterality.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from chartdrop.nlp.types import Extraction


@pytest.fixture(scope="module")
def sides(nlp_data_dir: Path):  # type: ignore[no-untyped-def]
    from chartdrop.nlp.laterality import side_index

    return side_index()


@pytest.mark.parametrize(
    ("code", "side", "expected"),
    [
        ("C50.919", "left", "C50.912"),  # "... of unspecified female breast"
        ("S82.209A", "right", "S82.201A"),  # "... of shaft of unspecified tibia, initial ..."
        ("M25.569", "right", "M25.561"),  # "Pain in unspecified knee"
        ("H65.90", "bilateral", "H65.93"),  # "..., unspecified ear" -> "..., bilateral"
        ("C50.919", "bilateral", None),  # no bilateral breast code: left as it was
        ("I70.209", "left", None),  # "unspecified extremity": "left leg" is other wording
        ("I10", "left", None),
        ("L03.116", "right", "L03.115"),  # the other side's code, from a tie the ranker broke
    ],
)
def test_the_sided_sibling_is_the_code_book_s_own(sides, code: str, side: str, expected) -> None:  # type: ignore[no-untyped-def]
    from chartdrop.nlp.coding import load_codebook

    found = sides.sided(code, load_codebook().descriptions[code], side)
    assert (found.code if found else None) == expected


def test_unsided_is_the_side_unspecified_sibling(sides) -> None:  # type: ignore[no-untyped-def]
    assert sides.unsided("M25.561", "Pain in right knee") == "M25.569"
    assert sides.unsided("I10", "Essential (primary) hypertension") == "I10"


@pytest.mark.parametrize(
    ("text", "mention", "code"),
    [
        ("ASSESSMENT: Left breast cancer.", "Left breast cancer", "C50.912"),
        ("DIAGNOSIS: Right tibial shaft fracture.", "Right tibial shaft fracture", "S82.201A"),
        ("DIAGNOSIS: Fracture of the right tibia.", "Fracture of the right tibia", "S82.201A"),
        (
            "PREOPERATIVE DIAGNOSIS: Comminuted fracture of the distal radius, left.",
            "fracture of the distal radius, left",
            "S52.502A",
        ),
        ("IMPRESSION: Right ovarian cyst.", "Right ovarian cyst", "N83.201"),
        ("ASSESSMENT: Sciatica of right side.", "Sciatica of right side", "M54.31"),
        (
            "IMPRESSION: Carpal tunnel syndrome of the right wrist.",
            "Carpal tunnel syndrome of the right wrist",
            "G56.01",
        ),
        ("IMPRESSION: Otitis media of the left ear.", "Otitis media of the left ear", "H66.92"),
        ("DIAGNOSIS: Hallux rigidus, left foot.", "Hallux rigidus, left foot", "M20.22"),
        (
            "PREOPERATIVE DIAGNOSIS: Left medial compartment osteoarthritis of the knee.",
            "Left medial compartment osteoarthritis of the knee",
            "M17.12",
        ),
        (
            "IMPRESSION: Non-small cell lung cancer of the right upper lobe.",
            "lung cancer of the right upper lobe",
            "C34.11",
        ),
        # M17.9 ranks first and names no side; M17.10, second, has M17.11.
        (
            "IMPRESSION: Osteoarthritis of the right knee.",
            "Osteoarthritis of the right knee",
            "M17.11",
        ),
        (
            "DIAGNOSIS: Bilateral vesicoureteral reflux.",
            "vesicoureteral reflux",
            "N13.70",
        ),
    ],
)
def test_a_stated_side_codes_the_side(
    extract: Callable[[str], Extraction], text: str, mention: str, code: str
) -> None:
    (problem,) = extract(text).problems
    assert text[problem.start : problem.end] == mention == problem.text
    assert problem.icd10cm[0].code == code


def test_no_side_or_both_sides_leave_the_code(extract: Callable[[str], Extraction]) -> None:
    (problem,) = extract("IMPRESSION: Ovarian cyst.").problems
    assert problem.icd10cm[0].code == "N83.209"
    codes = {p.icd10cm[0].code for p in extract("She has right and left ovarian cysts.").problems}
    assert not codes & {"N83.201", "N83.202"}


def test_a_side_stated_once_charts_the_problem_once(extract: Callable[[str], Extraction]) -> None:
    text = (
        "PREOPERATIVE DIAGNOSIS: Rotator cuff tear, left. PROCEDURE: Arthroscopic repair. "
        "The rotator cuff tear was identified and repaired."
    )
    charted = [p.icd10cm[0].code for p in extract(text).problems if p.charted]
    assert charted == ["M75.102"]
    both = "ASSESSMENT: Right knee pain. Left knee pain."
    assert [p.icd10cm[0].code for p in extract(both).problems if p.charted] == [
        "M25.561",
        "M25.562",
    ]


def test_suggest_codes_moves_a_curated_term_to_its_side(nlp_data_dir: Path) -> None:
    from chartdrop.nlp.coding import suggest_codes

    # Ranked whole, the phrase met left carpal tunnel syndrome (G56.02) first.
    assert suggest_codes("left cubital tunnel syndrome", k=1)[0].code == "G56.22"
    assert suggest_codes("right tibia fracture", k=1)[0].code == "S82.201A"


def test_a_list_of_injuries_keeps_each_side_to_itself(
    extract: Callable[[str], Extraction],
) -> None:
    text = "She sustained a right open ankle fracture, left femur fracture, right open knee."
    problems = {p.text: p.icd10cm[0].code for p in extract(text).problems if p.icd10cm}
    assert problems.get("right open ankle fracture") == "S82.891B"
    assert problems.get("left femur fracture") == "S72.92XA"


def test_a_second_code_leads_only_for_a_site_the_text_names(
    extract: Callable[[str], Extraction],
) -> None:
    # D09.9 names no side; the second code, D09.20, would have led as D09.22, the left *eye*.
    text = "PREOPERATIVE DIAGNOSIS: Left breast ductal carcinoma in situ."
    (problem,) = extract(text).problems
    assert problem.icd10cm[0].code != "D09.22"
