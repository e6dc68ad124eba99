"""spaCy's English tokenizer with the splits clinical exports need: one function, used by the
runtime pipeline and by the training scripts, so the model sees the tokens it was trained on.

MTSamples-style exports write section breaks and list numbers as commas glued to the next
word (".,GU:", "DIAGNOSES:,1. Acute appendicitis", "2,The patient"). spaCy's infix rules
split a comma only between two letters, so ",GU", ",The" and "DIAGNOSES:,1" stayed single
tokens (1.7% of the tokens of 1,000 notes): the lexicons could not match the word after the
comma, and mentions began with one. Digit groups ("1:100,000") are kept whole.
"""

from __future__ import annotations

import re

import spacy
from spacy.attrs import ORTH
from spacy.language import Language
from spacy.util import compile_infix_regex

EXTRA_INFIXES = (
    r"(?<=[^\s\d,]),(?=[^\W_])",  # ".,GU", ":,1", ")Word,Word" -> a comma of its own
    r"(?<=\d),(?=[^\W\d_])",  # "2,The"
    r"(?<=[^\W_]):(?=,)",  # "DIAGNOSES:,1" -> the colon too
)


# spaCy keeps a letter and its full stop together ("V.", as in initials), so a sentence ending
# in "N/V." ended in "V." and the abbreviation was not recognised.
SLASHED_AT_SENTENCE_END = ("N/V", "n/v", "N/V/D", "n/v/d")


def blank_english() -> Language:
    """`spacy.blank("en")` with EXTRA_INFIXES and the SLASHED_AT_SENTENCE_END splits."""
    nlp = spacy.blank("en")
    infixes = [*nlp.Defaults.infixes, *EXTRA_INFIXES]
    nlp.tokenizer.infix_finditer = compile_infix_regex(infixes).finditer
    for abbreviation in SLASHED_AT_SENTENCE_END:
        pieces = [{ORTH: piece} for piece in re.split(r"(/)", abbreviation)]
        nlp.tokenizer.add_special_case(f"{abbreviation}.", [*pieces, {ORTH: "."}])
    return nlp
