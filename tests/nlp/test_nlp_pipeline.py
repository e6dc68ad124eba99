from __future__ import annotations

import json
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

import chartdrop.nlp as nlp
from chartdrop.nlp.coding import load_codebook
from chartdrop.nlp.pipeline import get_pipeline
from chartdrop.nlp.types import DEMOGRAPHIC_FIELDS, Extraction
from tests.nlp.nlp_samples import DICTATED, TYPED


def test_public_api() -> None:
    assert set(nlp.__all__) == {"Extraction", "extract", "extract_many", "warm_up"}
    assert nlp.Extraction is Extraction


def test_pipeline_is_built_once(extract: Callable[[str], Extraction]) -> None:
    assert get_pipeline() is get_pipeline()
    names = get_pipeline().pipe_names
    assert names[0] == "chartdrop_norms" and "medspacy_context" in names


def test_json_contract(extract: Callable[[str], Extraction]) -> None:
    data = json.loads(json.dumps(extract(DICTATED).to_dict()))
    assert list(data["demographics"]) == list(DEMOGRAPHIC_FIELDS)
    assert set(data) == {
        "demographics", "problems", "procedures", "medications", "document_type", "deficiencies",
    }  # fmt: skip
    assert data["document_type"]["value"] == "progress_note"
    problem = data["problems"][0]
    assert set(problem) >= {"text", "start", "end", "assertion", "icd10cm", "charted"}
    assert set(problem["icd10cm"][0]) == {"code", "description", "score"}


def test_problems_where_a_coder_does_not_code_from_are_not_proposed_for_the_chart(
    extract: Callable[[str], Extraction],
) -> None:
    result = extract(
        "POSTOPERATIVE DIAGNOSIS: Left inguinal hernia.\n"
        "DESCRIPTION OF PROCEDURE: The hernia sac was ligated. No further bleeding was seen. "
        "Marcaine was infiltrated.\n"
        "DISCHARGE INSTRUCTIONS: Call if a wound infection develops.\n"
    )
    charted = {(p.text.lower(), p.section): p.charted for p in result.problems}
    assert charted[("inguinal hernia", "assessment_and_plan")] is True
    assert charted[("bleeding", "procedure")] is False
    assert charted[("wound infection", "instructions")] is False
    (marcaine,) = result.medications
    assert marcaine.section == "procedure" and marcaine.charted  # a drug given is charted


def test_every_mention_span_is_exact(extract: Callable[[str], Extraction]) -> None:
    for text in (DICTATED, TYPED):
        result = extract(text)
        for mention in result.problems + result.procedures + result.medications:
            assert text[mention.start : mention.end] == mention.text


def test_empty_and_odd_input(extract: Callable[[str], Extraction]) -> None:
    for text in ("", " ", "\n\n\n", "!!!", "12345", "a" * 5000):
        result = extract(text)
        assert result.problems == ()
        assert result.deficiencies


def test_thread_safe(extract: Callable[[str], Extraction]) -> None:
    texts = [DICTATED, TYPED] * 8
    expected = [extract(t).to_dict() for t in texts]
    results: dict[int, dict] = {}

    def work(i: int) -> None:
        results[i] = extract(texts[i]).to_dict()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(texts))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [results[i] for i in range(len(texts))] == expected


def test_index_is_cached_in_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The pipeline is a process-wide singleton that other tests may have loaded
    # already, so the cache is checked by building the code book directly.
    monkeypatch.setenv("CHARTDROP_DATA_DIR", str(tmp_path))
    load_codebook()
    cached = list((tmp_path / "cache").glob("icd10cm-index-*.json"))
    assert len(cached) == 1
    book = load_codebook()  # now read back from the cache
    assert book.describe("I10") == "Essential (primary) hypertension"
    assert book.is_billable("E11.9") and not book.is_billable("E11")


def test_extract_many_matches_extract(extract: Callable[[str], Extraction]) -> None:
    texts = [DICTATED, TYPED, "", "Denies chest pain. No fever."] * 3
    assert list(nlp.extract_many(texts, batch_size=5)) == [extract(t) for t in texts]


def test_a_repeated_problem_is_proposed_for_the_chart_once(
    extract: Callable[[str], Extraction],
) -> None:
    result = extract(
        "HISTORY: She has had pneumonia since Monday. No fever.\n"
        "PREOPERATIVE DIAGNOSIS: Pneumonia.\n"
        "POSTOPERATIVE DIAGNOSIS: Pneumonia. Fever.\n"
    )
    charted = [(p.text, p.section, p.assertion) for p in result.problems if p.charted]
    # The first in the diagnoses is kept; the negated fever and the present one differ.
    assert charted == [
        ("fever", "history_of_present_illness", "negated"),
        ("Pneumonia", "assessment_and_plan", "present"),
        ("Fever", "assessment_and_plan", "present"),
    ]
    assert [p.text for p in result.problems if not p.charted] == ["pneumonia", "Pneumonia"]


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        ("History of MI.", ["I25.2", "I21.9"]),  # old MI, not an acute one
        ("History of stroke.", ["Z86.73", "I63.9"]),
        ("He has a history of prostate cancer treated with radiation.", ["Z85.46", "C61"]),
        ("PAST MEDICAL HISTORY: Breast cancer.", ["Z85.3", "C50.919"]),
        ("He is a former smoker.", ["Z87.891", "F17.210"]),
        ("PAST MEDICAL HISTORY: Pneumonia.", ["Z87.01", "J18.9"]),
        ("PAST MEDICAL HISTORY: Kidney stones.", ["Z87.442", "N20.0"]),
        ("History of concussion.", ["Z87.820", "S06.0X0A"]),
    ],
)
def test_a_problem_given_as_history_is_coded_as_its_history(
    extract: Callable[[str], Extraction], text: str, codes: list[str]
) -> None:
    # The history's own code leads; the condition's follows for the technician to pick when
    # it is still treated (ICD-10-CM I.C.2.d: Z85 once a malignancy is excised or eradicated).
    (problem,) = extract(text).problems
    assert problem.assertion == "historical"
    assert [c.code for c in problem.icd10cm[:2]] == codes


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        ("FAMILY HISTORY: Mother had breast cancer.", ["Z80.3", "C50.919"]),
        ("Father has diabetes.", ["Z83.3", "E11.9"]),
        ("His brother died of a myocardial infarction at 50.", ["Z82.49", "I21.9"]),
    ],
)
def test_a_relatives_problem_is_coded_as_family_history(
    extract: Callable[[str], Extraction], text: str, codes: list[str]
) -> None:
    (problem,) = extract(text).problems
    assert problem.assertion == "family"
    assert [c.code for c in problem.icd10cm[:2]] == codes


def test_a_relatives_symptom_has_no_family_history_code(
    extract: Callable[[str], Extraction],
) -> None:
    (problem,) = extract("FAMILY HISTORY: Sister has migraines.").problems
    assert problem.assertion == "family"
    assert problem.icd10cm[0].code.startswith("G43")


def test_a_present_problem_keeps_its_own_code(extract: Callable[[str], Extraction]) -> None:
    (problem,) = extract("He has breast cancer.").problems
    assert problem.assertion == "present"
    assert problem.icd10cm[0].code == "C50.919"


def test_every_history_code_is_billable() -> None:
    from chartdrop.nlp.code_words import (
        FAMILY_CODE_PREFIXES,
        HISTORY_CODE_PREFIXES,
        HISTORY_CODES,
    )

    book = load_codebook()
    histories = [*HISTORY_CODES.values(), *HISTORY_CODE_PREFIXES.values()]
    for code in [*histories, *FAMILY_CODE_PREFIXES.values()]:
        assert book.is_billable(code), code


def test_hiv_positive_is_the_asymptomatic_status(extract: Callable[[str], Extraction]) -> None:
    # ICD-10-CM I.C.1.a.2(d): "HIV positive" without an HIV-related illness is Z21, not B20.
    (problem,) = extract("The patient is HIV positive.").problems
    assert problem.icd10cm[0].code == "Z21"


def test_a_muscle_relaxant_brand_is_a_medication_not_a_problem(
    extract: Callable[[str], Extraction],
) -> None:
    # "Soma" (carisoprodol) is in no drug dictionary the project reads; the mention model
    # took it for a problem.
    result = extract("He was prescribed Percocet, Soma, hydroxyzine, and Valium.")
    assert ("Soma", "carisoprodol") in {(m.text, m.normalized) for m in result.medications}
    assert not result.problems


@pytest.mark.parametrize(
    ("text", "procedures"),
    [
        # The model read these as problems; their last word is a procedure the lists know.
        (
            "OPERATIONS PERFORMED: 1. Left hip arthroscopic debridement. 2. Labral repair.",
            ["debridement", "Labral repair"],
        ),
        (
            "PROCEDURE: Open reduction and internal fixation of the left radius.",
            ["Open reduction and internal fixation"],
        ),
        ("EXAM: Carotid and cerebral arteriograms.", ["arteriograms"]),
    ],
)
def test_procedures_a_note_names(
    extract: Callable[[str], Extraction], text: str, procedures: list[str]
) -> None:
    result = extract(text)
    assert [m.text for m in result.procedures] == procedures
    assert not result.problems


def test_a_unit_is_no_study(extract: Callable[[str], Extraction]) -> None:
    assert not extract("She takes 5 milligrams of warfarin.").procedures
