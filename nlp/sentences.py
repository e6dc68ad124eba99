"""Sentence boundaries for clinical text, as a spaCy component.

ConText limits a modifier ("denies", "no") to its sentence, so boundaries matter more than
elsewhere: besides . ! ? we split at blank lines, at line breaks that end a sentence or start a
header/list item, and before an upper-case header such as "CHEST PAIN:" or "NEURO:" written
inline, so "Denies fever. NEURO: headache" does not negate the headache, and around known
section headers (sections.py runs first). A single line break inside a sentence (wrapped
scans) does not split.
"""

from __future__ import annotations

import bisect
import re

import numpy
from spacy.attrs import SENT_START
from spacy.language import Language
from spacy.tokens import Doc

_END = frozenset({".", "!", "?", ";"})
_LINE_START_HEADER = re.compile(r"\s*(?:[-*•]|\d{1,2}[.)]\s|[A-Za-z][A-Za-z /&]{0,40}:)")


def _header_start(
    texts: list[str], spaces: list[str], upper: list[bool], alpha: list[bool], colon: int
) -> int | None:
    """First token of an upper-case header ending at the ':' token `colon`, if any."""
    i = colon - 1
    if i < 0 or not (upper[i] and alpha[i]):
        return None
    while i - 1 >= 0 and upper[i - 1] and (alpha[i - 1] or texts[i - 1] in "&/"):
        if "\n" in spaces[i - 1]:
            break
        i -= 1
    return i


@Language.component("chartdrop_sentences")
def set_sentences(doc: Doc) -> Doc:
    n = len(doc)
    starts = [False] * n
    if n:
        starts[0] = True
    text = doc.text
    # Token attributes read once into lists (a Token object per access is the slow part).
    texts = [tok.text for tok in doc]
    spaces = [tok.whitespace_ for tok in doc]
    offsets = [tok.idx for tok in doc]
    punct = [tok.is_punct for tok in doc]
    upper: list[bool] = []
    alpha: list[bool] = []
    for t in texts:
        upper.append(t.isupper())
        alpha.append(t.isalpha())
    for i in range(n - 1):
        word = texts[i]
        nxt = i + 1
        if word in _END and not punct[nxt]:
            starts[nxt] = True
        elif "\n" in word or "\n" in spaces[i]:
            line_break = word if word.isspace() else spaces[i]
            rest = text[offsets[nxt] : offsets[nxt] + 48]
            if (
                line_break.count("\n") >= 2
                or word in _END
                or word == ":"
                or _LINE_START_HEADER.match(rest)
            ):
                starts[nxt] = True
        if word == ":":
            head = _header_start(texts, spaces, upper, alpha, i)
            if head is not None and head > 0:
                starts[head] = True
    # A known section header ("HISTORY:", "FAMILY HISTORY:") is its own sentence, so its words
    # ("history", "family") do not act as ConText modifiers on the section's content.
    for section in doc._.sections or ():
        for offset in (section.start, section.body_start):
            i = bisect.bisect_left(offsets, offset)
            if i < n:
                starts[i] = True
    if n:
        # One array write: setting Token.is_sent_start per token re-scans the doc for a
        # dependency parse each time (quadratic). 1 = starts a sentence, -1 = does not.
        values = numpy.where(numpy.array(starts, dtype=bool), 1, -1).astype(numpy.int64)
        doc.from_array([SENT_START], values.view(numpy.uint64))
    return doc
