"""A problem mention widened to the site that the words beside it name, where the site makes
it codable: "Bladder [cancer]" is C67.9, "[transitional cell carcinoma] of the urinary
bladder" C67.9, "UPJ [obstruction]" Q62.11; alone, "cancer" is C80.1 and too vague to code.

The mention model learned the MACCROBAT convention, in which a disease's site is a separate
entity ("cancer" and "bladder"), so its spans leave the site out. Coders code the site, and the
technician should see the words that support the code, so a span that is too vague to code on
its own takes up to two words before it, or an "of (the) [left|right] ..." phrase after it, when
the wider text is coded specifically by the same strict ranking. Nothing else moves.

Only malignant neoplasms, fractures, and (osteo)arthritis, cellulitis and abscesses coded to no
site ("unspecified site", M19.90; "Cellulitis, unspecified", L03.90) are widened. Tried on every
vague span of 1,000 MTSamples notes, about half of the other widenings got a wrong code
("tracheal stenosis" J95.03, a tracheostomy malfunction; "rupture of membranes" H18.339,
Descemet's membrane):
the ranker's two-word candidates elsewhere are not good enough to move a mention's evidence
for. Among neoplasms, the wrong ones scored 0.68-0.77 ("squamous cell carcinoma of the head"
C25.0, head of the pancreas, where the note said "head and neck"), the right ones 0.77-0.89:
MIN_SITE_SCORE. Fractures are ranked strictly by site (ranking.py); their widenings were
checked the same way: 49 on 1,000 MTSamples notes ("nasal fracture" S02.2XXA, "fracture of
the right distal radius" S52.501A, "femoral neck fracture" S72.009A), none with a wrong site.
Cellulitis and abscesses (2026-12-07): 15 widenings on those notes, all but one right
("testicular abscess" N45.4, "dental abscess" K04.7, "cellulitis of the right lower
extremity" L03.115; where the unwidened code was L02.91, a cutaneous abscess); the wrong one
read "Right distal femoral, subperiosteal abscess" as the mastoid's (H70.019).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from spacy.tokens import Doc, Span

from .code_words import DEGREE_WORDS, DETERMINERS, DISC_WORDS, METASTASIS_WORDS
from .coding import is_specific, suggest_codes
from .laterality import SIDES
from .normalize import LEVEL_RANGE_END, SPINAL_LEVEL, term_key
from .ranking import VAGUE_SCORE
from .types import CodeSuggestion

MIN_SITE_SCORE = 0.77
MAX_LEFT_WORDS = 2
MAX_RIGHT_WORDS = 3  # "of the [left] lower lobe"
_SIDES = frozenset(SIDES)  # "left", "right", "bilateral(ly)": never a site's own word
_WIDENED = frozenset(
    term_key(
        "cancer carcinoma adenocarcinoma malignancy fracture tear stenosis mass stricture"
        " fistula perforation hematoma polyp lesion osteoarthritis arthritis cellulitis abscess"
        " occlusion lump nodule"
    ).split()
)
# Not "obstruction" or "rupture": the word beside them is too often not a site ("outflow tract
# obstruction" read as urinary N13.9, "spontaneous rupture" of membranes as a tendon's M66.9).
_WIDENED |= METASTASIS_WORDS
# Neoplasms of no stated site: codable alone ("metastatic disease" C79.9), but a site beside
# them is what a coder codes ("metastatic disease to the bladder" C79.11).
UNSPECIFIED_SITE = frozenset({"C79.9", "C80.1"})
# Not a site to code by: "70% mid vessel stenosis" of a coronary artery is not I28.8, a disease
# of the pulmonary vessels.
# ("port site cellulitis" is not L03.818, cellulitis of other sites.)
_NOT_SITE_WORDS = frozenset({"vessel", "vessels", "site", "sites"})
_OF = frozenset({"of"})
# "mass in the right breast": a mass, lump or nodule is where it is found
_OF_OR_IN = frozenset({"of", "in"})
_FOUND_IN = frozenset(term_key("mass lump nodule").split())
_AFTER_SITE_ENDINGS = ("ly", "ed", "ing")
_SPINE = DISC_WORDS | frozenset(term_key("stenosis spondylosis").split())
_LEVEL = re.compile(rf"{SPINAL_LEVEL}(?:-{LEVEL_RANGE_END})?\.?", re.IGNORECASE)
_LEVEL_TO = re.compile(rf"{LEVEL_RANGE_END}\.?", re.IGNORECASE)
_LEVEL_LINKS = frozenset({",", "at", "of", "in"})
_TO = frozenset({"of", "to", "in", "involving"})  # where a metastasis is


def _is_site_word(doc: Doc, i: int, blocked: set[int]) -> bool:
    token = doc[i]
    return (
        token.is_alpha
        and not token.is_stop
        and i not in blocked
        and token.lower_ not in _NOT_SITE_WORDS
        and token.lower_ not in DEGREE_WORDS  # "Multiple nodules" was M06.39, rheumatoid
    )


def _lefts(doc: Doc, span: Span, blocked: set[int]) -> Iterator[int]:
    """Start indices with one or two words more on the left, within the sentence."""
    start = span.start
    for _ in range(MAX_LEFT_WORDS):
        if start == 0 or doc[start].is_sent_start or not _is_site_word(doc, start - 1, blocked):
            return
        start -= 1
        yield start


def _rights(doc: Doc, span: Span, blocked: set[int], links: frozenset[str]) -> Iterator[int]:
    """End indices of "of (the) (left|right) word [word [word]]" after the span ("to the
    ..." too, for a metastasis: `links`)."""
    i = span.end
    if i >= len(doc) or doc[i].lower_ not in links:
        return
    i += 1
    if i < len(doc) and doc[i].lower_ in DETERMINERS:
        i += 1
    words = 0
    while i < len(doc) and words < MAX_RIGHT_WORDS and not doc[i].is_sent_start:
        if doc[i].lower_ not in _SIDES and not _is_site_word(doc, i, blocked):
            return
        i += 1
        if doc[i - 1].lower_ not in _SIDES:
            words += 1
            # Only where the site's noun phrase ends: not "of the urinary" of "urinary bladder".
            # A word after it ending in -ly, -ed or -ing starts what is said of the site
            # ("of the right internal carotid artery measured at 20%", "... approximately 3 cm").
            if (
                i == len(doc)
                or doc[i].is_sent_start
                or not _is_site_word(doc, i, set())
                or doc[i].lower_.endswith(_AFTER_SITE_ENDINGS)
            ):
                yield i


def _level_end(doc: Doc, span: Span, blocked: set[int]) -> int | None:
    """The end of a spinal level right after `span` ("herniated disc, C5-C6", "degenerative
    disk disease at L4-L5"), within the sentence, or None."""
    i = span.end
    if i < len(doc) and doc[i].lower_ in _LEVEL_LINKS and not doc[i].is_sent_start:
        i += 1
    if i < len(doc) and doc[i].lower_ == "the":
        i += 1
    if i >= len(doc) or i in blocked or doc[i].is_sent_start or not _LEVEL.fullmatch(doc[i].text):
        return None
    i += 1
    if i + 1 < len(doc) and doc[i].text in ("-", "/") and _LEVEL_TO.fullmatch(doc[i + 1].text):
        i += 2  # "C5 - C6" as the tokenizer splits it ("C6." where a sentence ends)
    return i


def widen_to_site(
    doc: Doc, span: Span, blocked: set[int]
) -> tuple[Span, tuple[CodeSuggestion, ...]] | None:
    """The widest best-coded span around `span` that is coded specifically, with its codes;
    None when `span` is specific already or no wider span is. `blocked`: token indices of
    other mentions and demographic fields, which a site never takes in."""
    words = term_key(span.text).split()
    if not _SPINE.isdisjoint(words) and (end := _level_end(doc, span, blocked)) is not None:
        # A disc or a stenosis is coded by the spine's region (code_words.spinal_region),
        # and a cervical one by its level: the level after it is its site.
        leveled = doc[span.start : end]
        codes = tuple(c for c in suggest_codes(leveled.text, k=3) if c.score >= VAGUE_SCORE)
        if codes:
            return Span(doc, span.start, end, label=span.label), codes
    if _WIDENED.isdisjoint(words):
        return None
    unsited = False
    if is_specific(span.text):
        unsited = _unsited(span.text)
        if not unsited:
            return None
    best: tuple[float, Span, tuple[CodeSuggestion, ...]] | None = None
    if not METASTASIS_WORDS.isdisjoint(words):
        links = _TO
    else:
        links = _OF if _FOUND_IN.isdisjoint(words) else _OF_OR_IN
    starts = [span.start, *_lefts(doc, span, blocked)]
    ends = [span.end, *_rights(doc, span, blocked, links)]
    for start in starts:
        for end in ends:
            if (start, end) == (span.start, span.end):
                continue
            wider = doc[start:end]
            codes = _site_codes(wider)
            if not codes:
                continue
            if unsited and _names_no_site(codes[0]):  # "distant metastasis"
                continue
            if best is None or codes[0].score > best[0]:
                best = (codes[0].score, Span(doc, start, end, label=span.label), codes)
    return (best[1], best[2]) if best else None


def _site_codes(wider: Span) -> tuple[CodeSuggestion, ...]:
    """The codes of `wider` if specific and sure enough (else none): of its words, or of them
    without its side where that ranks better. Few code texts name a side, so "fracture of the
    right tibia" scored under MIN_SITE_SCORE; laterality.py codes the side afterwards. Some
    codes name it where laterality.py cannot put it ("left angle fracture": S02.652A, "angle of
    left mandible"), so the words as written rank too."""
    best: tuple[CodeSuggestion, ...] = ()
    texts = [wider.text, " ".join(t.text for t in wider if t.lower_ not in _SIDES)]
    for text in dict.fromkeys(texts):
        codes = tuple(c for c in suggest_codes(text, k=3, strict=True) if c.score >= VAGUE_SCORE)
        if not codes or codes[0].score < MIN_SITE_SCORE or not is_specific(text):
            continue
        if not best or codes[0].score > best[0].score:
            best = codes
    return best


def _unsited(text: str) -> bool:
    """A problem coded to no site ("metastatic disease", C79.9; "osteoarthritis", M19.90)."""
    codes = suggest_codes(text, k=1, strict=True)
    return bool(codes) and _names_no_site(codes[0])


def _names_no_site(code: CodeSuggestion) -> bool:
    """C79.9, C80.1, or a code that says so: "Unspecified osteoarthritis, unspecified site",
    "Cellulitis, unspecified" (a condition of one or two words, unspecified)."""
    text = code.description.lower()
    condition, _, rest = text.partition(", ")
    return (
        code.code in UNSPECIFIED_SITE
        or "unspecified site" in text
        # A neoplasm's: C34.90, lung, where "of the right upper lobe" codes C34.11. Not a
        # fracture's ("unspecified part of neck of femur"), whose words before are no site.
        or ("unspecified part" in text and code.code.startswith("C"))
        or (rest == "unspecified" and len(condition.split()) <= 2)
    )
