from __future__ import annotations

import pytest

from chartdrop.nlp.dates import date_at


@pytest.mark.parametrize(
    ("text", "iso", "evidence"),
    [
        ("march fourth nineteen fifty five.", "1955-03-04", "march fourth nineteen fifty five"),
        ("March 4th, 1955", "1955-03-04", "March 4th, 1955"),
        ("3 4 1955", "1955-03-04", "3 4 1955"),
        ("03/04/1955", "1955-03-04", "03/04/1955"),
        ("3-4-55", "1955-03-04", "3-4-55"),
        (": 1955-03-04", "1955-03-04", "1955-03-04"),
        ("is the fourth of march nineteen fifty five", "1955-03-04",
         "the fourth of march nineteen fifty five"),
        ("4 March 1955", "1955-03-04", "4 March 1955"),
        ("three four nineteen fifty five", "1955-03-04", "three four nineteen fifty five"),
        ("Nov. 20, 2026", "2026-11-20", "Nov. 20, 2026"),
        ("november twentieth twenty twenty six", "2026-11-20",
         "november twentieth twenty twenty six"),
    ],
)  # fmt: skip
def test_dates(text: str, iso: str, evidence: str) -> None:
    hit = date_at(text, 0)
    assert hit is not None
    assert hit[0] == iso
    assert text[hit[1] : hit[2]] == evidence


@pytest.mark.parametrize("text", ["13/45/2000", "february thirtieth two thousand", "hypertension"])
def test_not_dates(text: str) -> None:
    assert date_at(text, 0) is None


def test_two_digit_year_of_service_is_this_century() -> None:
    hit = date_at("11/20/26", 0, past=False)
    assert hit is not None and hit[0] == "2026-11-20"
