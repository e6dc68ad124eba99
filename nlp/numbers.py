"""Spoken-number parsing for dictations ("sixty seven", "nineteen fifty five", "four four seven").

Written here rather than taken from a library: none installed handles years said in pairs,
"oh" for zero, ordinals and digit-by-digit strings together, and the rules are small.
All parsers work on a list of lower-case words and a start index, and return the value with
the index just after the last word used, so callers can map back to character spans.
"""

from __future__ import annotations

import re

UNITS = {
    "zero": 0, "oh": 0, "o": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5,
    "six": 6, "seven": 7, "eight": 8, "nine": 9,
}  # fmt: skip
TEENS = {
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}  # fmt: skip
TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
    "eighty": 80, "ninety": 90,
}  # fmt: skip
ORDINAL_UNITS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
    "eighth": 8, "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13,
    "fourteenth": 14, "fifteenth": 15, "sixteenth": 16, "seventeenth": 17, "eighteenth": 18,
    "nineteenth": 19, "twentieth": 20, "thirtieth": 30,
}  # fmt: skip
# "oh"/"o" only mean zero inside digit strings and years, never as a cardinal on its own.
_CARDINAL_UNITS = {k: v for k, v in UNITS.items() if k not in ("oh", "o")}
NUMBER_WORDS = frozenset(
    [*UNITS, *TEENS, *TENS, *ORDINAL_UNITS, "hundred", "thousand", "and", "double", "triple"]
)
_ORDINAL_DIGITS = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)$")
_WORD = re.compile(r"[A-Za-z]+|\d+(?:st|nd|rd|th)?")

Parsed = tuple[int, int]  # (value, next index)


def tokenize(text: str, offset: int = 0) -> list[tuple[str, int, int]]:
    """Lower-case words and digit runs with their character spans (hyphens split words)."""
    return [(m.group().lower(), m.start() + offset, m.end() + offset) for m in _WORD.finditer(text)]


def _below_hundred(words: list[str], i: int) -> Parsed | None:
    if i >= len(words):
        return None
    w = words[i]
    if w in TEENS:
        return TEENS[w], i + 1
    if w in TENS:
        if i + 1 < len(words) and words[i + 1] in _CARDINAL_UNITS and words[i + 1] != "zero":
            return TENS[w] + _CARDINAL_UNITS[words[i + 1]], i + 2
        return TENS[w], i + 1
    if w in _CARDINAL_UNITS:
        return _CARDINAL_UNITS[w], i + 1
    return None


def _below_thousand(words: list[str], i: int) -> Parsed | None:
    first = _below_hundred(words, i)
    if first is None:
        return None
    value, j = first
    if value < 10 and j < len(words) and words[j] == "hundred":
        value, j = value * 100, j + 1
        k = j + 1 if j < len(words) and words[j] == "and" else j
        rest = _below_hundred(words, k)
        if rest is not None:
            value, j = value + rest[0], rest[1]
    return value, j


def parse_cardinal(words: list[str], i: int) -> Parsed | None:
    """Standard English cardinal: "sixty seven", "one hundred and five", "two thousand three"."""
    if i < len(words) and words[i].isdigit():
        return int(words[i]), i + 1
    head = _below_thousand(words, i)
    if head is None:
        return None
    value, j = head
    if j < len(words) and words[j] == "thousand":
        value, j = value * 1000, j + 1
        k = j + 1 if j < len(words) and words[j] == "and" else j
        rest = _below_thousand(words, k)
        if rest is not None:
            value, j = value + rest[0], rest[1]
    return value, j


def parse_ordinal(words: list[str], i: int) -> Parsed | None:
    """A day of month: "fourth", "twenty first", "4th", "4", "the fourth", also cardinal "four"."""
    if i < len(words) and words[i] == "the":
        i += 1
    if i >= len(words):
        return None
    w = words[i]
    m = _ORDINAL_DIGITS.match(w)
    if m:
        return int(m.group(1)), i + 1
    if w.isdigit() and len(w) <= 2:
        return int(w), i + 1
    if w in ORDINAL_UNITS:
        return ORDINAL_UNITS[w], i + 1
    if w in TENS and i + 1 < len(words) and words[i + 1] in ORDINAL_UNITS:
        unit = ORDINAL_UNITS[words[i + 1]]
        if unit < 10:
            return TENS[w] + unit, i + 2
    parsed = _below_hundred(words, i)
    if parsed is not None and parsed[0] > 0:
        return parsed
    return None


def _pair(words: list[str], i: int) -> Parsed | None:
    """Two-digit group of a spoken year: "fifty five", "nineteen", "oh three"."""
    if i < len(words) and words[i] in ("oh", "o", "zero"):
        if i + 1 < len(words) and words[i + 1] in _CARDINAL_UNITS:
            return _CARDINAL_UNITS[words[i + 1]], i + 2
        return None
    parsed = _below_hundred(words, i)
    if parsed is not None and parsed[0] >= 10:
        return parsed
    return None


def parse_year(words: list[str], i: int) -> Parsed | None:
    """A year: "1955", "nineteen fifty five", "nineteen oh five", "two thousand three",
    "twenty twenty six"."""
    if i >= len(words):
        return None
    w = words[i]
    if w.isdigit() and len(w) == 4:
        return int(w), i + 1
    if w.isdigit() and len(w) == 2:
        return int(w), i + 1  # two-digit year; the caller picks the century
    high = _pair(words, i)
    if high is not None and 11 <= high[0] <= 20:
        century, j = high
        if j < len(words) and words[j] == "hundred":
            k = j + 2 if j + 1 < len(words) and words[j + 1] == "and" else j + 1
            low = _pair(words, k) or _below_hundred(words, k)
            if low is not None:
                return century * 100 + low[0], low[1]
            return century * 100, j + 1
        low = _pair(words, j)
        if low is not None:
            return century * 100 + low[0], low[1]
    cardinal = parse_cardinal(words, i)
    if cardinal is not None and 1000 <= cardinal[0] <= 2999:
        return cardinal
    if high is not None:
        return high  # "fifty five": two-digit year
    return None


def parse_digit_string(words: list[str], i: int, max_words: int = 24) -> tuple[str, int] | None:
    """Digits said one by one or in groups: "four four seven", "4 4 7", "oh seven", "forty four"."""
    digits: list[str] = []
    j = i
    while j < len(words) and j - i < max_words:
        w = words[j]
        if w.isdigit():
            digits.append(w)
            j += 1
        elif w in ("double", "triple") and j + 1 < len(words) and words[j + 1] in UNITS:
            digits.append(str(UNITS[words[j + 1]]) * (2 if w == "double" else 3))
            j += 2
        elif w in UNITS:
            digits.append(str(UNITS[w]))
            j += 1
        elif w in TEENS or w in TENS:
            parsed = _below_hundred(words, j)
            assert parsed is not None
            digits.append(str(parsed[0]))
            j = parsed[1]
        elif w == "hundred" and digits:
            digits.append("00")
            j += 1
        else:
            break
    if not digits:
        return None
    return "".join(digits), j


def words_to_number(text: str) -> int | None:
    """The whole text as one cardinal ("sixty-seven" -> 67), or None if anything is left over."""
    words = [w for w, _, _ in tokenize(text)]
    parsed = parse_cardinal(words, 0)
    if parsed is None or parsed[1] != len(words):
        return None
    return parsed[0]
