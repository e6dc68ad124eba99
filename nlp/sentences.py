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

from spacy.language import Language
from spacy.tokens import Doc

_END = frozenset({".", "!", "?", ";"})
_LINE_START_HEADER = re.compile(r"\s*(?:[-*•]|\d{1,2}[.)]\s|[A-Za-z][A-Za-z /&]{0,40}:)")


def _header_start(doc: Doc, colon: int) -> int | None:
    """First token of an upper-case header ending at the ':' token `colon`, if any."""
    i = colon - 1
    if i < 0 or not (doc[i].is_upper and doc[i].is_alpha):
        return None
    while i - 1 >= 0 and doc[i - 1].is_upper and (doc[i - 1].is_alpha or doc[i - 1].text in "&/"):
        if "\n" in doc[i - 1].whitespace_:
            break
        i -= 1
    return i


@Language.component("chartdrop_sentences")
def set_sentences(doc: Doc) -> Doc:
    starts = [False] * len(doc)
    if len(doc):
        starts[0] = True
    text = doc.text
    for tok in doc:
        nxt = tok.i + 1
        if nxt >= len(doc):
            break
        if tok.text in _END and not doc[nxt].is_punct:
            starts[nxt] = True
        elif "\n" in tok.text or "\n" in tok.whitespace_:
            line_break = tok.text if tok.is_space else tok.whitespace_
            rest = text[doc[nxt].idx : doc[nxt].idx + 48]
            if (
                line_break.count("\n") >= 2
                or tok.text in _END
                or tok.text == ":"
                or _LINE_START_HEADER.match(rest)
            ):
                starts[nxt] = True
        if tok.text == ":":
            head = _header_start(doc, tok.i)
            if head is not None and head > 0:
                starts[head] = True
    # A known section header ("HISTORY:", "FAMILY HISTORY:") is its own sentence, so its words
    # ("history", "family") do not act as ConText modifiers on the section's content.
    token_starts = [tok.idx for tok in doc]
    for section in doc._.sections or ():
        for offset in (section.start, section.body_start):
            i = bisect.bisect_left(token_starts, offset)
            if i < len(doc):
                starts[i] = True
    for tok, start in zip(doc, starts, strict=True):
        tok.is_sent_start = start
    return doc
