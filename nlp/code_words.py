"""The word lists the ICD-10-CM ranker compares mentions and code texts with (data in
resources/coding_words.json, each list with what it is for), keyed like mentions (term_key:
"diabetes" -> "diabete"), and the two word helpers both sides use."""

from __future__ import annotations

from collections.abc import Iterable

from . import resources
from .normalize import term_key

_WORDS = resources.read_json("coding_words.json")


def _keyed(words: Iterable[str]) -> frozenset[str]:
    return frozenset(term_key(" ".join(words)).split())


def _list(name: str) -> frozenset[str]:
    return _keyed(_WORDS[name]["words"])


FUNCTION_WORDS = _list("function_words")
NEUTRAL_WORDS = _list("neutral_words")
SOFT_EXTRAS = _list("soft_extras")
VAGUE_ALONE = _list("vague_alone")
VAGUE_WITH_ORGAN = _list("vague_with_organ")
ORGANS = _list("organs")
HISTOLOGY = _list("histology")
UNCONTROLLED = frozenset(_WORDS["uncontrolled"]["words"])
LATERALITY = frozenset(_WORDS["laterality"]["words"])
DIMENSIONS = frozenset(_WORDS["unspecified_dimensions"]["words"])
CHAPTER_WORDS = {k: _keyed(v) for k, v in _WORDS["chapter_words"]["map"].items()}
CANONICAL = {term_key(k): term_key(v) for k, v in _WORDS["canonical"]["map"].items()}
CANONICAL_PHRASES = {
    tuple(term_key(k).split()): term_key(v).split()
    for k, v in _WORDS["canonical_phrases"]["map"].items()
}
_PHRASE_STARTS = frozenset(phrase[0] for phrase in CANONICAL_PHRASES)
ABBREVIATIONS = {term_key(k): term_key(v) for k, v in _WORDS["abbreviations"]["map"].items()}
MUST_STATE = {term_key(k): _keyed(v) for k, v in _WORDS["must_state"]["map"].items()}
HISTORY_PREFIXES = tuple(_WORDS["history_prefixes"]["prefixes"])
HISTORY_CODES: dict[str, str] = _WORDS["history_prefixes"]["codes"]

DIABETES = term_key("diabetes")
FRACTURE = term_key("fracture")
DISPLACED = frozenset({term_key("displaced")})
NEOPLASM = _keyed(["malignant", "neoplasm"])
NEOPLASM_WORDS = _keyed(
    ["adenocarcinoma", "cancer", "carcinoma", "malignancy", "malignant", "neoplasm", "tumor"]
)


def canon_words(key: str) -> list[str]:
    words = key.split()
    if not _PHRASE_STARTS.isdisjoint(words):
        words = _replace_phrases(words)
    out: list[str] = []
    for word in words:
        out.extend(CANONICAL.get(word, word).split())
    return out


def _replace_phrases(words: list[str]) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(words):
        for phrase, replacement in CANONICAL_PHRASES.items():
            if tuple(words[i : i + len(phrase)]) == phrase:
                out.extend(replacement)
                i += len(phrase)
                break
        else:
            out.append(words[i])
            i += 1
    return out


def content_words(words: list[str]) -> set[str]:
    return {w for w in words if w not in FUNCTION_WORDS}
