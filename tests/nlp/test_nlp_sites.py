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


@pytest.mark.parametrize(
    ("text", "mention", "code"),
    [
        ("CT showed bone metastases.", "bone metastases", "C79.51"),
        ("DIAGNOSIS: Metastatic carcinoma of the bladder.", "Metastatic carcinoma of the bladder",
         "C79.11"),
        ("Prostate cancer with metastatic disease to his bladder.",
         "metastatic disease to his bladder", "C79.11"),
    ],
)  # fmt: skip
def test_a_metastasis_takes_in_its_site(
    extract: Callable[[str], Extraction], text: str, mention: str, code: str
) -> None:
    # "metastatic disease" alone is codable (C79.9, no site); the site beside it is what a
    # coder codes, "to" a site as well as "of" one.
    result = extract(text)
    (problem,) = [p for p in result.problems if "metasta" in p.text.lower()]
    assert text[problem.start : problem.end] == mention
    assert problem.icd10cm[0].code == code


def test_a_metastasis_with_no_site_beside_it_stays_as_found(
    extract: Callable[[str], Extraction],
) -> None:
    result = extract("Distant metastasis was not seen.")
    (problem,) = result.problems
    assert problem.text == "Distant metastasis"
    assert problem.icd10cm[0].code == "C79.9"
    assert problem.assertion == "negated"


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


@pytest.mark.parametrize(
    ("text", "mention", "code"),
    [
        ("IMPRESSION: Subglottic stenosis.", "Subglottic stenosis", "J38.6"),
        ("Bronchoscopy showed tracheal stenosis.", "tracheal stenosis", "J39.8"),
        ("POSTOPERATIVE DIAGNOSIS: Right renal mass.", "renal mass", "N28.89"),
        ("IMPRESSION: Esophageal stricture.", "Esophageal stricture", "K22.2"),
        # What is said of the site after it (-ed, -ly, -ing) is not part of the site.
        (
            "IMPRESSION: Mild stenosis of the right internal carotid artery measured at 20%.",
            "stenosis of the right internal carotid artery",
            "I65.21",
        ),
        (
            "Duplex showed occlusion of the left internal carotid artery.",
            "occlusion of the left internal carotid artery",
            "I65.22",
        ),
    ],
)
def test_a_stenosis_mass_or_stricture_takes_in_its_site(
    extract: Callable[[str], Extraction], text: str, mention: str, code: str
) -> None:
    (problem,) = extract(text).problems
    assert text[problem.start : problem.end] == mention
    assert problem.icd10cm[0].code == code


def test_a_vessel_is_not_a_site_to_code_a_stenosis_by(
    extract: Callable[[str], Extraction],
) -> None:
    # "mid vessel stenosis" of a coronary artery is not I28.8, a disease of pulmonary vessels
    (problem,) = extract("Right coronary 70% mid vessel stenosis.").problems
    assert problem.text == "stenosis"
    assert not problem.specific


def test_an_outflow_tract_is_not_a_urinary_tract(extract: Callable[[str], Extraction]) -> None:
    # "obstruction" is not widened: "tract obstruction" was coded N13.9, urinary
    (problem,) = extract("Mild right ventricle outflow tract obstruction.").problems
    assert problem.text == "obstruction" and not problem.specific


@pytest.mark.parametrize(
    ("text", "mention", "code"),
    [
        ("DIAGNOSIS: Herniated nucleus pulposus, C5-C6 with myelopathy.",
         "Herniated nucleus pulposus, C5-C6", "M50.222"),
        ("Degenerative disk disease at L4-L5.", "Degenerative disk disease at L4-L5", "M51.369"),
        ("MRI showed a disc herniation at L5-S1.", "disc herniation at L5-S1", "M51.27"),
        ("Spinal stenosis at L4-5.", "Spinal stenosis at L4-5", "M48.061"),
        # the level that ends a sentence is one token with its full stop ("C6.", "4.")
        ("DIAGNOSIS: Herniated nucleus pulposus, C3-4.,PLAN: Surgery.",
         "Herniated nucleus pulposus, C3-4", "M50.21"),
    ],
)  # fmt: skip
def test_a_spine_problem_takes_in_its_level(
    extract: Callable[[str], Extraction], text: str, mention: str, code: str
) -> None:
    # The level is the site: it gives the region (lumbosacral M51.27, not lumbar M51.26) and,
    # for a cervical disc, the level's own code.
    problem = extract(text).problems[0]
    assert text[problem.start : problem.end] == mention
    assert problem.icd10cm[0].code == code


def test_a_list_of_spinal_levels_is_no_problem(extract: Callable[[str], Extraction]) -> None:
    texts = [p.text for p in extract("IMPRESSION: Disk protrusions, C5-C6 and C6-C7.").problems]
    assert "C5-C6 and C6-C7" not in texts


@pytest.mark.parametrize(
    ("text", "mention", "code"),
    [
        (
            "ASSESSMENT: Cellulitis of the right lower extremity.",
            "Cellulitis of the right lower extremity",
            "L03.115",
        ),
        ("DIAGNOSIS: Dental abscess.", "Dental abscess", "K04.7"),
        ("ASSESSMENT: Osteoarthritis of the left hip.", "Osteoarthritis of the left hip", "M16.12"),
    ],
)
def test_cellulitis_abscess_and_arthritis_take_in_their_site(
    extract: Callable[[str], Extraction], text: str, mention: str, code: str
) -> None:
    # Alone they code to no site (L03.90, L02.91 a cutaneous abscess, M19.90).
    (problem,) = extract(text).problems
    assert problem.text == mention
    assert problem.icd10cm[0].code == code


def test_a_site_word_is_no_site(extract: Callable[[str], Extraction]) -> None:
    (problem,) = extract("ASSESSMENT: Port site cellulitis.").problems
    assert problem.icd10cm[0].code != "L03.818"  # cellulitis of other sites


@pytest.mark.parametrize(
    ("text", "mention", "code"),
    [
        ("IMPRESSION: Right breast mass.", "Right breast mass", "N63.10"),
        ("Mammogram showed a mass in the left breast.", "mass in the left breast", "N63.20"),
        ("ASSESSMENT: Left breast lump.", "Left breast lump", "N63.20"),
    ],
)
def test_a_breast_mass_is_coded_to_its_side(
    extract: Callable[[str], Extraction], text: str, mention: str, code: str
) -> None:
    (problem,) = extract(text).problems
    assert text[problem.start : problem.end] == mention
    assert problem.icd10cm[0].code == code


def test_a_count_is_no_site(extract: Callable[[str], Extraction]) -> None:
    (problem,) = extract("Multiple nodules were appreciated.").problems
    assert problem.text == "nodules" and not problem.icd10cm  # not M06.39, rheumatoid
