from __future__ import annotations

from collections.abc import Callable

from chartdrop.nlp.sections import SectionRules
from chartdrop.nlp.types import Extraction


def headers(text: str) -> list[tuple[str, str]]:
    return [(s.category, text[s.start : s.body_start]) for s in SectionRules().find(text)]


def test_typed_and_dictated_headers() -> None:
    text = "CHIEF COMPLAINT: Cough.\nPAST MEDICAL HISTORY: Asthma. Family history is negative."
    assert headers(text) == [
        ("chief_complaint", "CHIEF COMPLAINT:"),
        ("past_medical_history", "PAST MEDICAL HISTORY:"),
        ("family_history", "Family history "),
    ]


def test_mtsamples_comma_breaks_start_sections() -> None:
    text = (
        "PREOPERATIVE DIAGNOSIS: , Cataract, right eye.,POSTOPERATIVE DIAGNOSIS:,  Cataract."
        ",PROCEDURE: , Phacoemulsification.,ANESTHESIA:,  General.,PROCEDURE IN DETAIL: , The"
        " patient was brought to the operating room."
    )
    assert [h for _, h in headers(text)] == [
        "PREOPERATIVE DIAGNOSIS:", "POSTOPERATIVE DIAGNOSIS:", "PROCEDURE:", "ANESTHESIA:",
        "PROCEDURE IN DETAIL:",
    ]  # fmt: skip


def test_mtsamples_headers_without_a_colon_start_sections() -> None:
    # The export drops the colon too: "...trachea.,OPERATION PERFORMED,Neck exploration."
    text = (
        "PREOPERATIVE DIAGNOSES,Airway obstruction.,OPERATION PERFORMED,Neck exploration."
        ",IMPRESSION,1.  High-grade stenosis.,PLAN,Follow up."
    )
    assert headers(text) == [
        ("assessment_and_plan", "PREOPERATIVE DIAGNOSES,"),
        ("procedure", "OPERATION PERFORMED,"),
        ("assessment_and_plan", "IMPRESSION,"),
        ("assessment_and_plan", "PLAN,"),
    ]


def test_a_header_after_a_closing_quote_starts_a_section() -> None:
    text = 'She asks how much "it hurts.",PAST MEDICAL HISTORY:,1.  Irritable bowel syndrome.'
    assert headers(text) == [("past_medical_history", "PAST MEDICAL HISTORY:")]


def test_a_header_word_before_a_comma_is_a_header_only_in_capitals() -> None:
    assert headers("The patient is stable. Plan, as above, is unchanged.") == []
    # A note typed all in capitals: any capitalised word would do, so only colons count.
    assert headers("HE IS STABLE. MEDICATIONS, INCLUDING ASPIRIN, WERE HELD.") == []


def test_a_comma_inside_a_sentence_starts_no_section() -> None:
    assert headers("She has a cough, plan: rest and fluids.") == []


def test_indications_are_not_the_procedure_narrative() -> None:
    # Coders code a procedure by its indications; its narrative is not coded from.
    text = "INDICATIONS: Left hip fracture.,DESCRIPTION OF PROCEDURE: The skin was infiltrated."
    assert [category for category, _ in headers(text)] == ["indications", "procedure"]


def test_abbreviated_and_operative_headers_are_sections(
    extract: Callable[[str], Extraction],
) -> None:
    text = (
        "FHX: Breast cancer in her mother.\n"
        "PREOP DIAGNOSIS: Right inguinal hernia.\n"
        "PROCEDURE DETAILS: The hernia sac was identified and there was minimal bleeding.\n"
    )
    result = extract(text)
    by_text = {p.text.lower(): p for p in result.problems}
    assert by_text["breast cancer"].assertion == "family"
    assert by_text["inguinal hernia"].section == "assessment_and_plan"
    assert by_text["inguinal hernia"].charted
    assert not by_text["bleeding"].charted  # an operative narrative is not coded from
