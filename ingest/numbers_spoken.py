"""Spoken numbers, years, ordinals and months, as the dictation formatter reads them."""

from __future__ import annotations

import re

DIGIT_WORDS: dict[str, int] = {
    "zero": 0,
    "oh": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
}
_TEENS: dict[str, int] = {
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
}
_TENS: dict[str, int] = {
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
TENS = frozenset(_TENS)
ORDINALS: dict[str, int] = {
    "first": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "fifth": 5,
    "sixth": 6,
    "seventh": 7,
    "eighth": 8,
    "ninth": 9,
    "tenth": 10,
    "eleventh": 11,
    "twelfth": 12,
    "thirteenth": 13,
    "fourteenth": 14,
    "fifteenth": 15,
    "sixteenth": 16,
    "seventeenth": 17,
    "eighteenth": 18,
    "nineteenth": 19,
    "twentieth": 20,
    "thirtieth": 30,
}
MONTHS: dict[str, int] = {
    name: i + 1
    for i, name in enumerate(
        (
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        )
    )
} | {
    "jan": 1,
    "feb": 2,
    "mar": 3,
    "apr": 4,
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
    "sept": 9,
    "oct": 10,
    "nov": 11,
    "dec": 12,
}
# "May" and "March" are also ordinary words; the formatter only reads them as months
# when a day follows.

_NUMERAL = re.compile(r"^\d+$")


def _value(word: str) -> tuple[str, int] | None:
    """(class, value): D digit 0-9 (not "oh"), T 10-19, X tens, H hundred, K thousand."""
    if word in DIGIT_WORDS and word != "oh":
        return "D", DIGIT_WORDS[word]
    if word in _TEENS:
        return "T", _TEENS[word]
    if word in _TENS:
        return "X", _TENS[word]
    if word == "hundred":
        return "H", 100
    if word == "thousand":
        return "K", 1000
    if _NUMERAL.match(word):
        value = int(word)
        return ("D" if value < 10 else "T" if value < 20 else "N"), value
    return None


def is_number_word(word: str) -> bool:
    return word in DIGIT_WORDS or word in _TEENS or word in _TENS or word in ("hundred", "thousand")


def parse_cardinal(words: list[str]) -> tuple[int | None, int]:
    """The cardinal number at the start of `words` and how many words it used.

    "five hundred" -> 500, "twenty five" -> 25, "5 hundred" -> 500, "two thousand and
    three" -> 2003. Stops where a new number starts ("nineteen fifty" -> 19, 1 word).
    A lone numeral counts (so mixed forms parse) and returns itself.
    """
    total = 0
    current = 0
    used = 0
    last = ""
    for i, word in enumerate(words):
        if word == "and" and used and last in ("H", "K") and i + 1 < len(words):
            nxt = _value(words[i + 1])
            if nxt is not None and nxt[0] in ("D", "T", "X"):
                continue
            break
        val = _value(word)
        if val is None:
            break
        kind, value = val
        if kind == "H":
            if last not in ("D", "T", "X", ""):
                break
            current = (current or 1) * 100
        elif kind == "K":
            if last == "K" or last == "":
                break
            total += (current or 1) * 1000
            current = 0
        elif kind == "N":
            if used:
                break
            current = value
            used = i + 1
            last = "N"
            break
        elif kind == "X":
            if current % 100 != 0:
                break
            current += value
        elif kind in ("D", "T"):
            if current % 100 != 0 and not (last == "X" and kind == "D"):
                break
            if last == "X" and kind == "T":
                break
            current += value
        used = i + 1
        last = kind
    if not used:
        return None, 0
    return total + current, used


def parse_year(words: list[str]) -> int | None:
    """A spoken year using all of `words`: "nineteen fifty five", "nineteen oh five",
    "two thousand and three", "twenty twenty", "1955"; 1880-2099 only."""
    if not words:
        return None
    year: int | None = None
    if len(words) == 1 and _NUMERAL.match(words[0]) and len(words[0]) == 4:
        year = int(words[0])
    elif words[0] in ("nineteen", "eighteen", "twenty", "19", "18", "20") and len(words) >= 2:
        century = _TEENS.get(words[0]) or _TENS.get(words[0]) or int(words[0])
        rest = words[1:]
        if rest == ["hundred"]:
            year = century * 100
        elif rest[0] == "oh" and len(rest) == 2 and rest[1] in DIGIT_WORDS:
            year = century * 100 + DIGIT_WORDS[rest[1]]
        elif rest[0] != "and":
            value, used = parse_cardinal(rest)
            if value is not None and used == len(rest) and 10 <= value < 100:
                year = century * 100 + value
    if year is None and words[0] in ("two", "2") and len(words) >= 2 and words[1] == "thousand":
        value, used = parse_cardinal(words)
        if value is not None and used == len(words):
            year = value
    if year is not None and 1880 <= year <= 2099:
        return year
    return None
