"""A coded problem extended over the specifiers that follow it, where they make its code more
specific within the same ICD-10-CM category: "chronic kidney disease stage 3a" is N18.31, not
N18.9; "diabetes mellitus type 2 with diabetic nephropathy" E11.21, not E11.9 and a second
mention; "major depressive disorder recurrent severe without psychotic features" F33.2.

The lexicons name the condition, and a dictated assessment goes on to say its stage, severity
or complication; the ranker codes the whole phrase well (suggest_codes), but the mention
stopped at the lexicon's term. The words after a mention are read only while they are
specifiers (resources/specifier_words.txt), numbers, "with"/"without"/"due to"/"in", commas,
or another problem mention after with/without/due to/in, which the longer one then takes in
("with neurogenic claudication", M48.062). The longer text is kept only when its code is
another code of the same category (or of the stated type, "diabetes mellitus, type 1" E10.9,
or acuity, "renal failure, acute" N17.9) that still names the condition, ranked at least
MIN_SCORE:
a combination that moves the category ("hypertension with chronic kidney disease", I12.9), or
that the code book codes beside another ("with chronic kidney disease": E11.22 and N18.-), is
made across the note's problems by combinations.py.
"""

from __future__ import annotations

import re

from spacy.tokens import Doc, Span

from . import resources
from .coding import suggest_codes
from .combinations import DEFAULT_DIABETES, STATED_DIABETES, coded_also
from .normalize import LEVEL_WORDS
from .types import CodeSuggestion

MIN_SCORE = 0.77  # as for a site (sites.MIN_SITE_SCORE)
MAX_WORDS = 10
SPECIFIERS = frozenset(resources.read_lines("specifier_words.txt"))
# Words that may join specifiers but do not end one: "major depressive disorder, single
# episode, moderate" is dictated with commas.
CONNECTORS = frozenset({"with", "without", "due", "to", "in", ","})
# Words after which another mention is part of this one ("with diabetic nephropathy"); not a
# comma, which also lists conditions ("right femur fracture, right femoral neck fracture").
JOINS = CONNECTORS - {","}
_LEVEL = re.compile(r"(?:\d+[a-z]?|[ivx]+[abc]?)\.?")  # "3a", "IV", "III." ending a sentence
# Words that need their value: a text ending in them ("chronic kidney disease, stage") ranked
# stage 1 (N18.1).
_NEEDS_VALUE = LEVEL_WORDS
_WORD = re.compile(r"[a-z]+")
ACUITY = frozenset({"acute", "chronic", "subacute"})
# Categories that are one condition by type: "diabetes mellitus" is coded type 2 (E11) when no
# type is stated (I.C.4.a.2), so "diabetes mellitus, type 1" moves it to E10.
_BY_TYPE = (frozenset({DEFAULT_DIABETES, *STATED_DIABETES}),)
_NOT_NAMES = frozenset({"unspecified", "other", "without", "complications"})


def specified(
    doc: Doc,
    span: Span,
    codes: tuple[CodeSuggestion, ...],
    mentions: dict[int, Span],
    blocked: set[int],
) -> tuple[Span, tuple[CodeSuggestion, ...], list[Span]] | None:
    """(the longer span, its codes, the mentions it takes in), or None. `mentions`: the other
    problem mentions by first token; `blocked`: tokens no mention may take in."""
    if not codes:
        return None
    ends: list[tuple[int, list[Span]]] = []
    absorbed: list[Span] = []
    joined = False  # a "with"/"without"/... since the last mention taken in
    commas = False
    i = span.end
    while i < len(doc) and i - span.end < MAX_WORDS and not doc[i].is_sent_start:
        if i in blocked:
            break
        lower = doc[i].lower_
        known = lower in SPECIFIERS or lower in CONNECTORS or _LEVEL.fullmatch(lower)
        if not (i in mentions or known):
            # After "with", a word or two may qualify the mention it names: "with (severe)
            # neurogenic claudication" (M48.062).
            ahead = [j for j in (i + 1, i + 2) if j in mentions]
            if not (joined and ahead and all(t.is_alpha for t in doc[i : ahead[0]])):
                break
            if any(j in blocked for j in range(i, ahead[0])):
                break
            i = ahead[0]
        other = mentions.get(i)
        if other is not None:
            if not joined or _coded_beside(other):
                break
            absorbed.append(other)
            i, joined = other.end, False
            ends.append((i, list(absorbed)))
            continue
        i += 1
        joined = joined or lower in JOINS
        commas = commas or lower == ","
        # After a comma the words must close the phrase: in "no DVT, acute arthritis" "acute"
        # is the next entry's.
        closed = not commas or _closes(doc, i)
        if lower not in CONNECTORS and lower not in _NEEDS_VALUE and closed:
            ends.append((i, list(absorbed)))
        if lower.endswith("."):
            break  # "stage III." ends its sentence
    category = codes[0].code[:3]
    named = _main_words(codes[0].description)
    for end, taken in reversed(ends):
        text = doc[span.start : end].text
        found = suggest_codes(text, k=3)
        if (
            found
            and found[0].score >= MIN_SCORE
            and found[0].code != codes[0].code
            and (_same_condition(found[0].code[:3], category) or _acuity_only(doc[span.end : end]))
            and not named.isdisjoint(_WORD.findall(found[0].description.lower()))
            # "Other osteoporosis without current pathological fracture" (M81.8) is a type the
            # words did not name; the condition's default (M81.0) stays.
            and (not found[0].description.lower().startswith("other ") or "other" in text.lower())
        ):
            return Span(doc, span.start, end, label=span.label), found, taken
    return None


def _acuity_only(words: Span) -> bool:
    """Only an acuity after the condition ("Renal failure, acute"): ICD-10-CM files acute and
    chronic forms in categories of their own (N17.9, not N19; J20.9, not J40)."""
    said = {t.lower_ for t in words if t.is_alpha}
    return bool(said) and said <= ACUITY


def _same_condition(category: str, other: str) -> bool:
    return category == other or any({category, other} <= kinds for kinds in _BY_TYPE)


def _coded_beside(mention: Span) -> bool:
    """A mention whose code a combination leaves coded beside it: "diabetes with chronic
    kidney disease stage 3" is E11.22 and N18.30 (combinations.py), so the stage's mention
    stays its own."""
    codes = mention._.icd10cm
    return bool(codes) and codes[0].code.startswith(coded_also())


def _closes(doc: Doc, i: int) -> bool:
    return i == len(doc) or doc[i].is_punct or doc[i].is_space or doc[i].is_sent_start


def _main_words(description: str) -> set[str]:
    """The words that name the condition in a code's description (before its first comma):
    the longer text's code must still name it. "Hypospadias with chordee" ranked Q54.4,
    congenital chordee, whose inclusion term is "chordee without hypospadias"."""
    head = description.lower().split(",")[0]
    return {w for w in _WORD.findall(head) if len(w) >= 5} - _NOT_NAMES
