"""FHIR R4 export: one transaction Bundle per chart entry, validated with the
`fhir.resources` R4B models (R4B is FHIR 4.3, wire-compatible with R4 for these
resources).

The Bundle holds Patient, Practitioner (the dictating provider), DocumentReference
(the text as a base64 attachment, the archived original's SHA-1 and content type,
the date of service as context period), one Condition per accepted problem, the
chartdrop Device, the approving technician as a Practitioner, and a Provenance (author:
the technician; assembler: chartdrop). Creates are conditional (`ifNoneExist` on
identifiers), so a Bundle sent twice creates nothing twice on a conforming server.

Assertions: present -> confirmed/active; negated -> refuted (no clinicalStatus, as
con-5 requires); possible -> provisional/active; historical -> confirmed/resolved.
Hypothetical problems ("risks of bleeding were discussed", "return if the fever
recurs") are left out: they are no diagnosis, not even a provisional one. Family
history is left out too: FamilyMemberHistory needs the relative (`relationship`
1..1), which the NLP does not extract. So are problems the technician left off the
chart (chart/entry.py).
Preliminary export (a draft not yet approved): docStatus preliminary, no Conditions
(the problems are not accepted yet) and no technician in the Provenance.
"""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from typing import Any

from fhir.resources.R4B.bundle import Bundle

from chartdrop.chart.entry import ChartEntry, Person

ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
LOINC = "http://loinc.org"
MRN_SYSTEM = "urn:chartdrop:mrn"
PATIENT_SYSTEM = "urn:chartdrop:patient"
USER_SYSTEM = "urn:chartdrop:user"
DRAFT_SYSTEM = "urn:chartdrop:draft"
DEVICE_SYSTEM = "urn:chartdrop:device"
CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
PARTICIPANT = "http://terminology.hl7.org/CodeSystem/provenance-participant-type"
GENDERS = {"male", "female", "other", "unknown"}
# assertion -> (verificationStatus, clinicalStatus); None: not exported as a Condition
ASSERTIONS: dict[str, tuple[str, str | None] | None] = {
    "present": ("confirmed", "active"),
    "negated": ("refuted", None),
    "possible": ("provisional", "active"),
    "hypothetical": None,
    "historical": ("confirmed", "resolved"),
    "family": None,
}
DOCUMENT_TYPES = {  # chartdrop document type -> LOINC document code
    "progress_note": ("11506-3", "Progress note"),
    "discharge_summary": ("18842-5", "Discharge summary"),
    "operative_report": ("11504-8", "Surgical operation note"),
    "radiology_report": ("18748-4", "Diagnostic imaging study"),
    "consultation": ("11488-4", "Consult note"),
    "history_and_physical": ("34117-2", "History and physical note"),
    "letter": ("34133-9", "Summary of episode note"),
}


class FhirError(ValueError):
    """The entry cannot be expressed as a valid Bundle."""


def gender(sex: str | None) -> str:
    """FHIR administrative gender (required binding: male | female | other | unknown)."""
    value = (sex or "").strip().lower()
    value = {"m": "male", "f": "female", "man": "male", "woman": "female"}.get(value, value)
    return value if value in GENDERS else "unknown"


def _uuid(draft_id: int, kind: str) -> str:
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'chartdrop/draft/{draft_id}/{kind}')}"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _entry(full_url: str, resource: dict[str, Any], if_none_exist: str | None) -> dict[str, Any]:
    request: dict[str, Any] = {"method": "POST", "url": resource["resourceType"]}
    if if_none_exist:
        request["ifNoneExist"] = if_none_exist
    return {"fullUrl": full_url, "resource": resource, "request": request}


def _practitioner(person: Person) -> dict[str, Any]:
    name: dict[str, Any] = {"text": person.text or person.key}
    return {
        "resourceType": "Practitioner",
        "identifier": [{"system": USER_SYSTEM, "value": person.key}],
        "name": [name],
    }


def _patient_identifier(person: Person) -> dict[str, Any]:
    if not person.is_mrn:
        return {"system": PATIENT_SYSTEM, "value": person.key}
    return {
        "type": {
            "coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MR"}]
        },
        "system": MRN_SYSTEM,
        "value": person.key,
    }


def _patient(person: Person) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Patient",
        "identifier": [_patient_identifier(person)],
        "gender": gender(person.sex),
    }
    name = {k: v for k, v in (("family", person.family),) if v}
    if person.given:
        name["given"] = [person.given]
    if name:
        resource["name"] = [name]
    if person.birth_date:
        resource["birthDate"] = person.birth_date
    return resource


def _document(entry: ChartEntry, refs: dict[str, str], preliminary: bool) -> dict[str, Any]:
    text = entry.text.encode("utf-8")
    contents: list[dict[str, Any]] = [
        {
            "attachment": {
                "contentType": "text/plain; charset=utf-8",
                "language": "en",
                "data": _b64(text),
                "hash": _b64(hashlib.sha1(text).digest()),
                "size": len(text),
                "title": "Note text",
            }
        }
    ]
    original: dict[str, Any] = {"contentType": entry.content_type, "title": entry.original_name}
    if entry.original_sha1 is not None:
        original["hash"] = _b64(entry.original_sha1)
        original["size"] = entry.original_size
    contents.append({"attachment": original})
    resource: dict[str, Any] = {
        "resourceType": "DocumentReference",
        "masterIdentifier": {"system": DRAFT_SYSTEM, "value": str(entry.draft_id)},
        "identifier": [{"system": DRAFT_SYSTEM, "value": str(entry.draft_id)}],
        "status": "current",
        "docStatus": "preliminary" if preliminary else "final",
        "subject": {"reference": refs["patient"]},
        "date": entry.when.isoformat(),
        "content": contents,
    }
    code = DOCUMENT_TYPES.get(entry.document_type or "")
    if code:
        resource["type"] = {"coding": [{"system": LOINC, "code": code[0], "display": code[1]}]}
    if "provider" in refs:
        resource["author"] = [{"reference": refs["provider"]}]
    if entry.date_of_service:
        resource["context"] = {
            "period": {"start": entry.date_of_service, "end": entry.date_of_service}
        }
    return resource


def _conditions(entry: ChartEntry, refs: dict[str, str]) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for index, problem in enumerate(entry.problems):
        statuses = ASSERTIONS.get(problem.assertion, ASSERTIONS["present"])
        if statuses is None:
            continue
        verification, clinical = statuses
        code: dict[str, Any] = {"text": problem.text}
        if problem.code:
            coding = {"system": ICD10CM, "code": problem.code}
            if problem.description:
                coding["display"] = problem.description
            code["coding"] = [coding]
        resource: dict[str, Any] = {
            "resourceType": "Condition",
            "identifier": [{"system": DRAFT_SYSTEM, "value": f"{entry.draft_id}/problem/{index}"}],
            "verificationStatus": {"coding": [{"system": VERIFICATION, "code": verification}]},
            "category": [{"coding": [{"system": CATEGORY, "code": "encounter-diagnosis"}]}],
            "code": code,
            "subject": {"reference": refs["patient"]},
            "evidence": [{"detail": [{"reference": refs["document"]}]}],
            "recordedDate": entry.when.isoformat(),
        }
        if clinical:
            resource["clinicalStatus"] = {"coding": [{"system": CLINICAL, "code": clinical}]}
        out.append((_uuid(entry.draft_id, f"condition/{index}"), resource))
    return out


def build_bundle(entry: ChartEntry, preliminary: bool = False) -> dict[str, Any]:
    """The transaction Bundle for `entry` as FHIR JSON (a dict), validated."""
    if not preliminary and not entry.approved:
        raise FhirError(f"Draft {entry.draft_id} is not approved: export it as preliminary.")
    refs = {"patient": _uuid(entry.draft_id, "patient"), "document": _uuid(entry.draft_id, "doc")}
    patient_id = _patient_identifier(entry.patient)
    entries = [
        _entry(
            refs["patient"],
            _patient(entry.patient),
            f"identifier={patient_id['system']}|{patient_id['value']}",
        )
    ]
    if entry.provider is not None:
        refs["provider"] = _uuid(entry.draft_id, "provider")
        entries.append(
            _entry(
                refs["provider"],
                _practitioner(entry.provider),
                f"identifier={USER_SYSTEM}|{entry.provider.key}",
            )
        )
    entries.append(
        _entry(
            refs["document"],
            _document(entry, refs, preliminary),
            f"identifier={DRAFT_SYSTEM}|{entry.draft_id}",
        )
    )
    conditions = [] if preliminary else _conditions(entry, refs)
    entries += [
        _entry(url, res, f"identifier={DRAFT_SYSTEM}|{res['identifier'][0]['value']}")
        for url, res in conditions
    ]
    device = _uuid(0, "device")
    entries.append(
        _entry(
            device,
            {
                "resourceType": "Device",
                "identifier": [{"system": DEVICE_SYSTEM, "value": "chartdrop"}],
                "deviceName": [{"name": "chartdrop", "type": "manufacturer-name"}],
            },
            f"identifier={DEVICE_SYSTEM}|chartdrop",
        )
    )
    agents: list[dict[str, Any]] = []
    if entry.reviewer and not preliminary:
        technician = _uuid(entry.draft_id, "technician")
        entries.append(
            _entry(
                technician,
                _practitioner(Person(key=entry.reviewer)),
                f"identifier={USER_SYSTEM}|{entry.reviewer}",
            )
        )
        agents.append(_agent("author", "Author", technician))
    agents.append(_agent("assembler", "Assembler", device))
    entries.append(
        _entry(
            _uuid(entry.draft_id, "provenance"),
            {
                "resourceType": "Provenance",
                "target": [{"reference": refs["document"]}]
                + [{"reference": url} for url, _ in conditions],
                "recorded": entry.when.isoformat(),
                "agent": agents,
            },
            None,
        )
    )
    bundle = {"resourceType": "Bundle", "type": "transaction", "entry": entries}
    return validate(bundle)


def _agent(code: str, display: str, who: str) -> dict[str, Any]:
    return {
        "type": {"coding": [{"system": PARTICIPANT, "code": code, "display": display}]},
        "who": {"reference": who},
    }


def validate(bundle: dict[str, Any]) -> dict[str, Any]:
    """Parse with the R4B models (raises FhirError) and return the models' JSON."""
    try:
        model = Bundle.model_validate(bundle)
    except ValueError as exc:
        raise FhirError(f"invalid FHIR Bundle: {exc}") from exc
    _check_codes(bundle)
    return json.loads(model.model_dump_json(exclude_none=True))


# Required bindings the R4B models do not enforce: (resource, path) -> allowed codes.
REQUIRED_CODES: dict[tuple[str, str], set[str]] = {
    ("Patient", "gender"): GENDERS,
    ("DocumentReference", "status"): {"current", "superseded", "entered-in-error"},
    ("DocumentReference", "docStatus"): {"preliminary", "final", "amended", "entered-in-error"},
    ("Condition", "verificationStatus"): {
        "unconfirmed",
        "provisional",
        "differential",
        "confirmed",
        "refuted",
        "entered-in-error",
    },
    ("Condition", "clinicalStatus"): {
        "active",
        "recurrence",
        "relapse",
        "inactive",
        "remission",
        "resolved",
    },
}


def _code(value: Any) -> str | None:
    if isinstance(value, dict):
        return str(value.get("coding", [{}])[0].get("code"))
    return None if value is None else str(value)


def _check_codes(bundle: dict[str, Any]) -> None:
    if bundle.get("type") != "transaction":
        raise FhirError("Bundle.type must be transaction")
    for item in bundle.get("entry", []):
        resource = item["resource"]
        for (kind, path), allowed in REQUIRED_CODES.items():
            present = resource["resourceType"] == kind and path in resource
            if present and _code(resource[path]) not in allowed:
                raise FhirError(f"{kind}.{path} is not one of {sorted(allowed)}")
        if resource["resourceType"] == "Patient" and "gender" not in resource:
            raise FhirError("Patient.gender is missing")


def bundle_json(entry: ChartEntry, preliminary: bool = False) -> str:
    return json.dumps(build_bundle(entry, preliminary), indent=2, ensure_ascii=False)
