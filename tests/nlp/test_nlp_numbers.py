from __future__ import annotations

import pytest

from chartdrop.nlp.numbers import (
    parse_digit_string,
    parse_ordinal,
    parse_year,
    tokenize,
    words_to_number,
)


def words(text: str) -> list[str]:
    return [w for w, _, _ in tokenize(text)]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("seven", 7),
        ("sixty seven", 67),
        ("sixty-seven", 67),
        ("ninety", 90),
        ("fourteen", 14),
        ("one hundred and five", 105),
        ("two thousand three", 2003),
        ("67", 67),
    ],
)
def test_cardinals(text: str, value: int) -> None:
    assert words_to_number(text) == value


@pytest.mark.parametrize("text", ["", "sixty seven years", "chest pain", "oh"])
def test_not_a_cardinal(text: str) -> None:
    assert words_to_number(text) is None


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("nineteen fifty five", 1955),
        ("nineteen fifty-five", 1955),
        ("nineteen oh five", 1905),
        ("nineteen hundred", 1900),
        ("two thousand three", 2003),
        ("twenty oh three", 2003),
        ("twenty twenty six", 2026),
        ("1955", 1955),
        ("fifty five", 55),
    ],
)
def test_years(text: str, value: int) -> None:
    parsed = parse_year(words(text), 0)
    assert parsed is not None and parsed[0] == value


@pytest.mark.parametrize(
    ("text", "value"),
    [("fourth", 4), ("the fourth", 4), ("4th", 4), ("twenty first", 21), ("thirty-first", 31),
     ("twelfth", 12), ("4", 4), ("four", 4)],
)  # fmt: skip
def test_days(text: str, value: int) -> None:
    parsed = parse_ordinal(words(text), 0)
    assert parsed is not None and parsed[0] == value


@pytest.mark.parametrize(
    ("text", "digits", "used"),
    [
        ("four four seven two one nine", "447219", 6),
        ("4 4 7 2 1 9", "447219", 6),
        ("447219", "447219", 1),
        ("oh seven two", "072", 3),
        ("zero seven double two", "0722", 4),
        ("forty four seventy two nineteen", "447219", 5),
        ("four four seven she has", "447", 3),
    ],
)
def test_digit_strings(text: str, digits: str, used: int) -> None:
    assert parse_digit_string(words(text), 0) == (digits, used)


def test_tokenize_keeps_offsets() -> None:
    text = "MRN: four-four 7"
    for word, start, end in tokenize(text):
        assert text[start:end].lower() == word
