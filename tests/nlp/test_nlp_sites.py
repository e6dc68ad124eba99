from __future__ import annotations

from collections.abc import Callable

import pytest

from chartdrop.nlp.types import Extraction


@pytest.mark.parametrize(
    ("text", "mention", "code"),
    [
        ("IMPRESSION: Bladder cancer. PLAN: TURBT.", "Bladder cancer", "C67.9"),
        ("DIAGNOSIS: Adenocarcinoma of the prostate.", "Adenocarcinoma of the prostate", "C61"),
        ("ASSESSMENT: Carcinoma of the left breast.", "Carcinoma of the left breast", "C50.912"),
    ],
)
def test_a_neoplasm_takes_in_the_site_beside_it(
    extract: Callable[[str], Extraction], text: str, mention: str, code: str
) -> None:
    # The mention model leaves the site out ("cancer"); alone that is C80.1 and too vague.
    result = extract(text)
    (problem,) = [
        p for p in result.problems if "cancer" in p.text.lower() or "carcinoma" in p.text.lower()
    ]
    assert text[problem.start : problem.end] == mention
    assert problem.icd10cm[0].code == code
    assert problem.specific
    assert "unspecific_problem" not in {d.code for d in result.deficiencies}


def test_a_site_is_not_cut_out_of_a_longer_phrase(extract: Callable[[str], Extraction]) -> None:
    # "of the head" of "head and neck" is C25.0, head of the pancreas.
    result = extract("ASSESSMENT: Squamous cell carcinoma of the head and neck.")
    assert all(c.code != "C25.0" for p in result.problems for c in p.icd10cm)


def test_only_neoplasms_are_widened(extract: Callable[[str], Extraction]) -> None:
    # "rupture of membranes" coded by the ranker is H18.339, Descemet's membrane.
    result = extract("IMPRESSION: Spontaneous rupture of membranes at 39 weeks.")
    assert all(c.code != "H18.339" for p in result.problems for c in p.icd10cm)


@pytest.mark.parametrize(
    ("text", "mention", "code"),
    [
        ("DIAGNOSIS: Nasal fracture.", "Nasal fracture", "S02.2XXA"),
        (
            "ASSESSMENT: Fracture of the right distal radius.",
            "Fracture of the right distal radius",
            "S52.501A",
        ),
    ],
)
def test_a_fracture_takes_in_the_site_beside_it(
    extract: Callable[[str], Extraction], text: str, mention: str, code: str
) -> None:
    result = extract(text)
    (problem,) = [p for p in result.problems if "fracture" in p.text.lower()]
    assert text[problem.start : problem.end] == mention
    assert problem.icd10cm[0].code == code
    assert problem.specific
