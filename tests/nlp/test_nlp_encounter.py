"""An injury code's 7th character from the fracture and encounter stated (nlp/encounter.py)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from chartdrop.nlp.types import Extraction


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("DIAGNOSIS: Left tibial shaft fracture.", "S82.202A"),  # closed, initial: the default
        ("ASSESSMENT: Open fracture of the right tibia.", "S82.201B"),
        ("DIAGNOSIS: Open fracture of the left tibia, Gustilo type IIIB.", "S82.202C"),
        ("PREOP DIAGNOSIS: 1. Right open ankle fracture.", "S82.891B"),
        ("Open nasal fracture.", "S02.2XXB"),  # the skull's B: open, no type
        ("DIAGNOSIS: Nonunion of the right tibial shaft fracture.", "S82.201K"),
        ("DIAGNOSIS: Malunion of left distal radius fracture.", "S52.502P"),
        ("She is here for follow-up of her left distal radius fracture.", "S52.502D"),
        ("She has a healing left distal radius fracture.", "S52.502D"),
        ("Sequela of right hip fracture.", "S72.001S"),
    ],
)
def test_the_stated_encounter_codes_the_seventh_character(
    extract: Callable[[str], Extraction], text: str, code: str
) -> None:
    codes = [p.icd10cm[0].code for p in extract(text).problems if p.icd10cm]
    assert codes == [code]


@pytest.mark.parametrize(
    "text",
    [
        # A plan to follow up, an open reduction and a consent's risks are no encounter cues.
        "Left distal radius fracture, splinted; follow up with orthopedics in 1 week.",
        "PROCEDURE: Open reduction and internal fixation of left distal radius fracture.",
        "Risks include infection, nonunion and malunion. DIAGNOSIS: Left distal radius fracture.",
    ],
)
def test_the_initial_closed_fracture_stays(extract: Callable[[str], Extraction], text: str) -> None:
    codes = [p.icd10cm[0].code for p in extract(text).problems if p.icd10cm]
    assert codes == ["S52.502A"]


def test_a_fractures_healing_cue_moves_no_other_injury(
    extract: Callable[[str], Extraction],
) -> None:
    # Risks listed in a consent: "nonunion or malunion" speaks of a fracture's healing; the
    # compartment syndrome after it stays the initial encounter.
    text = "Risks include nonunion or malunion, need for reoperation, compartment syndrome."
    codes = [p.icd10cm[0].code for p in extract(text).problems if p.icd10cm]
    assert "T79.A0XA" in codes
    assert not any(code.startswith("T79.A0X") and code != "T79.A0XA" for code in codes)
