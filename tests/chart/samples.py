"""A chart entry built by hand, for the builders' tests."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from chartdrop.chart.entry import ChartEntry, Person, Problem

TEXT = (
    "PROGRESS NOTE\n"
    "Patient: LOPEZ, MARIA  DOB: 03/04/1955  MRN: 447219\n"
    "\n"
    "ASSESSMENT: Hypertension | BP 150/90 ^ trending up ~ see plan & follow-up \\ ok.\n"
    "Denies chest pain. History of asthma. Possible pneumonia. Mother had breast cancer."
)


def entry(**changes: Any) -> ChartEntry:
    base = ChartEntry(
        draft_id=7,
        document_id=9,
        approved=True,
        text=TEXT,
        patient=Person(
            key="447219", family="Lopez", given="María", birth_date="1955-03-04", sex="F"
        ),
        patient_id=1,
        provider=Person(key="grant", text="Dr. Alan Grant"),
        reviewer="tech1",
        reviewed_at=datetime(2026, 11, 21, 9, 30, tzinfo=UTC),
        received_at=datetime(2026, 11, 20, 17, 5, tzinfo=UTC),
        date_of_service="2026-11-20",
        document_type="progress_note",
        content_type="audio/mp4",
        original_name="dict.m4a",
        original_sha1=bytes(range(20)),
        original_size=12345,
        problems=[
            Problem("hypertension", "present", "I10", "Essential (primary) hypertension"),
            Problem("chest pain", "negated", "R07.9", "Chest pain, unspecified"),
            Problem("asthma", "historical", "J45.909", None),
            Problem("pneumonia", "possible", "J18.9", None),
            Problem("breast cancer", "family", "Z80.3", None),
            Problem("fall risk", "present", None, None),
            Problem("bleeding", "hypothetical", "R58", "Hemorrhage, not elsewhere classified"),
        ],
    )
    return replace(base, **changes)
