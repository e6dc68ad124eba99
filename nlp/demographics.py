"""Demographics with evidence spans into the original text: names (names.py), date of birth,
date of service, MRN, age and sex, from typed headers or dictated phrases.

Everything works on the raw text with case-insensitive patterns (speech recognisers add
capitals and punctuation anywhere), so spans are exact character offsets.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from spacy.language import Language
from spacy.tokens import Doc

from . import resources
from .dates import date_at
from .doctext import doc_text
from .fastregex import Caseless
from .names import find_patient_name, find_provider
from .numbers import NUMBER_WORDS, UNITS, parse_cardinal, parse_digit_string, tokenize
from .types import DEMOGRAPHIC_FIELDS, Field

_FAMILY = frozenset(resources.read_json("demographics.json")["family_words"])
# Words naming a relative (not "her", "his", "baby": "a 3-week-old baby boy" is the patient).
_RELATIVES = _FAMILY - {"her", "his", "their", "baby", "partner"}
# Relatives that, right after an age, are someone else: "lives with parents; 4-year-old son".
# Not "child" or "mother": "this 1-year-old child", "a 31-year-old mother of two" are patients.
_YOUNGER_RELATIVES = frozenset(
    {"son", "daughter", "brother", "sister", "sibling", "cousin", "grandson", "granddaughter"}
)

# Label patterns are Caseless (fastregex.py): their matches are on the lower-cased text, so
# only their offsets and lower-case groups are used.
_DOB_LABEL = Caseless(
    r"\b(?:date[ \t]+of[ \t]+birth|d\.?[ \t]?o\.?[ \t]?b\b\.?|birth[ \t]*date|birthdate|birthday"
    r"|born(?:[ \t]+on)?)"
)
# A misheard one before a date ("based on birth", tiny.en's "date of birth"): find_dob.
_HEARD_BIRTH = Caseless(r"\b[a-z]+[ \t]+o[fn][ \t]+birth\b")


def _date_label(kinds: str) -> Caseless:
    """ "Date of service", "service date" and the like for each kind in `kinds`."""
    return Caseless(rf"\b(?:date[ \t]+of[ \t]+(?:{kinds})|(?:{kinds})[ \t]+date)")


# (label, confidence): the service date proper, then dates that usually equal it.
_DOS_LABELS = [
    (_date_label("service|visit|encounter"), 0.95),
    (Caseless(r"\bd\.?o\.?s\b\.?"), 0.95),
    (_date_label("exam|examination|consultation|procedure|operation|surgery|study"), 0.9),
    (Caseless(r"^[ \t]*date[ \t]*:", re.MULTILINE), 0.75),
    (_date_label("admission|discharge"), 0.7),
    # "seen on ...", and in a letter "I saw Mr. Williams today, 11/18/2026"; not a visit before
    # ("last seen on", "first seen by me on") nor the patient's ("he saw X on ...").
    (
        Caseless(
            r"(?<!last )(?<!first )(?<!previously )(?<!initially )"
            r"\b(?:seen|(?:i|we)[ \t]+saw|evaluated|examined)"
            r"\b(?:[ \t]+on\b|[^\n]{0,40}?\btoday\b)[ \t,]*"
        ),
        0.7,
    ),
]
_MRN_LABEL = Caseless(
    r"\b(?:medical[ \t]+record[ \t]+(?:number|no\b\.?|num\b|#)|med(?:ical)?[ \t]+rec(?:ord)?[ \t]*#"
    r"|m\.?[ \t]?r\.?[ \t]?n\b\.?|mr[ \t]*(?:#|no\b\.?|number)"
    r"|(?:record|chart|hospital)[ \t]+(?:number|no\b\.?|#)"
    r"|patient[ \t]+(?:id|number)\b|medical[ \t]+record)"
)
_MRN_LEAD = re.compile(r"[ \t]*(?:is\b|was\b)?[ \t:#.,\-]*(?:is\b)?[ \t]*", re.IGNORECASE)
_MRN_TYPED = re.compile(r"(?=[A-Za-z\-]{0,4}\d)[A-Za-z0-9][A-Za-z0-9\-]{2,19}\b")
_NUMBER_WORD = "|".join(sorted(NUMBER_WORDS, key=len, reverse=True))
_NUM = rf"(?:\d{{1,3}}|(?:{_NUMBER_WORD})(?:[ \t-]+(?:{_NUMBER_WORD}))*)"
_HALF = r"(?:[ \t-]+1/2|[ \t-]+and[ \t-]+(?:a|one)[ \t-]+half)?"  # "3-1/2-year-old": 3
_AGE_PATTERNS = [
    # "67-year-old", "3-week-old"; "5-year, 8-month-old" and "1-month-26-day-old" are the
    # larger unit (one pattern: a second one for them doubled find_age's time).
    (
        Caseless(
            rf"(?<![/\d])\b(?P<num>{_NUM}){_HALF}[ \t-]*"
            r"(?P<unit>years?|yrs?|months?|weeks?|days?)"
            rf"(?:[ \t,-]+(?:and[ \t]+)?{_NUM}[ \t-]*(?:months?|weeks?|days?))?[ \t-]*old\b"
        ),
        0.9,
    ),
    (Caseless(r"\b(?P<num>\d{1,3})[ \t]*(?:y/o|y\.o\.|yo|yr old)(?![A-Za-z])"), 0.85),
    (Caseless(rf"\b(?P<num>{_NUM})[ \t]+years?[ \t]+of[ \t]+age\b"), 0.9),
    (
        Caseless(
            rf"\b(?:age|aged)[ \t]*(?::|is)?[ \t]*(?P<num>{_NUM})\b"
            r"(?![ \t]*(?:months?|weeks?|days?))"
        ),
        0.85,
    ),
]
_SEX_WORDS = {
    "male": "male", "man": "male", "gentleman": "male", "boy": "male", "m": "male",
    "female": "female", "woman": "female", "lady": "female", "girl": "female", "f": "female",
}  # fmt: skip
_SEX_AFTER_AGE = Caseless(
    r"(?:years?|yrs?|months?|weeks?|days?)[ \t-]*old[ \t,]+(?:[A-Za-z\-]+[ \t]+){0,3}?"
    r"(?P<sex>male|female|man|woman|gentleman|lady|boy|girl)\b"
)
# Abbreviated, in capitals: "45 yo M", "67 y/o F", "54 y/o RHF" (right-handed female), "a 45M".
_SEX_ABBREVIATED = re.compile(
    r"\b\d{1,3}[ \t-]*(?:y/o|y\.o\.|yo|yrs?)[ \t,]+(?:[RL]H)?(?P<sex>[MFW])\b"
    r"|\b[Aa][ \t]+\d{1,3}(?P<glued>[MF])\b"
)
_SEX_LETTERS = {"M": "male", "F": "female", "W": "female"}
_SEX_LABEL = Caseless(r"\b(?:sex|gender)[ \t]*(?::|is)?[ \t]*(?P<sex>male|female|m|f)\b")
_PRONOUNS = {
    "female": Caseless(r"\b(?:she|her|hers|herself)\b"),
    "male": Caseless(r"\b(?:he|him|his|himself)\b"),
}


def _words_before(text: str, start: int, chars: int = 25) -> list[str]:
    return re.findall(r"[A-Za-z']+", text[max(0, start - chars) : start].lower())


def _is_relative(word: str, relatives: frozenset[str] = _RELATIVES) -> bool:
    """`word` (lower case) or its singular names one of `relatives` ("sons", "daughter")."""
    return word in relatives or word.removesuffix("s") in relatives


def find_dob(text: str) -> Field | None:
    for m in _DOB_LABEL.finditer(text):
        if m.group().startswith("born") and any(map(_is_relative, _words_before(text, m.start()))):
            continue  # "she has one child, a son, born on October 31, 2008"
        hit = date_at(text, m.end(), past=True)
        if hit:
            colon = ":" in text[m.end() : hit[1]]
            return Field(hit[0], hit[1], hit[2], 0.95 if colon else 0.9)
    # A misheard label ("based on birth, 03/04/1955": tiny.en for "date of birth"): any
    # "... of/on birth" right before a date, less sure.
    for m in _HEARD_BIRTH.finditer(text):
        hit = date_at(text, m.end(), past=True)
        if hit:
            return Field(hit[0], hit[1], hit[2], 0.75)
    return None


def find_date_of_service(text: str) -> Field | None:
    for pattern, confidence in _DOS_LABELS:
        for m in pattern.finditer(text):
            hit = date_at(text, m.end(), past=False)
            if hit:
                return Field(hit[0], hit[1], hit[2], confidence)
    return None


def find_mrn(text: str) -> Field | None:
    for m in _MRN_LABEL.finditer(text):
        lead = _MRN_LEAD.match(text, m.end())
        pos = lead.end() if lead else m.end()
        window = re.split(r"[\n;]|\.(?:\s|$)", text[pos : pos + 160])[0]
        tokens = tokenize(window, pos)
        if not tokens:
            continue
        first = tokens[0][0]
        if first.isdigit() or first in UNITS or first in NUMBER_WORDS - {"and", "first", "second"}:
            parsed = parse_digit_string(_digit_words(tokens), 0)
            if parsed and len(parsed[0]) >= 3:
                end = tokens[parsed[1] - 1][2]
                # One typed run of digits is surer than digits pieced together from speech.
                return Field(parsed[0], tokens[0][1], end, 0.95 if parsed[1] == 1 else 0.85)
        typed = _MRN_TYPED.match(text, pos)
        if typed and sum(c.isdigit() for c in typed.group()) >= 3:
            return Field(typed.group().upper(), typed.start(), typed.end(), 0.9)
    return None


_AGE_UNITS = frozenset({"year", "years", "yr", "yrs", "yo", "old", "month", "months"})
_HOMOPHONE_DIGITS = {"to": "2", "too": "2", "for": "4", "oh": "0"}


def _digit_words(tokens: list[tuple[str, int, int]]) -> list[str]:
    """Words of a spoken identifier: one kind only (digits or words), and no trailing age
    ("... one nine sixty seven year old" keeps "one nine")."""
    words = [w for w, _, _ in tokens]
    kind = words[0].isdigit()
    if kind:
        # A digit said between digits and heard as its homophone: "447 to 19" is 447219, not
        # an MRN of 447 (tiny.en, medical record number "four four seven two one nine").
        for n in range(1, len(words) - 1):
            if words[n] in _HOMOPHONE_DIGITS and words[n - 1].isdigit() and words[n + 1].isdigit():
                words[n] = _HOMOPHONE_DIGITS[words[n]]
    for n, w in enumerate(words):
        if w.isdigit() != kind:
            return words[:n]
        parsed = None if w.isdigit() else parse_cardinal(words, n)
        if n and parsed and parsed[1] < len(words) and words[parsed[1]] in _AGE_UNITS:
            return words[:n]
    return words


def _age_value(phrase: str) -> int | None:
    words = [w for w, _, _ in tokenize(phrase)]
    for i in range(len(words)):  # longest suffix that is one number ("a sixty seven" -> 67)
        parsed = parse_cardinal(words, i)
        if parsed and parsed[1] == len(words):
            return parsed[0]
    return None


def find_age(text: str) -> Field | None:
    for pattern, confidence in _AGE_PATTERNS:
        for m in pattern.finditer(text):
            before = _words_before(text, m.start())
            if (before and before[-1] in _FAMILY) or (len(before) > 1 and before[-2] in _FAMILY):
                continue  # "her 45-year-old son"
            after = re.match(r"[ \t]*([A-Za-z']+)", text[m.end() : m.end() + 20])
            if after and _is_relative(after.group(1).lower(), _YOUNGER_RELATIVES):
                continue  # "lives with mom and dad; 4-year-old son"
            value = _age_value(m.group("num"))
            if value is not None and 0 < value <= 120:
                return Field(
                    _age_text(value, m.groupdict().get("unit")), m.start(), m.end(), confidence
                )
    return None


def _age_text(value: int, unit: str | None) -> str:
    """Years as a bare number ("67"); an infant's age with its unit ("3 weeks", "1 month")."""
    unit = (unit or "year").lower().rstrip("s")
    if unit in ("year", "yr"):
        return str(value)
    return f"{value} {unit}{'' if value == 1 else 's'}"


def find_sex(text: str) -> Field | None:
    m = _SEX_LABEL.search(text)
    if m and (len(m.group("sex")) > 1 or ":" in m.group()):
        return Field(_SEX_WORDS[m.group("sex").lower()], m.start("sex"), m.end("sex"), 0.95)
    m = _SEX_AFTER_AGE.search(text)
    if m:
        return Field(_SEX_WORDS[m.group("sex").lower()], m.start("sex"), m.end("sex"), 0.9)
    m = _SEX_ABBREVIATED.search(text)
    if m:
        group = "sex" if m.group("sex") else "glued"
        return Field(_SEX_LETTERS[m.group(group)], m.start(group), m.end(group), 0.85)
    # Last resort: pronouns, only when one kind clearly dominates; low confidence for review.
    counts = {sex: pattern.findall(text) for sex, pattern in _PRONOUNS.items()}
    female, male = len(counts["female"]), len(counts["male"])
    for sex, mine, other in (("female", female, male), ("male", male, female)):
        if (mine >= 2 and mine >= 4 * max(other, 1)) or (mine >= 2 and other == 0):
            first = _PRONOUNS[sex].search(text)
            assert first is not None
            return Field(sex, first.start(), first.end(), 0.4)
    return None


_FINDERS: dict[str, Callable[[str], Field | None]] = {
    "date_of_birth": find_dob,
    "sex": find_sex,
    "age": find_age,
    "mrn": find_mrn,
    "date_of_service": find_date_of_service,
    "provider": find_provider,
}


def extract_demographics(text: str) -> dict[str, Field | None]:
    name = find_patient_name(text)
    found: dict[str, Field | None] = {"first_name": name.first, "last_name": name.last}
    for key, finder in _FINDERS.items():
        found[key] = finder(text)
    return {key: found.get(key) for key in DEMOGRAPHIC_FIELDS}


if not Doc.has_extension("demographics"):
    Doc.set_extension("demographics", default=None)


@Language.component("chartdrop_demographics")
def demographics_component(doc: Doc) -> Doc:
    doc._.demographics = extract_demographics(doc_text(doc))
    return doc
