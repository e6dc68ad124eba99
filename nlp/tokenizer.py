"""spaCy's English tokenizer with the splits clinical exports need: one function, used by the
runtime pipeline and by the training scripts, so the model sees the tokens it was trained on.

MTSamples-style exports write section breaks and list numbers as commas glued to the next
word (".,GU:", "DIAGNOSES:,1. Acute appendicitis", "2,The patient"). spaCy's infix rules
split a comma only between two letters, so ",GU", ",The" and "DIAGNOSES:,1" stayed single
tokens (1.7% of the tokens of 1,000 notes): the lexicons could not match the word after the
comma, and mentions began with one. Digit groups ("1:100,000") are kept whole.
"""

from __future__ import annotations

import spacy
from spacy.language import Language
from spacy.util import compile_infix_regex

EXTRA_INFIXES = (
    r"(?<=[^\s\d,]),(?=[^\W_])",  # ".,GU", ":,1", ")Word,Word" -> a comma of its own
    r"(?<=\d),(?=[^\W\d_])",  # "2,The"
    r"(?<=[^\W_]):(?=,)",  # "DIAGNOSES:,1" -> the colon too
)


def blank_english() -> Language:
    """`spacy.blank("en")` with EXTRA_INFIXES."""
    nlp = spacy.blank("en")
    infixes = [*nlp.Defaults.infixes, *EXTRA_INFIXES]
    nlp.tokenizer.infix_finditer = compile_infix_regex(infixes).finditer
    return nlp
