"""HL7 v2.5.1 MDM^T02 built with hl7apy, parsed back with python-hl7."""

from __future__ import annotations

import hl7
import pytest
from hl7apy.parser import parse_message

from chartdrop.chart.hl7v2 import Hl7Error, ack_code, build_mdm, escape
from tests.chart.samples import TEXT, entry


def test_round_trip_through_python_hl7() -> None:
    message = build_mdm(entry())
    parsed = hl7.parse(message)
    assert [str(s[0]) for s in parsed] == ["MSH", "EVN", "PID", "PV1", "TXA"] + ["OBX"] * len(
        TEXT.split("\n")
    )
    assert str(parsed.segment("MSH")[9]) == "MDM^T02^MDM_T02"
    assert str(parsed.segment("MSH")[12]) == "2.5.1"
    pid = parsed.segment("PID")
    assert str(pid[3][0][0]) == "447219" and str(pid[5][0][0]) == "Lopez"
    assert str(pid[7]) == "19550304" and str(pid[8]) == "F"
    txa = parsed.segment("TXA")
    assert str(txa[17]) == "AU" and str(txa[2]) == "PR" and str(txa[4]) == "20261120"
    lines = [parsed.unescape(str(obx[5])) for obx in parsed.segments("OBX")]
    assert "\n".join(lines) == TEXT  # delimiters escaped and restored, blank line kept
    assert {str(obx[2]) for obx in parsed.segments("OBX")} == {"TX"}
    assert {str(obx[11]) for obx in parsed.segments("OBX")} == {"F"}


def test_hl7apy_parses_and_validates_it_strictly() -> None:
    message = parse_message(build_mdm(entry()), validation_level=1)  # 1: STRICT
    assert message.name == "MDM_T02"
    message.validate()
    assert message.txa.txa_17.value == "AU"


def test_preliminary_is_documented_not_authenticated() -> None:
    draft = entry(approved=False, reviewer=None, reviewed_at=None)
    with pytest.raises(Hl7Error):
        build_mdm(draft)
    parsed = hl7.parse(build_mdm(draft, preliminary=True))
    assert str(parsed.segment("TXA")[17]) == "DO"
    assert {str(obx[11]) for obx in parsed.segments("OBX")} == {"P"}


def test_escape() -> None:
    assert escape("a|b^c~d\\e&f") == "a\\F\\b\\S\\c\\R\\d\\E\\e\\T\\f"


def test_ack_codes() -> None:
    ack = "MSH|^~\\&|EHR|||CHARTDROP|20261123||ACK^T02|9|P|2.5.1\rMSA|AE|CD7.1|Unknown patient\r"
    assert ack_code(ack) == ("AE", "Unknown patient")
    with pytest.raises(Hl7Error):
        ack_code("MSH|^~\\&|EHR\r")
