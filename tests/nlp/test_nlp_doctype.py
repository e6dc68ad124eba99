from __future__ import annotations

import pytest

from chartdrop.nlp.doctype import DocTypeRules

RULES = DocTypeRules()


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("DISCHARGE SUMMARY\nADMISSION DIAGNOSIS: Pneumonia.\nHOSPITAL COURSE: Improved.",
         "discharge_summary"),
        ("PREOPERATIVE DIAGNOSIS: Hernia.\nPOSTOPERATIVE DIAGNOSIS: Same.\nPROCEDURE PERFORMED: "
         "Repair.\nESTIMATED BLOOD LOSS: Minimal.", "operative_report"),
        ("EXAM: CT of the chest without contrast.\nTECHNIQUE: Axial images.\nFINDINGS: Normal.\n"
         "IMPRESSION: No acute process.", "radiology_report"),
        ("REASON FOR CONSULTATION: Chest pain.\nThank you for asking us to see this patient.",
         "consultation"),
        ("HISTORY AND PHYSICAL\nCHIEF COMPLAINT: Cough.\nHISTORY OF PRESENT ILLNESS: ...",
         "history_and_physical"),
        ("this is doctor alan grant dictating a progress note on patient maria lopez.",
         "progress_note"),
        ("SUBJECTIVE: Doing well.\nOBJECTIVE: Afebrile.\nASSESSMENT: Stable.", "progress_note"),
        ("REASON FOR VISIT: This 48-year-old woman returns in followup after a sleep study.\n"
         "HISTORY OF PRESENT ILLNESS: She sleeps better.\nASSESSMENT: Insomnia.", "progress_note"),
        ("Dear Dr. Grant,\nI saw your patient today.\nSincerely,\nEllie Sattler, MD", "letter"),
        ("The wound looks fine.", "other"),
    ],
)  # fmt: skip
def test_document_types(text: str, kind: str) -> None:
    result = RULES.classify(text)
    assert result.value == kind
    assert 0.0 < result.confidence <= 1.0


def test_clear_title_is_more_confident_than_weak_hints() -> None:
    strong = RULES.classify("DISCHARGE SUMMARY\nHOSPITAL COURSE: ...\nDISCHARGE DIAGNOSES: ...")
    weak = RULES.classify("She was discharged home with her daughter and much improved today.")
    assert strong.value == "discharge_summary"
    assert strong.confidence > weak.confidence
