"""A coded problem moved to the side its text states: "Left breast cancer" is C50.912, not
C50.919; "Right tibial shaft fracture" S82.201A, not S82.209A; "Fracture of the distal
radius, left." S52.502A.

ICD-10-CM codes the side of a paired organ or limb in one character, and names it in the
description where the default names "unspecified" ("... of unspecified female breast",
"..., unspecified knee"). The ranker finds a mention's category well, but its candidate texts
are the code book's wording, most of which name no side, so a stated side often reached the
code of the unspecified one. Rather than rank again, the side is put into the chosen code's
description and the code that has exactly that description is taken: only a sibling the code
book itself names that way, so nothing moves to another condition.
"""

from __future__ import annotations

import re
from functools import lru_cache

from spacy.tokens import Doc, Span

from .coding import load_codebook
from .types import CodeSuggestion

# A side word -> the word ICD-10-CM descriptions use for it.
SIDES = {"left": "left", "right": "right", "bilateral": "bilateral", "bilaterally": "bilateral"}
_OTHER_SIDE = {"left": "right", "right": "left"}
_UNSPECIFIED = re.compile(r"\bunspecified\b(?: \w+)?")
MAX_WORDS_BETWEEN = 2  # "Left medial compartment [osteoarthritis]"
# Injury words: never a site after a side ("right open knee" is the next entry of a list).
_BETWEEN = frozenset({"open", "closed", "compound", "displaced", "nondisplaced", "healing"})
_JOINS = frozenset({"and", "or", "/", ","})
_SIDE_WORD = re.compile(r"\b(?:left|right)\b")


class SideIndex:
    """Codes by their exact (lower-case) description, to find a code's sided sibling."""

    def __init__(self, descriptions: dict[str, str]) -> None:
        # code_words imports this module (SIDES), so its data is read here, not at import.
        from .code_words import SIDED_SIBLINGS

        self.by_description = {text.lower(): code for code, text in descriptions.items()}
        self.sided_siblings = SIDED_SIBLINGS

    def sided(self, code: str, description: str, side: str) -> CodeSuggestion | None:
        """The code whose description is `description` with one "unspecified" naming `side`
        ("unspecified female breast" -> "left female breast"; "Age-related nuclear cataract,
        unspecified eye" -> "..., bilateral"), or with the other side's word replaced; None
        where the code book has none."""
        listed = self.sided_siblings.get(code, {}).get(side)
        if listed is not None:
            return CodeSuggestion(listed, "", 0.0)
        text = description.lower()
        for found in _UNSPECIFIED.finditer(text):
            start, end = found.span()
            variants = [text[:start] + side + text[start + len("unspecified") : end]]
            if side == "bilateral":
                variants.append(text[:start] + side)  # "..., unspecified ear" -> "..., bilateral"
            for variant in variants:
                sibling = self.by_description.get(variant + text[end:])
                if sibling is not None and sibling != code:
                    return CodeSuggestion(sibling, "", 0.0)
        # A code of the other side (the ranker breaks a tie between "left" and "right" texts
        # by order): "Cellulitis of left lower limb" -> "... right lower limb".
        other = _OTHER_SIDE.get(side)
        if other is not None:
            for found in re.finditer(rf"\b{other}\b", text):
                variant = text[: found.start()] + side + text[found.end() :]
                sibling = self.by_description.get(variant)
                if sibling is not None:
                    return CodeSuggestion(sibling, "", 0.0)
        return None

    def unsided(self, code: str, description: str) -> str:
        """The code of the same condition with its side unspecified ("Pain in right knee"
        M25.561 -> M25.569); `code` itself when it names no side or has no such sibling."""
        text = description.lower()
        for found in _SIDE_WORD.finditer(text):
            sibling = self.by_description.get(
                text[: found.start()] + "unspecified" + text[found.end() :]
            )
            if sibling is not None:
                return sibling
        return code

    def with_side(
        self,
        codes: tuple[CodeSuggestion, ...],
        side: str,
        describe: dict[str, str],
        text: str = "",
    ) -> tuple[CodeSuggestion, ...]:
        """`codes`, each moved to its sibling for `side` where it has one (same score), in
        order, without repeats. Where the first has none but the second, of its category,
        does, that one leads: "osteoarthritis of the right knee" ranks M17.9 (osteoarthritis of
        knee, unspecified) before M17.10, whose sibling M17.11 names the stated side. Only when
        `text` (the mention) names the site the side is given to ("knee"): "left breast ductal
        carcinoma in situ" would have led to D09.22, of the left eye. Not a third:
        "vesicoureteral reflux" N13.70 would have led to N13.722 (reflux nephropathy)."""
        out: dict[str, CodeSuggestion] = {}
        first_sided: str | None = None
        first_moved = False
        category = codes[0].code[:3] if codes else ""
        for rank, suggestion in enumerate(codes):
            sibling = self.sided(suggestion.code, suggestion.description, side)
            if sibling is not None:
                # A code that named a side the text does not state was a tie the ranker
                # broke, not a reading of the words: it is corrected, never promoted.
                # Nor is an "Other ..." code, a type the words did not name.
                was = suggestion.description.lower()
                guessed = _SIDE_WORD.search(was) is not None or was.startswith("other ")
                suggestion = CodeSuggestion(sibling.code, describe[sibling.code], suggestion.score)
                if rank == 0:
                    first_moved = True
                elif (
                    rank == 1
                    and not (first_moved or guessed)
                    and sibling.code[:3] == category
                    and _names_stated_site(describe[sibling.code], side, text)
                ):
                    first_sided = sibling.code
            out.setdefault(suggestion.code, suggestion)
        ordered = list(out.values())
        if first_sided is not None and ordered[0].code != first_sided:
            lead = out[first_sided]
            ordered = [CodeSuggestion(lead.code, lead.description, ordered[0].score)] + [
                s for s in ordered if s.code != first_sided
            ]
        return tuple(ordered)


def _names_stated_site(description: str, side: str, text: str) -> bool:
    """The word the side is given to in `description` ("right knee", "left eye") is in
    `text`, singular or plural."""
    found = re.search(rf"\b{side}\s+(\w+)", description.lower())
    if found is None:
        return False
    words = set(re.findall(r"[a-z]+", text.lower()))
    site = found.group(1)
    return site in words or f"{site}s" in words


@lru_cache(maxsize=1)
def side_index() -> SideIndex:
    """The process's SideIndex over the ICD-10-CM code book (~20 ms to build)."""
    return SideIndex(load_codebook().descriptions)


def stated_side(doc: Doc, span: Span, after: bool = True) -> tuple[str, int, int] | None:
    """(side, start, end): the one side the mention states, in its words, in the word just
    before it ("Left [breast cancer]") or as ", left" closing it ("[fracture of the distal
    radius], left."), with the token range that states it; None for no side or two ("right
    and left [ovarian cysts]": a coder codes each side, which one mention cannot carry)."""
    sides = {SIDES[t.lower_] for t in span if t.lower_ in SIDES}
    start, end = span.start, span.end
    before = _side_before(doc, span.start)
    if before is not None:
        sides.add(SIDES[doc[before].lower_])
        start = before
        if before >= 2 and doc[before - 1].lower_ in _JOINS and doc[before - 2].lower_ in SIDES:
            sides.add(SIDES[doc[before - 2].lower_])  # "right and left [ovarian cysts]"
    if after and (found := _side_phrase_after(doc, span.end)) is not None:
        side, end = found
        sides.add(side)
    if len(sides) != 1:
        return None
    return sides.pop(), start, end


def _side_before(doc: Doc, start: int) -> int | None:
    """The index of a side word before the mention, next to it or over one or two words that
    qualify it, in the same sentence: "Right open [ankle fracture]", "Left medial compartment
    [osteoarthritis of the knee]"."""
    for gap in range(MAX_WORDS_BETWEEN + 1):
        i = start - 1 - gap
        if i < 0 or doc[i + 1].is_sent_start:
            return None
        if doc[i].lower_ in SIDES:
            return i
        if not (doc[i].is_alpha and not doc[i].is_stop) or doc[i].lower_ in _JOINS:
            return None
    return None


def _side_phrase_after(doc: Doc, i: int) -> tuple[str, int] | None:
    """(side, end) of a side said after the mention, within the sentence: ", left" and ", left
    eye" ("Age-related macular degeneration, left eye"), "of/on/in (the) right side|<site>"
    ("sciatica of right side", "carpal tunnel syndrome of the right wrist"); a site of one or
    two words that ends the phrase."""
    if i >= len(doc) or doc[i].lower_ not in ("of", "on", "in", ","):
        return None
    comma = doc[i].text == ","
    i += 1
    if not comma and i < len(doc) and doc[i].lower_ == "the":
        i += 1
    if i >= len(doc) or doc[i].lower_ not in SIDES or doc[i].is_sent_start:
        return None
    side, i = SIDES[doc[i].lower_], i + 1
    words = 0
    while i < len(doc) and words < 2 and doc[i].is_alpha:
        if doc[i].is_sent_start or (doc[i].is_stop and doc[i].lower_ != "side"):
            break
        if doc[i].lower_ in _BETWEEN:
            return None  # "open knee": another injury, not this mention's site
        i, words = i + 1, words + 1
        if doc[i - 1].lower_ == "side":
            break
    ends_phrase = i == len(doc) or doc[i].is_punct or doc[i].is_space or doc[i].is_sent_start
    if comma and i < len(doc) and doc[i].text == ",":
        return None  # a list goes on: "right femoral neck fracture, right open knee, and ..."
    return (side, i) if (words or comma) and ends_phrase else None
