"""Sentence boundaries for clinical text, as a spaCy component.

ConText limits a modifier ("denies", "no") to its sentence, so boundaries matter more than
elsewhere: besides . ! ? we split at blank lines, at line breaks that end a sentence or start a
header/list item, and before an upper-case header such as "CHEST PAIN:" or "NEURO:" written
inline, so "Denies fever. NEURO: headache" does not negate the headache, and around known
section headers (sections.py runs first). A single line break inside a sentence (wrapped
scans) does not split, nor does a blank line between a comma or a word and a lower-case word
(OCR's paragraph gaps on a skewed page).
"""

from __future__ import annotations

import bisect
import re

import numpy
from spacy.attrs import IDX, IS_PUNCT, LENGTH, SENT_START, SPACY
from spacy.language import Language
from spacy.tokens import Doc

from .doctext import doc_text

_END = frozenset({".", "!", "?", ";"})
_TRIGGERS = _END | {":"}
_LINE_START_HEADER = re.compile(r"\s*(?:[-*•]|\d{1,2}[.)]\s|[A-Za-z][A-Za-z /&]{0,40}:)")


def _header_start(texts: list[str], spaces: list[str], colon: int) -> int | None:
    """First token of an upper-case header ending at the ':' token `colon`, if any."""
    i = colon - 1
    if i < 0 or not (texts[i].isupper() and texts[i].isalpha()):
        return None
    while i - 1 >= 0 and texts[i - 1].isupper():
        before = texts[i - 1]
        if not (before.isalpha() or before in "&/") or "\n" in spaces[i - 1]:
            break
        i -= 1
    return i


@Language.component("chartdrop_sentences")
def set_sentences(doc: Doc) -> Doc:
    n = len(doc)
    if not n:
        return doc
    starts = [False] * n
    starts[0] = True
    text = doc_text(doc)
    # Token attributes read once, as one array (a Token object per token is the slow part).
    offsets, lengths, spacy_flags, punct = doc.to_array([IDX, LENGTH, SPACY, IS_PUNCT]).T.tolist()
    texts = [text[i : i + length] for i, length in zip(offsets, lengths, strict=True)]
    # A token's whitespace_ is one space or nothing: line breaks are tokens of their own.
    spaces = [" " if flag else "" for flag in spacy_flags]
    # Only a sentence end, a line break or a colon can start a sentence; visit just those.
    for i in [i for i, word in enumerate(texts) if word in _TRIGGERS or "\n" in word]:
        if i == n - 1:
            break
        word = texts[i]
        nxt = i + 1
        if word in _END and not punct[nxt]:
            starts[nxt] = True
        elif "\n" in word or "\n" in spaces[i]:
            line_break = word if word.isspace() else spaces[i]
            rest = text[offsets[nxt] : offsets[nxt] + 48]
            # Tesseract writes a blank line inside a sentence on a skewed page ("denies chest
            # pain,\n\nheart attack"): after a comma or word, before a lower-case word.
            gap = i > 0 and (texts[i - 1] == "," or texts[i - 1][-1:].isalnum())
            paragraph = not (gap and texts[nxt][:1].islower())
            if (
                (line_break.count("\n") >= 2 and paragraph)
                or word in _END
                or word == ":"
                or _LINE_START_HEADER.match(rest)
            ):
                starts[nxt] = True
        if word == ":":
            head = _header_start(texts, spaces, i)
            if head is not None and head > 0:
                starts[head] = True
    # A known section header ("HISTORY:", "FAMILY HISTORY:") is its own sentence, so its words
    # ("history", "family") do not act as ConText modifiers on the section's content.
    for section in doc._.sections or ():
        for offset in (section.start, section.body_start):
            i = bisect.bisect_left(offsets, offset)
            if i < n:
                starts[i] = True
    # One array write: setting Token.is_sent_start per token re-scans the doc for a
    # dependency parse each time (quadratic). 1 = starts a sentence, -1 = does not.
    values = numpy.where(numpy.array(starts, dtype=bool), 1, -1).astype(numpy.int64)
    doc.from_array([SENT_START], values.view(numpy.uint64))
    return doc
