"""Dates as typed ("03/04/1955", "1955-03-04", "March 4th, 1955") or dictated
("march fourth nineteen fifty five", "3 4 1955", "the fourth of march ..."), read at a position.

US order (month/day/year) is assumed for numeric dates: the tool serves US records departments.
"""

from __future__ import annotations

import datetime as dt
import re

from .numbers import parse_cardinal, parse_ordinal, parse_year, tokenize

MONTHS = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4,
    "apr": 4, "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8,
    "september": 9, "sep": 9, "sept": 9, "october": 10, "oct": 10, "november": 11, "nov": 11,
    "december": 12, "dec": 12,
}  # fmt: skip

_NUMERIC = [
    # (regex, group order): US month/day/year with / - . or spaces (spaces: "3 4 1955" as dictated)
    (re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})\b"), ("y", "m", "d")),
    (re.compile(r"(\d{1,2})\s*([/.\-])\s*(\d{1,2})\s*\2\s*(\d{4}|\d{2})\b"), ("m", None, "d", "y")),
    (re.compile(r"(\d{1,2})\s+(\d{1,2})\s+(\d{4})\b"), ("m", "d", "y")),
    (re.compile(r"(\d{1,2})(\d{2})(\d{4})\b"), ("m", "d", "y")),  # "03041955"
]
_LEAD = re.compile(r"[\s:,.\-#]*(?:(?:is|was|of|on)\s+)?[\s:,]*", re.IGNORECASE)

DateHit = tuple[str, int, int]  # (ISO date, start, end)


def _century(year: int, two_digit: bool, past: bool) -> int:
    """A two-digit year in the century that puts it at most this year (`past`: a date of
    birth) or next year (a date of service, which may be dictated ahead at a year's end):
    a legacy note's "10/26/95" is 1995, not 2095."""
    if not two_digit:
        return year
    this_year = dt.date.today().year % 100
    if year > this_year + (0 if past else 1):
        return 1900 + year
    return 2000 + year


def _make(year: int, month: int, day: int, two_digit: bool, past: bool) -> str | None:
    try:
        return dt.date(_century(year, two_digit, past), month, day).isoformat()
    except ValueError:
        return None


def _numeric_at(text: str, pos: int, past: bool) -> DateHit | None:
    for pattern, order in _NUMERIC:
        m = pattern.match(text, pos)
        if not m:
            continue
        parts = dict(zip(order, m.groups(), strict=True))
        iso = _make(int(parts["y"]), int(parts["m"]), int(parts["d"]), len(parts["y"]) == 2, past)
        if iso:
            return iso, m.start(), m.end()
    return None


def _spoken_at(text: str, pos: int, past: bool) -> DateHit | None:
    tokens = tokenize(text[pos : pos + 90], pos)
    words = [w for w, _, _ in tokens]
    if not words:
        return None

    def hit(year_p: tuple[int, int], month: int, day: int, first: int) -> DateHit | None:
        year, end_i = year_p
        iso = _make(year, month, day, year < 100, past)
        return (iso, tokens[first][1], tokens[end_i - 1][2]) if iso else None

    i = 1 if words[0] == "the" else 0
    # month-first: "march fourth nineteen fifty five", "March 4th, 1955"
    if i < len(words) and words[i] in MONTHS:
        day = parse_ordinal(words, i + 1)
        if day:
            after = day[1] + (1 if day[1] < len(words) and words[day[1]] == "of" else 0)
            year = parse_year(words, after)
            if year:
                return hit(year, MONTHS[words[i]], day[0], 0)
    # day-first: "the fourth of march nineteen fifty five", "4 March 1955"
    day = parse_ordinal(words, 0)
    if day:
        j = day[1] + (1 if day[1] < len(words) and words[day[1]] == "of" else 0)
        if j < len(words) and words[j] in MONTHS:
            year = parse_year(words, j + 1)
            if year:
                return hit(year, MONTHS[words[j]], day[0], 0)
    # all numbers spoken: "three four nineteen fifty five"
    month = parse_cardinal(words, 0)
    if month and 1 <= month[0] <= 12 and not words[0].isdigit():
        day = parse_ordinal(words, month[1])
        if day:
            year = parse_year(words, day[1])
            if year and year[0] >= 1000:
                return hit(year, month[0], day[0], 0)
    return None


def date_at(text: str, pos: int, past: bool = True) -> DateHit | None:
    """The date that starts at `pos` (after separators such as ':' or 'is'), or None.

    `past` picks the century of two-digit years: dates of birth lie in the past.
    """
    lead = _LEAD.match(text, pos)
    start = lead.end() if lead else pos
    return _numeric_at(text, start, past) or _spoken_at(text, start, past)
