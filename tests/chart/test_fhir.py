"""FHIR R4 transaction Bundles through fhir.resources (R4B models) and back."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.condition import Condition
from fhir.resources.R4B.documentreference import DocumentReference

from chartdrop.chart.entry import Person
from chartdrop.chart.fhir import ICD10CM, FhirError, build_bundle, gender, validate
from tests.chart.samples import TEXT, entry


def _resources(bundle: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def test_round_trip_through_the_r4b_models() -> None:
    bundle = build_bundle(entry())
    text = json.dumps(bundle)
    model = Bundle.model_validate_json(text)
    assert model.type == "transaction"
    again = json.loads(model.model_dump_json(exclude_none=True))
    assert again == bundle
    kinds = [e["resource"]["resourceType"] for e in bundle["entry"]]
    assert kinds.count("Patient") == kinds.count("DocumentReference") == 1
    assert kinds.count("Provenance") == 1 and "Device" in kinds
    assert all(e["request"]["method"] == "POST" for e in bundle["entry"])
    urls = {e["fullUrl"] for e in bundle["entry"]}
    assert len(urls) == len(bundle["entry"])


def test_document_reference() -> None:
    bundle = build_bundle(entry())
    (doc,) = _resources(bundle, "DocumentReference")
    DocumentReference.model_validate(doc)
    assert doc["docStatus"] == "final" and doc["status"] == "current"
    note, original = (c["attachment"] for c in doc["content"])
    assert base64.b64decode(note["data"]).decode("utf-8") == TEXT
    assert base64.b64decode(note["hash"]) == hashlib.sha1(TEXT.encode()).digest()
    assert original["contentType"] == "audio/mp4"
    assert base64.b64decode(original["hash"]) == bytes(range(20))
    assert doc["context"]["period"] == {"start": "2026-11-20", "end": "2026-11-20"}
    assert doc["type"]["coding"][0]["code"] == "11506-3"
    (patient,) = _resources(bundle, "Patient")
    assert doc["subject"]["reference"] == _full_url(bundle, patient)
    assert patient["gender"] == "female" and patient["birthDate"] == "1955-03-04"


def _full_url(bundle: dict[str, Any], resource: dict[str, Any]) -> str:
    return next(e["fullUrl"] for e in bundle["entry"] if e["resource"] == resource)


def test_conditions_follow_the_assertions() -> None:
    bundle = build_bundle(entry())
    (doc,) = _resources(bundle, "DocumentReference")
    conditions = {c["code"]["text"]: c for c in _resources(bundle, "Condition")}
    assert "breast cancer" not in conditions  # family history is not the patient's
    # "risks of bleeding were discussed", "if bleeding recurs": no diagnosis, not even a
    # provisional one.
    assert "bleeding" not in conditions
    expected = {
        "hypertension": ("confirmed", "active"),
        "chest pain": ("refuted", None),
        "asthma": ("confirmed", "resolved"),
        "pneumonia": ("provisional", "active"),
        "fall risk": ("confirmed", "active"),
    }
    assert set(conditions) == set(expected)
    for name, (verification, clinical) in expected.items():
        condition = conditions[name]
        Condition.model_validate(condition)
        assert condition["verificationStatus"]["coding"][0]["code"] == verification
        got = condition.get("clinicalStatus", {}).get("coding", [{}])[0].get("code")
        assert got == clinical, name
        assert condition["evidence"][0]["detail"][0]["reference"] == _full_url(bundle, doc)
    assert conditions["hypertension"]["code"]["coding"] == [
        {"system": ICD10CM, "code": "I10", "display": "Essential (primary) hypertension"}
    ]
    assert "coding" not in conditions["fall risk"]["code"]


def test_provenance_names_the_technician_and_chartdrop() -> None:
    bundle = build_bundle(entry())
    (provenance,) = _resources(bundle, "Provenance")
    agents = {a["type"]["coding"][0]["code"]: a["who"]["reference"] for a in provenance["agent"]}
    urls = {e["fullUrl"]: e["resource"] for e in bundle["entry"]}
    assert urls[agents["author"]]["identifier"][0]["value"] == "tech1"
    assert urls[agents["assembler"]]["resourceType"] == "Device"
    assert provenance["recorded"].startswith("2026-11-21T09:30")
    assert len(provenance["target"]) == 1 + len(_resources(bundle, "Condition"))


def test_preliminary_export() -> None:
    with pytest.raises(FhirError):
        build_bundle(entry(approved=False, reviewer=None, reviewed_at=None))
    bundle = build_bundle(entry(approved=False, reviewer=None, reviewed_at=None), preliminary=True)
    (doc,) = _resources(bundle, "DocumentReference")
    assert doc["docStatus"] == "preliminary"
    assert _resources(bundle, "Condition") == []
    (provenance,) = _resources(bundle, "Provenance")
    assert [a["type"]["coding"][0]["code"] for a in provenance["agent"]] == ["assembler"]


def test_conditional_creates_make_a_resend_harmless() -> None:
    bundle = build_bundle(entry())
    for item in bundle["entry"]:
        if item["resource"]["resourceType"] in {"Patient", "DocumentReference", "Condition"}:
            assert item["request"]["ifNoneExist"].startswith("identifier=")
    assert build_bundle(entry())["entry"][0]["fullUrl"] == bundle["entry"][0]["fullUrl"]


@pytest.mark.parametrize(
    ("sex", "expected"),
    [("F", "female"), ("male", "male"), ("woman", "female"), ("x", "unknown"), (None, "unknown")],
)
def test_gender_codes(sex: str | None, expected: str) -> None:
    assert gender(sex) == expected
    bundle = build_bundle(entry(patient=Person(key="1", sex=sex)))
    assert _resources(bundle, "Patient")[0]["gender"] in {"male", "female", "other", "unknown"}


def test_invalid_bundles_are_refused() -> None:
    bundle = build_bundle(entry())
    bundle["entry"][0]["resource"]["gender"] = "woman"  # the models do not check bindings
    with pytest.raises(FhirError):
        validate(bundle)
    with pytest.raises(FhirError):
        validate({"resourceType": "Bundle", "type": "no-such-type"})
    with pytest.raises(FhirError):  # the models refuse what is malformed
        validate({"resourceType": "Bundle", "type": "transaction", "bogus": 1})
    bad = build_bundle(entry())
    bad["entry"][0]["resource"]["birthDate"] = "1955-13-45"
    with pytest.raises(FhirError):
        validate(bad)


def test_a_patient_without_mrn_gets_chartdrops_identifier() -> None:
    bundle = build_bundle(entry(patient=Person(key="patient-4", is_mrn=False)))
    (patient,) = _resources(bundle, "Patient")
    assert patient["identifier"] == [{"system": "urn:chartdrop:patient", "value": "patient-4"}]
    assert bundle["entry"][0]["request"]["ifNoneExist"] == (
        "identifier=urn:chartdrop:patient|patient-4"
    )
