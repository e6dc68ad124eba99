"""Person names after a label: the patient's ("Patient: LOPEZ, MARIA", "patient name maria lopez",
"dictating on maria lopez") and the provider's ("Dictated by: Dr. Alan Grant",
"this is doctor alan grant dictating").

Names are read word by word from the label on, stopping at a stop word (resources/
demographics.json), a line break or punctuation, so that dictations with no punctuation
("patient maria lopez date of birth ...") still give clean names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from chartdrop.english import english_words

from . import resources
from .fastregex import Caseless
from .types import Field

_DATA = resources.read_json("demographics.json")
STOPWORDS = frozenset(_DATA["name_stopwords"])
OTHER_PERSON = frozenset(_DATA["other_person_name_words"])

_WORD = re.compile(r"([ \t]*)(,?)[ \t]*([A-Za-z][A-Za-z'\u2019\-]*)(\.?)")
_TITLE = re.compile(r"(?:dr\b\.?|doctor\b)[ \t]*", re.IGNORECASE)
_SUFFIX = re.compile(
    r",?[ \t]*(?:M\.?D\b\.?|D\.?O\b\.?|N\.?P\b\.?|PA-C\b|P\.?A\b\.?)", re.IGNORECASE
)
_SEP = r"[ \t]*(?:[:#,\-]|is\b|was\b)?[ \t,]*"

Word = tuple[str, int, int]


@dataclass(frozen=True, slots=True)
class PersonName:
    first: Field | None
    last: Field | None


def capitalise(word: str) -> str:
    """Title-case a name said or typed in one case ("LOPEZ", "o'brien"); keep "McDonald"."""
    if not (word.islower() or word.isupper()):
        return word
    return re.sub(
        r"(^|['\u2019\-])([a-z])", lambda m: m.group(1) + m.group(2).upper(), word.lower()
    )


def name_words(text: str, pos: int, max_words: int = 4) -> tuple[list[Word], int | None]:
    """Name-like words from `pos`, and the index of the word after a comma ("LOPEZ, MARIA")."""
    words: list[Word] = []
    comma_at: int | None = None
    p = pos
    while len(words) < max_words:
        m = _WORD.match(text, p)
        if not m or (m.group(2) and not words):
            break
        word = m.group(3)
        if word.lower().strip("'\u2019-") in STOPWORDS or len(word.strip("'\u2019-")) == 0:
            break
        if m.group(2):
            if comma_at is not None:
                break
            comma_at = len(words)
        words.append((word, m.start(3), m.end(3)))
        p = m.end()
        # A period after a full word ends the sentence; after one letter it is an initial.
        if m.group(4) and len(word) > 1:
            break
    return words, comma_at


def split_name(words: list[Word], comma_at: int | None) -> tuple[Word | None, Word | None]:
    """(first, last) from words read after a label; initials are skipped."""
    if comma_at == 1 and len(words) >= 2:
        last, rest = words[0], [w for w in words[1:] if len(w[0]) > 1]
        return (rest[0] if rest else None), last
    if comma_at is not None:
        words = words[:comma_at]
    full = [w for w in words if len(w[0]) > 1]
    if len(full) >= 2:
        return full[0], full[-1]
    return None, None


def _field(word: Word | None, confidence: float) -> Field | None:
    if word is None:
        return None
    return Field(capitalise(word[0]), word[1], word[2], confidence)


# (pattern ending where the name starts, confidence). Typed labels need a colon.
# Caseless (fastregex.py): matches are on the lower-cased text; only offsets are used.
_NAME_CHARS = r"[A-Za-z'\u2019\-]+"
_PATIENT_LABELS = [
    (Caseless(r"\b(?:patient(?:'s)?|pt\.?)[ \t]*name" + _SEP), 0.95),
    (Caseless(r"(?:^|(?<=[\s|]))(?:patient|pt\.?|name|re|regarding|subject)[ \t]*:[ \t,]*"), 0.93),
    (
        Caseless(
            r"\bdictat\w*\b[^.\n]{0,60}?\b(?:on|for|regarding)[ \t]+(?:the[ \t]+)?"
            r"(?:patient[ \t,]+)?(?:named[ \t]+)?"
        ),
        0.85,
    ),
    (Caseless(r"\b(?:mr|mrs|ms|miss)\b\.?[ \t]+"), 0.6),
]


# A name said without a label of its own: "Patient Maria Lopez, date of birth ...", "the
# patient, Maria Lopez, is ...", "Maria Lopez, DOB ...". Only capitalised words are read, and
# only those the system word list knows as a name ("Lopez", "Grant") or does not know at all
# (a rarer surname): "Patient Education Materials" or "Patient Denies Chest Pain" is no name.
_TWO_CAPITALISED = r"[A-Z][a-z'\u2019\-]+[ \t]+[A-Z][a-z'\u2019\-]+"
_SAID_NAME_LABELS = [
    (
        re.compile(rf"\b[Pp]atient(?:[ \t]*,[ \t]*|[ \t]+(?:is[ \t]+)?)(?={_TWO_CAPITALISED}\b)"),
        0.8,
    ),
    (
        re.compile(
            rf"(?<![A-Za-z,][ \t])(?<![A-Za-z])(?={_TWO_CAPITALISED},?[ \t]+"
            r"(?:date of birth|[Dd]ate of [Bb]irth|DOB|D\.O\.B\.|born|MRN|medical record))"
        ),
        0.85,
    ),
]


def _name_like(word: Word) -> bool:
    """A capitalised word that the word list knows as a name, or does not know at all."""
    text = word[0]
    known = english_words()
    return text[:1].isupper() and (text in known or text.lower() not in known)


def _said_name(text: str) -> tuple[float, int, PersonName] | None:
    """The first name said without a label (above), as (confidence, offset, name)."""
    if not english_words():
        return None  # without the word list, Title Case words cannot be told from names
    for pattern, confidence in _SAID_NAME_LABELS:
        for m in pattern.finditer(text):
            words, comma_at = name_words(text, m.end(), max_words=3)
            first, last = split_name(words, comma_at)
            if first is None or last is None or not (_name_like(first) and _name_like(last)):
                continue
            return (
                confidence,
                m.start(),
                PersonName(_field(first, confidence), _field(last, confidence)),
            )
    return None


def _preceding_word(text: str, pos: int) -> str:
    m = re.search(r"([A-Za-z'\u2019]+)[ \t]*$", text[max(0, pos - 30) : pos])
    return m.group(1).lower() if m else ""


def find_patient_name(text: str) -> PersonName:
    best: tuple[float, int, PersonName] | None = None
    for pattern, confidence in _PATIENT_LABELS:
        for m in pattern.finditer(text):
            if _preceding_word(text, m.start()) in OTHER_PERSON:
                continue  # "Physician name:", "Emergency contact name:"
            if m.group().lower().startswith("name") and _preceding_word(text, m.start()):
                continue  # a bare "Name:" after other words names something else ("Model Name:")
            words, comma_at = name_words(text, m.end())
            first, last = split_name(words, comma_at)
            title_only = pattern is _PATIENT_LABELS[-1][0]
            if title_only and last is None and len(words) == 1 and len(words[0][0]) > 1:
                last = words[0]  # "Mrs. Lopez": surname only
            if last is None or (title_only and _is_provider_title(text, m.start())):
                continue
            found = PersonName(_field(first, confidence), _field(last, confidence))
            if best is None or confidence > best[0]:
                best = (confidence, m.start(), found)
            break  # the first hit of a label is the header; later ones are usually narrative
    said = _said_name(text)
    if said is not None and (best is None or said[0] > best[0]):
        best = said
    return best[2] if best else PersonName(None, None)


def _is_provider_title(text: str, pos: int) -> bool:
    return bool(re.search(r"\b(?:dr|doctor)\.?[ \t]*$", text[max(0, pos - 10) : pos], re.I))


_PROVIDER_LABELS: list[tuple[Caseless | re.Pattern[str], float]] = [
    (
        Caseless(
            r"\b(?:dictated|dictation|signed|electronically[ \t]+signed|authenticated)"
            r"[ \t]+by[ \t]*:?[ \t]*"
        ),
        0.93,
    ),
    (
        Caseless(
            r"\b(?:(?:dictating|attending|rendering|treating|primary)?[ \t]*"
            r"(?:physician|provider|surgeon|doctor|clinician)|attending|author)[ \t]*:[ \t]*"
        ),
        0.93,
    ),
    # Dictated without the colon: "dictating physician Doctor Alan Grant", "attending physician
    # is Dr. Alan Grant". The role word is required; "is"/"was" only before a title ("the
    # attending surgeon was present throughout" names no one).
    (
        Caseless(
            r"\b(?:dictating|attending|rendering|treating)[ \t]+"
            r"(?:physician|provider|surgeon|doctor|clinician)\b[ \t]*"
            r"(?:,[ \t]*|(?:is|was)[ \t]+(?=dr\b|doctor\b))?"
        ),
        0.88,
    ),
    (Caseless(r"\bthis[ \t]+is[ \t]+(?=(?:dr\b|doctor\b))"), 0.9),
    (
        Caseless(
            rf"\bthis[ \t]+is[ \t]+(?={_NAME_CHARS}[ \t]+{_NAME_CHARS}[ \t,]+"
            r"(?:m\.?d\.?[ \t,]+)?dictating)"
        ),
        0.85,
    ),
    # A signature line: "Alan Grant, MD"
    (
        re.compile(
            r"(?m)^[ \t]*(?=(?:dr\.?[ \t]+)?[A-Z][a-z]+(?:[ \t]+[A-Z]\.?)?[ \t]+[A-Z][A-Za-z'\-]+"
            r",?[ \t]+(?:M\.?D\b|D\.?O\b))"
        ),
        0.7,
    ),
]


def find_provider(text: str) -> Field | None:
    best: Field | None = None
    for pattern, confidence in _PROVIDER_LABELS:
        for m in pattern.finditer(text):
            if re.search(r"referr", text[max(0, m.start() - 12) : m.end()], re.I):
                continue  # the referring physician is not the author; the next label may be
            found = _provider_at(text, m.end(), confidence)
            if found and (best is None or found.confidence > best.confidence):
                best = found
            break
    return best


def _provider_at(text: str, pos: int, confidence: float) -> Field | None:
    title = _TITLE.match(text, pos)
    start = pos
    words, comma_at = name_words(text, title.end() if title else pos, max_words=3)
    if comma_at is not None:
        words = words[:comma_at]
    if not words or (len(words) == 1 and not title):
        return None
    end = words[-1][2]
    suffix = _SUFFIX.match(text, end)
    if suffix:
        end = suffix.end()
    names = " ".join(capitalise(w[0]) + ("." if len(w[0]) == 1 else "") for w in words)
    value = f"Dr. {names}" if title else names
    if suffix and not title:
        value += ", " + re.sub(r"[\s,]", "", suffix.group()).upper().replace("M.D.", "MD")
    return Field(value, start, end, confidence)
