"""Word tables for the dictation formatter (ingest/dictation.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Spoken commands -> symbol. "SCRATCH" removes the phrase/sentence before it.
COMMANDS: dict[tuple[str, ...], str] = {
    tuple(spoken.split()): symbol
    for spoken, symbol in (
        ("new paragraph", "\n\n"),
        ("next paragraph", "\n\n"),
        ("new line", "\n"),
        ("next line", "\n"),
        ("full stop", "."),
        ("period", "."),
        ("comma", ","),
        ("colon", ":"),
        ("semicolon", ";"),
        ("semi colon", ";"),
        ("question mark", "?"),
        ("exclamation mark", "!"),
        ("exclamation point", "!"),
        *((f"open {p}", "(") for p in ("parenthesis", "parentheses", "paren", "bracket")),
        *((f"close {p}", ")") for p in ("parenthesis", "parentheses", "paren", "bracket")),
        ("dash", "-"),
        ("hyphen", "-"),
        ("slash", "/"),  # "s slash p" -> s/p, "one slash eighteen" -> 1/18
        ("forward slash", "/"),
        ("scratch that", "SCRATCH"),
        ("strike that", "SCRATCH"),
        ("delete that", "SCRATCH"),
    )
}
MAX_COMMAND = max(len(k) for k in COMMANDS)

# "period" and "colon" are also clinical nouns: these neighbours keep them words.
NOUN_BEFORE = {
    "period": _words(
        "a the this that menstrual last postoperative perioperative postpartum refractory "
        "incubation trial same short long time each recovery observation washout neonatal"
    ),
    "colon": _words(
        "a the sigmoid ascending descending transverse right left entire distal proximal "
        "of spastic irritable his her"
    ),
}
NOUN_AFTER = {
    "period": _words("of"),
    "colon": _words("cancer carcinoma polyp polyps mass resection wall and"),
}

UNITS: dict[str, str] = {
    **dict.fromkeys(("milligram", "milligrams", "mg", "mgs"), "mg"),
    **dict.fromkeys(("microgram", "micrograms", "mcg"), "mcg"),
    **dict.fromkeys(
        ("milliliter", "milliliters", "millilitre", "millilitres", "ml", "cc", "ccs"), "mL"
    ),
    **dict.fromkeys(("gram", "grams"), "g"),
    **dict.fromkeys(("kilogram", "kilograms", "kg"), "kg"),
    **dict.fromkeys(("milliequivalent", "milliequivalents", "meq"), "mEq"),
    "percent": "%",
    "unit": "units",
    "units": "units",
}
# Words after which a small number word is written as digits ("two tablets").
COUNT_CONTEXT = frozenset(UNITS) | _words(
    "tablet tablets capsule capsules puff puffs drop drops times day days week weeks month "
    "months year years hour hours minute minutes liter liters -year -day -week -month x mmhg "
    "beats breaths cm mm inches pounds lb"
)
# Values a physician says with the hundred left unsaid ("sodium one thirty-eight": 138,
# "heart rate one ten": 110, "platelets two fifty"), and the words that may come between.
HUNDREDS_LABELS = _words(
    "sodium chloride glucose sugar sugars platelet platelets pulse rate weight weighs "
    "cholesterol triglycerides ldl hdl systolic"
)
HUNDREDS_FILLERS = _words("is was of at : ,")
SENTENCE_END = frozenset({".", "?", "!", "\n", "\n\n"})
SCRATCH_BOUNDARY = SENTENCE_END | {":", ";"}
ACRONYMS = _words(
    "copd chf cabg mri ekg ecg cbc bmp cmp ct hiv uti gerd dvt pe mi cad icu er ed bp hr iv "
    "prn bid tid qid po npo qhs ent dob mrn ssn usa"
)
AGE_UNITS = _words("year month week day")  # "a 62 year old" -> a 62-year-old
# Words written one way whatever Whisper heard: "A one C" is A1c.
FIXED_FORMS: dict[tuple[str, ...], str] = {("a", "one", "c"): "A1c", ("a1c",): "A1c"}
# A letter after these names a kind, in capitals: vitamin D, hepatitis C.
LETTER_KINDS = _words("vitamin hepatitis")
# Dosing abbreviations that Whisper writes as lower-case letters ("b i d"): spelled out
# though no capital starts them (one-letter lower-case words are otherwise words: "a", "i").
SPELLED_LOWER = _words("bid tid qid prn po npo qhs")
LEAD = re.compile("^[(\\[\"'\u201c\u2018-]+")
TRAIL = re.compile("[)\\]\"'\u201d\u2019.,;:?!]+$")
LETTERS = re.compile(r"^(?:[A-Za-z][.-]){1,}[A-Za-z]?\.?$|^[A-Za-z]\.?$")
DIGITS = re.compile(r"^\d+$")


@dataclass(slots=True)
class Item:
    """A piece of the dictation being formatted, with its source word range."""

    text: str
    first: int
    last: int
    kind: str = "word"  # word | punct (".,:;?!") | open | close | join | break | scratch

    def span(self, other: Item) -> tuple[int, int]:
        return min(self.first, other.first), max(self.last, other.last)


def lowered(item: Item | None) -> str:
    return item.text.lower() if item is not None and item.kind == "word" else ""
