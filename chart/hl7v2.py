"""HL7 v2.5.1 MDM^T02 (original document notification and content), built and
validated with hl7apy; python-hl7 parses ACKs (and the tests parse our messages back).

hl7apy 1.3.5 ships v2.5.1 (its MDM_T02 observation group is named
MDM_T02_OBXNTE_SUPPGRP there, MDM_T02_OBSERVATION in v2.5); messages are validated
with its STRICT level. Segments: MSH, EVN, PID, PV1, TXA, then one OBX (value type TX)
per line of the note. TXA-17 (completion status, table 0271): AU (authenticated) for
an approved entry, DO (documented) for a preliminary one; OBX-11 F or P to match.
Text goes through `escape` (\\E\\ \\F\\ \\S\\ \\T\\ \\R\\), so no note can break the
message structure.
"""

from __future__ import annotations

from datetime import UTC, datetime

from hl7apy.consts import VALIDATION_LEVEL
from hl7apy.core import Message

from chartdrop.chart.entry import ChartEntry
from chartdrop.chart.fhir import DOCUMENT_TYPES

VERSION = "2.5.1"
OBX_GROUP = "MDM_T02_OBXNTE_SUPPGRP"
SENDING_APPLICATION = "CHARTDROP"
# chartdrop document type -> HL7 table 0270 document type
TXA_TYPES = {
    "progress_note": "PR",
    "discharge_summary": "DS",
    "operative_report": "OP",
    "radiology_report": "DI",
    "consultation": "CN",
    "history_and_physical": "HP",
}
SEX = {"male": "M", "m": "M", "female": "F", "f": "F", "other": "O"}
_ESCAPES = (("\\", "\\E\\"), ("|", "\\F\\"), ("^", "\\S\\"), ("&", "\\T\\"), ("~", "\\R\\"))


class Hl7Error(ValueError):
    """The entry cannot be expressed as a valid MDM^T02."""


def escape(text: str) -> str:
    """HL7 escape sequences for the delimiters (the escape character first)."""
    for raw, escaped in _ESCAPES:
        text = text.replace(raw, escaped)
    return text


def _clean(text: str | None) -> str:
    """A short value for a component: delimiters escaped, no line breaks."""
    return escape(" ".join((text or "").split()))


def _ts(moment: datetime) -> str:
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y%m%d%H%M%S")


def _date(value: str | None) -> str:
    return (value or "").replace("-", "")[:8]


def build_mdm(entry: ChartEntry, preliminary: bool = False, control_id: str | None = None) -> str:
    """The MDM^T02 message for `entry`, ER7 with \\r segment separators."""
    if not preliminary and not entry.approved:
        raise Hl7Error(f"Draft {entry.draft_id} is not approved: export it as preliminary.")
    now = datetime.now(UTC)
    message = Message("MDM_T02", version=VERSION, validation_level=VALIDATION_LEVEL.STRICT)
    msh = message.msh
    msh.msh_3 = SENDING_APPLICATION
    msh.msh_7 = _ts(now)
    msh.msh_9 = "MDM^T02^MDM_T02"
    msh.msh_10 = control_id or f"CD{entry.draft_id}.{now:%H%M%S%f}"[:20]
    msh.msh_11 = "P"
    msh.msh_15 = "AL"
    msh.msh_16 = "NE"
    msh.msh_18 = "UNICODE UTF-8"  # table 0211: names and notes are not ASCII-only

    message.evn.evn_1 = "T02"
    message.evn.evn_2 = _ts(entry.when)
    if entry.reviewer and not preliminary:
        message.evn.evn_5 = _clean(entry.reviewer)

    person = entry.patient
    pid = message.pid
    pid.pid_1 = "1"
    kind = "MR" if person.is_mrn else "PI"  # table 0203: medical record / patient internal
    pid.pid_3 = f"{_clean(person.key)}^^^{SENDING_APPLICATION}^{kind}"
    pid.pid_5 = f"{_clean(person.family)}^{_clean(person.given)}"
    if person.birth_date:
        pid.pid_7 = _date(person.birth_date)
    pid.pid_8 = SEX.get((person.sex or "").strip().lower(), "U")

    message.pv1.pv1_2 = "U"  # patient class unknown: the note does not say
    provider = None
    if entry.provider is not None:
        provider = f"{_clean(entry.provider.key)}^{_clean(entry.provider.text)}"
        message.pv1.pv1_7 = provider

    txa = message.txa
    txa.txa_1 = "1"
    txa.txa_2 = TXA_TYPES.get(entry.document_type or "", "PR")
    txa.txa_3 = "TX"
    if entry.date_of_service:
        txa.txa_4 = _date(entry.date_of_service)
    if provider:
        txa.txa_5 = provider
    txa.txa_6 = _ts(entry.received_at)
    txa.txa_12 = f"{entry.draft_id}^{SENDING_APPLICATION}"
    txa.txa_17 = "DO" if preliminary else "AU"
    txa.txa_19 = "UN" if preliminary else "AV"

    loinc = DOCUMENT_TYPES.get(entry.document_type or "", ("34109-9", "Note"))
    lines = entry.text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    for number, line in enumerate(lines, start=1):
        group = message.add_group(OBX_GROUP)
        obx = group.obx
        obx.obx_1 = str(number)
        obx.obx_2 = "TX"
        obx.obx_3 = f"{loinc[0]}^{loinc[1]}^LN"
        obx.obx_4 = "1"
        if line:
            obx.obx_5 = escape(line)
        obx.obx_11 = "P" if preliminary else "F"
    try:
        message.validate()
    except Exception as exc:  # hl7apy raises several of its own types
        raise Hl7Error(f"invalid MDM^T02: {exc}") from exc
    return str(message.to_er7())


def ack_code(ack: str) -> tuple[str, str]:
    """(MSA-1 acknowledgment code, MSA-3 text) of an ACK message, parsed with python-hl7."""
    import hl7

    parsed = hl7.parse(ack.replace("\n", "\r").strip("\r"))
    try:
        msa = parsed.segment("MSA")
    except KeyError as exc:
        raise Hl7Error("the answer has no MSA segment") from exc
    code = str(msa[1]) if len(msa) > 1 else ""
    text = str(msa[3]) if len(msa) > 3 else ""
    return code, text
