"""An injury code's 7th character from what the note states about the fracture and the
encounter: "Open fracture of the right tibia" is S82.201B, not S82.201A; "Grade 1 compound
fracture" B; "Gustilo type IIIB" C; "nonunion of the left tibial shaft fracture" S82.202K;
"malunion" P; "delayed union" G; "here for follow-up of her left wrist fracture" D (routine
healing); "sequela of right hip fracture" S.

The ranker codes a fracture as ICD-10-CM's default, closed and the initial encounter
(coding.CLOSED_FRACTURE). The character is looked up among the code's own siblings by what
their descriptions say ("subsequent encounter for open fracture type I or II with nonunion"),
so a category whose 7th characters differ ("initial encounter for open fracture" of the skull,
no malunion for ribs) keeps the code where it has no such sibling. Cues are read only in the
mention's words and the few words before it, never the whole note: operative consents list
"risk of nonunion, malunion" beside every fracture.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from spacy.tokens import Doc, Span

from .types import CodeSuggestion

# 7th characters of ICD-10-CM injury codes; a code with one has a letter in position 8.
SEVENTH_CHARACTERS = "ABCDEFGHJKMNPQRS"
BEFORE_WORDS = 6  # "here for follow-up of her [left wrist fracture]"

_OPEN = re.compile(r"\b(?:open|compound)\b(?! reduction)")
_TYPE_III = re.compile(r"\b(?:type|grade|gustilo)\s+(?:3|iii)(?:\s*[abc])?\b")
_NONUNION = re.compile(r"\bnon-?union\b")
_MALUNION = re.compile(r"\bmal-?union\b")
_DELAYED = re.compile(r"\bdelayed (?:union|healing)\b")
_SEQUELA = re.compile(r"\b(?:sequelae?|late effects?) of\b")
# A visit for the fracture after its treatment ("here for follow-up of her ..."), not a plan
# ("follow up with orthopedics in 1 week" after an initial visit).
_FOLLOW_UP = re.compile(
    r"\bfor (?:a |an |her |his |their )?(?:routine )?follow[- ]?up "
    r"(?:visit |evaluation )?(?:of|for|on)\b"
)
_HEALING = re.compile(r"\bhealing\b")


@dataclass(frozen=True, slots=True)
class Encounter:
    stage: str = "initial"  # initial, subsequent, sequela
    kind: str = "closed"  # closed, open, open3 (Gustilo type III)
    healing: str | None = None  # routine, delayed, nonunion, malunion (subsequent only)


def is_injury(code: str) -> bool:
    """An injury code with a 7th character ("S82.201A")."""
    return len(code) == 8 and code[0] in "ST" and code[-1] in SEVENTH_CHARACTERS


def stated_encounter(doc: Doc, span: Span) -> Encounter | None:
    """What the mention and the words just before it state, or None for the default (closed,
    initial encounter)."""
    sentence = span.sent if doc.has_annotation("SENT_START") else doc[:]
    start = max(sentence.start, span.start - BEFORE_WORDS)
    before = doc[start : span.start].text.lower()
    near = f"{doc[max(start, span.start - 2) : span.start].text} {span.text}".lower()
    kind = "closed"
    if _OPEN.search(near):
        kind = "open3" if _TYPE_III.search(sentence.text.lower()) else "open"
    if _SEQUELA.search(before):
        return Encounter("sequela", kind)
    for healing, pattern, text in (
        ("nonunion", _NONUNION, f"{before} {near}"),
        ("malunion", _MALUNION, f"{before} {near}"),
        ("delayed", _DELAYED, f"{before} {near}"),
        ("routine", _FOLLOW_UP, before),
        ("routine", _HEALING, near),
    ):
        if pattern.search(text):
            return Encounter("subsequent", kind, healing)
    return Encounter(kind=kind) if kind != "closed" else None


def _described(description: str) -> Encounter:
    text = description.lower()
    stage = (
        "sequela"
        if text.endswith("sequela")
        else "subsequent"
        if "subsequent encounter" in text
        else "initial"
    )
    kind = (
        "open3"
        if "type iiia" in text
        else "open"
        if "open fracture" in text
        else "closed"
        if "closed fracture" in text
        else "any"
    )
    healing = next(
        (
            name
            for name, words in (
                ("nonunion", "nonunion"),
                ("malunion", "malunion"),
                ("delayed", "delayed healing"),
                ("routine", "routine healing"),
            )
            if words in text
        ),
        None,
    )
    return Encounter(stage, kind, healing)


def _fits(sibling: Encounter, wanted: Encounter) -> bool:
    if sibling.stage != wanted.stage or sibling.kind not in (wanted.kind, "any"):
        return False
    # "subsequent encounter" alone (a sprain, a head injury) has no healing to match; nor is a
    # fracture's nonunion, malunion or delayed union its cue (a consent's "nonunion,
    # malunion, compartment syndrome": T79.A0XA, not XD).
    if sibling.healing is None:
        return wanted.healing in (None, "routine")
    return sibling.healing == (wanted.healing or "routine")


def with_encounter(
    codes: tuple[CodeSuggestion, ...], wanted: Encounter, descriptions: dict[str, str]
) -> tuple[CodeSuggestion, ...]:
    """`codes`, each injury code moved to its sibling for `wanted` where it has one."""
    # A category without type III codes (the skull's) codes any open fracture as open.
    choices = [wanted, Encounter(wanted.stage, "open", wanted.healing)]
    out: dict[str, CodeSuggestion] = {}
    for suggestion in codes:
        code = suggestion.code
        if is_injury(code):
            suggestion = _sibling(suggestion, choices, descriptions) or suggestion
        out.setdefault(suggestion.code, suggestion)
    return tuple(out.values())


def _sibling(
    suggestion: CodeSuggestion, choices: list[Encounter], descriptions: dict[str, str]
) -> CodeSuggestion | None:
    for wanted in choices:
        for letter in SEVENTH_CHARACTERS:
            sibling = suggestion.code[:-1] + letter
            text = descriptions.get(sibling)
            if text is not None and _fits(_described(text), wanted):
                return CodeSuggestion(sibling, text, suggestion.score)
    return None
