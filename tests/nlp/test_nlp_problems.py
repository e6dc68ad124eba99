from __future__ import annotations

from collections.abc import Callable

import pytest

from chartdrop.nlp.types import Extraction
from tests.nlp.nlp_samples import DICTATED, TYPED, find


def test_dictated_problems(extract: Callable[[str], Extraction]) -> None:
    result = extract(DICTATED)
    htn = find(result.problems, "hypertension")
    assert htn.assertion == "present"
    assert htn.icd10cm[0].code == "I10"
    assert htn.icd10cm[0].description == "Essential (primary) hypertension"
    assert DICTATED[htn.start : htn.end] == "hypertension"
    pain = find(result.problems, "chest pain")
    assert pain.assertion == "negated"
    assert pain.icd10cm[0].code == "R07.9"
    assert DICTATED[pain.start : pain.end] == "chest pain"


def test_typed_problems(extract: Callable[[str], Extraction]) -> None:
    result = extract(TYPED)
    assert find(result.problems, "hypertension").icd10cm[0].code == "I10"
    pain = find(result.problems, "chest pain")
    assert (pain.assertion, pain.icd10cm[0].code) == ("negated", "R07.9")
    assert pain.section == "history_of_present_illness"


@pytest.mark.parametrize(
    ("text", "mention", "code"),
    [
        ("Assessment: high blood pressure.", "high blood pressure", "I10"),
        ("She has type 2 diabetes.", "type 2 diabetes", "E11.9"),
        ("She has type two diabetes.", "type two diabetes", "E11.9"),
        ("Diabetes mellitus type II, controlled.", "Diabetes mellitus type II", "E11.9"),
        ("History notable for DM2.", "DM2", "E11.9"),
        ("She has diabetes.", "diabetes", "E11.9"),
        ("Right lower lobe pneumonia.", "pneumonia", "J18.9"),
        ("Known COPD.", "COPD", "J44.9"),
        ("Admitted with COPD with acute exacerbation.", "COPD with acute exacerbation", "J44.1"),
        ("Worsening CHF.", "CHF", "I50.9"),
        ("Congestive heart failure.", "Congestive heart failure", "I50.9"),
        ("Complains of shortness of breath.", "shortness of breath", "R06.02"),
        ("New atrial fibrillation.", "atrial fibrillation", "I48.91"),
        ("Asthma since childhood.", "Asthma", "J45.909"),
        ("Headaches for a week.", "Headaches", "R51.9"),
        ("She has had fevers.", "fevers", "R50.9"),
        ("Dry cough.", "cough", "R05.9"),
        ("Mild nausea.", "nausea", "R11.0"),
        ("Chronic back pain.", "back pain", "M54.9"),
        ("2. Urinary hesitancy.", "Urinary hesitancy", "R39.11"),  # was uncoded
        # from the ICD-10-CM tabular index rather than the curated lexicon
        ("Ultrasound shows hydronephrosis.", "hydronephrosis", "N13.30"),
        ("Acute pyelonephritis.", "Acute pyelonephritis", "N10"),
        ("Chronic pyelonephritis.", "Chronic pyelonephritis", "N11.9"),
        # a bare term at its unspecified site, not "other site" (M65.98)
        ("Synovitis of unclear cause.", "Synovitis", "M65.90"),
        # a single gestation (7th character 0), not "other fetus" (O41.00X9)
        ("Ultrasound shows oligohydramnios.", "oligohydramnios", "O41.00X0"),
        ("Patchy sensory loss from L4 to S1.", "sensory loss", "R20.9"),  # not hearing loss
        ("Borderline central canal stenosis.", "central canal stenosis", "M48.00"),
        ("PREOP DIAGNOSIS: Pituitary tumor.", "Pituitary tumor", "D49.7"),  # no behaviour stated
        # not a code whose "without ..." clause names them (F30.10, N40.2)
        ("Denies psychotic symptoms.", "psychotic symptoms", "F29"),
        ("She has urinary symptoms.", "urinary symptoms", "R39.9"),
        # "Type I" is the name's, not a problem of its own (E72.4 was found for it)
        (
            "PREOPERATIVE DIAGNOSIS: Complex Regional Pain Syndrome Type I.",
            "Complex Regional Pain Syndrome Type I",
            "G90.50",
        ),
        ("Exam revealed an irregularly irregular rhythm.", "irregularly irregular rhythm", "I49.9"),
        # a named nerve's neuropathy is its lesion, with the side stated
        ("IMPRESSION: Severe left ulnar neuropathy.", "left ulnar neuropathy", "G56.22"),
    ],
)
def test_codes(extract: Callable[[str], Extraction], text: str, mention: str, code: str) -> None:
    problem = find(extract(text).problems, mention)
    assert problem.icd10cm[0].code == code
    assert text[problem.start : problem.end] == problem.text


def test_drug_classes_and_studies_are_named_and_markers_are_not_drugs(
    extract: Callable[[str], Extraction],
) -> None:
    result = extract(
        "She was started on a beta-blocker and corticosteroids after chemotherapy. "
        "Transthoracic echocardiography and coronary angiography were done; the tumour "
        "cells stained for cytokeratin and vimentin on histological examination."
    )
    meds = [(m.text, m.normalized) for m in result.medications]
    assert meds == [
        ("beta-blocker", "beta blocker"),
        ("corticosteroids", "corticosteroid"),
        ("chemotherapy", "chemotherapy"),
    ]
    procedures = [m.normalized for m in result.procedures]
    assert procedures == ["echocardiogram", "coronary angiogram", "histopathology"]


def test_a_word_with_a_procedure_ending_is_a_procedure(
    extract: Callable[[str], Extraction],
) -> None:
    result = extract(
        "Status post splenectomy and a median sternotomy. She was placed in the lithotomy "
        "position; the colostomies were patent. A dichotomy of views was discussed."
    )
    assert [m.normalized for m in result.procedures] == ["splenectomy", "sternotomy", "colostomy"]


@pytest.mark.parametrize(
    "text",
    [
        "The pain is better.",
        "No disease was found in the specimen.",
        "The left arm and the chest wall were prepped.",
        "She fell asleep in the chair.",
        "Physical exam is as follows.",
        # anatomy that the tabular list names as an inclusion term (Q25.49, Q79.8)
        "The aortic arch is unremarkable.",
        "There is no accessory muscle use.",
        "PROGRESS NOTE",  # a title line
        "TELEPHONE ENCOUNTER\nThe patient called.",
        "CONDITION ON DISCHARGE: Stable.",  # a discharge summary's header
    ],
)
def test_generic_words_are_not_problems(extract: Callable[[str], Extraction], text: str) -> None:
    assert extract(text).problems == ()


def test_longest_match_wins(extract: Callable[[str], Extraction]) -> None:
    problems = extract("Chronic obstructive pulmonary disease with acute exacerbation.").problems
    assert len(problems) == 1
    assert problems[0].icd10cm[0].code == "J44.1"


def test_suggestions_are_ranked_and_described(extract: Callable[[str], Extraction]) -> None:
    for problem in extract("Asthma, pneumonia, anemia and gout.").problems:
        scores = [s.score for s in problem.icd10cm]
        assert scores == sorted(scores, reverse=True)
        assert all(s.description for s in problem.icd10cm)


def test_medications_from_the_drug_dictionary(extract: Callable[[str], Extraction]) -> None:
    # Brand and generic names beyond the curated list (nlp/drug_names.py).
    text = (
        "He takes Neurontin and Aricept. The skin was infiltrated with Marcaine, and Versed "
        "2 mg was given. She was given Zosyn and Levaquin preop."
    )
    meds = [m.text for m in extract(text).medications]
    assert meds == ["Neurontin", "Aricept", "Marcaine", "Versed", "Zosyn", "Levaquin"]


@pytest.mark.parametrize(
    "text",
    [
        "Ferritin was low.",  # a laboratory test
        "Coban was applied to the dressing.",  # a bandage (the dictionary: monensin)
        "There are luminal irregularities.",  # (the dictionary: phenobarbital)
    ],
)
def test_drug_dictionary_words_used_otherwise(
    extract: Callable[[str], Extraction], text: str
) -> None:
    assert extract(text).medications == ()


def test_procedures_and_medications(extract: Callable[[str], Extraction]) -> None:
    result = extract(
        "Continue metformin 500 mg twice daily and Lisinopril. Takes baby aspirin. "
        "Echocardiogram and a CT scan of the chest were ordered; colonoscopy last year."
    )
    meds = {m.text.lower() for m in result.medications}
    assert {"metformin", "lisinopril", "baby aspirin"} <= meds
    procs = {m.text.lower() for m in result.procedures}
    assert {"echocardiogram", "ct scan", "colonoscopy"} <= procs
    for mention in result.medications + result.procedures:
        assert mention.icd10cm == ()


def test_model_span_loses_leading_negation() -> None:
    """A model span that took the negation in ("no extra-intestinal manifestations") is trimmed,
    so ConText can negate it; a span that is only negation words is dropped."""
    import spacy

    from chartdrop.nlp.problems import _trimmed

    doc = spacy.blank("en")("There had been no extra-intestinal manifestations .")
    trimmed = _trimmed(doc, doc[3:8])
    assert trimmed is not None
    assert trimmed.text == "extra-intestinal manifestations"
    assert _trimmed(doc, doc[3:4]) is None
    assert _trimmed(doc, doc[4:8]).text == "extra-intestinal manifestations"


def test_model_span_loses_edge_punctuation() -> None:
    import spacy

    from chartdrop.nlp.problems import _trimmed

    doc = spacy.blank("en")("Plan , severe headaches ; none .")
    assert _trimmed(doc, doc[1:5]).text == "severe headaches"
    assert _trimmed(doc, doc[5:7]).text == "none"
    assert _trimmed(doc, doc[4:5]) is None


def test_mtsamples_comma_breaks(extract: Callable[[str], Extraction]) -> None:
    """Section breaks written as commas ("DIAGNOSIS:,Acute appendicitis") neither hide the
    problem after them nor end up in a mention, and header labels are not problems."""
    text = (
        "POSTOPERATIVE DIAGNOSIS:,Acute appendicitis.,SHX: Denies tobacco.,EBL: Minimal."
        ",PLAN:,1.  Pneumonia, on antibiotics.,2,Follow up in clinic."
    )
    result = extract(text)
    assert find(result.problems, "Acute appendicitis").icd10cm[0].code.startswith("K35")
    assert find(result.problems, "Pneumonia").icd10cm[0].code == "J18.9"
    for problem in result.problems:
        assert problem.text[0].isalnum() and problem.text[-1].isalnum()
        assert problem.text.lower() not in {"shx", "ebl", "plan"}


@pytest.mark.parametrize(
    ("text", "mention", "code"),
    [
        ("Intubated for ARDS.", "ARDS", "J80"),
        ("Admitted with PNA.", "PNA", "J18.9"),
        ("N/V since this morning.", "N/V", "R11.2"),
        ("Complains of N/V.", "N/V", "R11.2"),
        ("Chronic LBP.", "LBP", "M54.50"),
    ],
)
def test_clinical_abbreviations(
    extract: Callable[[str], Extraction], text: str, mention: str, code: str
) -> None:
    assert find(extract(text).problems, mention).icd10cm[0].code == code


def test_a_patients_name_is_not_a_problem(extract: Callable[[str], Extraction]) -> None:
    """When the recogniser garbles the name label, the name finder cannot take the name, and
    the model tagged "Maria" (coded B54, malaria); a capitalised word followed by another
    inside a sentence is a person's name."""
    text = (
        "This is Dr. Alan Brandt, dictating the progress note. Patient A Maria Lopez. Date of"
        " birth 03/04/1955. She has congestive heart failure."
    )
    assert [p.text for p in extract(text).problems] == ["congestive heart failure"]


def test_weak_candidates_are_not_shown(extract: Callable[[str], Extraction]) -> None:
    """A model-only mention whose ICD-10-CM candidates only resemble its words ("distended":
    Q53.10, undescended testicle, 0.33) is kept uncoded and flagged unspecific."""
    from chartdrop.nlp.ranking import VAGUE_SCORE

    result = extract(
        "She is obese. Abdominal cramping since yesterday. Lungs: crackles at the bases."
        " The abdomen is distended."
    )
    distended = find(result.problems, "distended")
    assert distended.icd10cm == () and not distended.specific
    assert find(result.problems, "obese").icd10cm[0].code == "E66.9"
    assert find(result.problems, "cramping").icd10cm[0].code == "R25.2"
    assert find(result.problems, "crackles").icd10cm[0].code == "R09.89"
    assert all(c.score >= VAGUE_SCORE for p in result.problems for c in p.icd10cm)


@pytest.mark.parametrize(
    "text",
    [
        "VDRL and HIV testing was unremarkable.",
        "We are waiting for the hepatitis panel.",
        "He had a tetanus shot in 2002.",
        "4. DVT prophylaxis with subcutaneous heparin.",
        "CT chest per pulmonary embolism protocol.",
        "The patient received her first hepatitis A vaccine.",
        "His last tetanus booster was in 07/03.",
        "Prenatal labs were O positive, antibody negative, rubella immune.",
    ],
)
def test_a_test_vaccine_or_prophylaxis_names_no_problem(
    extract: Callable[[str], Extraction], text: str
) -> None:
    assert extract(text).problems == ()


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("RSV screen is positive.", ["RSV"]),
        ("Her HIV test came back positive.", ["HIV"]),
        ("Hepatitis C antibody reactive.", ["Hepatitis C"]),
        ("HIV test was negative.", []),
        ("HIV test was not positive.", []),
        ("Influenza A test was not detected.", []),
    ],
)
def test_a_positive_test_result_finds_the_problem(
    extract: Callable[[str], Extraction], text: str, found: list[str]
) -> None:
    # A test name is no problem, but its positive result is a finding of one.
    result = extract(text)
    assert [p.text for p in result.problems] == found
    assert all(p.assertion == "present" for p in result.problems)


def test_a_screening_encounter_is_coded_as_one(extract: Callable[[str], Extraction]) -> None:
    result = extract("PREOPERATIVE DIAGNOSIS: Colon cancer screening. She has asthma.")
    assert [(p.text, p.icd10cm[0].code) for p in result.problems] == [
        ("Colon cancer screening", "Z12.11"),  # not C18.9, colon cancer
        ("asthma", "J45.909"),
    ]


@pytest.mark.parametrize(
    ("text", "mention", "code"),
    [
        ("ASSESSMENT: Hepatitis C.", "Hepatitis C", "B19.20"),  # "C." is one token
        ("History of hepatitis B. No fever.", "hepatitis B", "B19.10"),
        ("Gastritis due to H. pylori.", "H. pylori", "B96.81"),
    ],
)
def test_a_letter_before_a_full_stop_is_a_word(
    extract: Callable[[str], Extraction], text: str, mention: str, code: str
) -> None:
    found = find(extract(text).problems, mention)
    assert found.text == mention and text[found.start : found.end] == mention
    assert found.icd10cm[0].code == code


def test_exam_phrases_and_dangling_words_are_no_problems(
    extract: Callable[[str], Extraction],
) -> None:
    result = extract("GENERAL: Well-developed male in no acute distress.")
    assert result.problems == ()
    # The model's span was "thickening of the".
    assert [p.text for p in extract("The MRI showed thickening of the.").problems] == ["thickening"]


@pytest.mark.parametrize(
    "text",
    [
        "Residual stenosis at C3-C4, C4-C5 and C6-C7.",  # the levels were M50.923 and such
        "SOCIAL HISTORY: Patient admits alcohol use.",  # F10.99 needs a related disorder
        "ENDOCRINE: No polyuria or polydipsia.",
    ],
)
def test_levels_social_use_and_labels_are_no_problems(
    extract: Callable[[str], Extraction], text: str
) -> None:
    found = {p.text.lower() for p in extract(text).problems}
    assert not found & {"c3-c4", "c4-c5", "c6-c7", "alcohol use", "endocrine"}


def test_a_herniated_disc_by_any_name(extract: Callable[[str], Extraction]) -> None:
    text = "POSTOPERATIVE DIAGNOSIS: Herniated nucleus pulposus of L5-S1 on the left."
    (problem,) = extract(text).problems
    # with its level, the lumbosacral disc's code (M51.27), not the lumbar default (M51.26)
    assert (problem.text, problem.icd10cm[0].code) == (
        "Herniated nucleus pulposus of L5-S1",
        "M51.27",
    )


@pytest.mark.parametrize(
    "text",
    [
        "Both testes were descended without hydroceles.",
        "The uvula was reflected onto the soft palate.",
        "Good color and capillary refill returned to the toes.",
        "Flaccid paraplegia in BLE.",
        "An excellent ultrasound image was obtained.",
        "The visualized paranasal sinuses and mastoid air cells are clear.",
        "On laparotomy, the uterus did have multiple pedunculated fibroids.",
        "Risks include bleeding, infection, stroke and death.",
        "EKG at rest showed sinus rhythm with no significant ST-T wave changes.",
        "IMPRESSION: No acute abnormalities. Patchy areas of low density in the white matter.",
        "Coord: ND. Sensory: decreased PP/VIB from feet. Ambulating with a walker.",
        "She has been n.p.o. since midnight.",  # one token with stops inside
    ],
)
def test_anatomy_and_exam_words_are_no_problems(
    extract: Callable[[str], Extraction], text: str
) -> None:
    words = {"descended", "uvula", "capillary refill", "ble", "image", "mastoid air", "uterus"}
    words |= {"death", "sinus rhythm", "acute abnormalities", "low density", "density"}
    words |= {"nd", "pp", "vib", "walker", "n.p.o"}
    assert not [p for p in extract(text).problems if p.text.lower() in words]


def test_a_procedure_is_a_procedure_not_a_problem(extract: Callable[[str], Extraction]) -> None:
    result = extract(
        "PROCEDURE PERFORMED: Laparoscopic right inguinal herniorrhaphy with mesh. "
        "Retrograde pyelograms were obtained. The FCR was retracted with a rongeur."
    )
    assert not result.problems
    assert {p.text.lower() for p in result.procedures} >= {
        "inguinal herniorrhaphy",
        "retrograde pyelograms",
    }


def test_past_psychiatric_history_is_a_history_section(
    extract: Callable[[str], Extraction],
) -> None:
    result = extract("PAST PSYCHIATRIC HISTORY: Schizophrenia.")
    assert [(p.text, p.assertion) for p in result.problems] == [("Schizophrenia", "historical")]


def test_an_abbreviation_the_note_defines_is_not_stoplisted(
    extract: Callable[[str], Extraction],
) -> None:
    # "ND" is exam shorthand (not done) unless the note defines it as a disease.
    assert not [p for p in extract("Coord: ND. Station: ND.").problems if p.text == "ND"]
    text = "Norrie disease (ND) is an X-linked disorder. ND affects boys."
    assert "ND" in [p.text for p in extract(text).problems]


def test_a_heart_valve_named_alone_is_no_problem(extract: Callable[[str], Extraction]) -> None:
    result = extract("Normal appearance of the tricuspid and mitral valves. Mitral valve prolapse.")
    assert [(p.text, p.icd10cm[0].code) for p in result.problems] == [
        ("Mitral valve prolapse", "I34.1")
    ]


@pytest.mark.parametrize(
    "text",
    [
        "He has a few slight red patches on his upper inner lip.",  # was C00.3, lip cancer
        "There is atelectasis in the lower lobe of the left lung.",
        "Inflammation again in the distal sigmoid colon and rectum was biopsied.",
    ],
)
def test_a_site_alone_is_no_problem(extract: Callable[[str], Extraction], text: str) -> None:
    for problem in extract(text).problems:
        assert not any(c.code.startswith("C") for c in problem.icd10cm), problem


def test_anatomy_words_come_from_the_code_book() -> None:
    from chartdrop.nlp.anatomy import names_only_anatomy
    from chartdrop.nlp.normalize import term_key

    assert names_only_anatomy(term_key("ascending colon"))
    assert names_only_anatomy(term_key("lower lobe of the left lung"))
    assert not names_only_anatomy(term_key("undescended testis"))
    assert not names_only_anatomy(term_key("enlarged prostate"))
    assert not names_only_anatomy(term_key("cleft lip"))
