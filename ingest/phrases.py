"""Fixed clinical phrases with one misheard little word ("review on systems").

Whisper tiny.en often swaps short function words ("of" → "on", "is" → "in") in phrases
a transcriptionist knows by heart: section headers and multi-word problem terms. When
the heard words match such a phrase except for one function word, and the recogniser
was not sure of that word, the phrase's word is put back and the change recorded.
The phrases are the NLP stage's own data (sections.json, problem_synonyms.tsv).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import replace

from chartdrop.nlp import resources

from .types import Correction, Word

FUNCTION_WORDS = frozenset({"of", "on", "and", "in", "is", "a", "an", "the", "to", "or", "for"})
_EDGE = re.compile(r"^([^A-Za-z0-9]*)(.*?)([^A-Za-z0-9]*)$")


@functools.lru_cache(maxsize=1)
def clinical_phrases() -> dict[tuple[str, ...], tuple[str, ...]]:
    """Phrases of 3+ words with a function word inside, keyed by their content words
    (function-word slots as ""): "review of systems" -> ("review", "", "systems")."""
    texts: set[str] = set()
    for group in resources.read_json("sections.json")["sections"]:
        texts.update(group["headers"])
    texts.update(row[0] for row in resources.read_tsv("problem_synonyms.tsv"))
    out: dict[tuple[str, ...], tuple[str, ...]] = {}
    for text in texts:
        words = tuple(text.lower().split())
        inner = words[1:-1]
        if len(words) < 3 or not any(w in FUNCTION_WORDS for w in inner):
            continue
        if any(w in FUNCTION_WORDS for w in (words[0], words[-1])):
            continue
        key = tuple("" if w in FUNCTION_WORDS else w for w in words)
        out.setdefault(key, words)
    return out


def phrase_corrections(words: Sequence[Word], confident: float) -> list[Correction]:
    """One Correction per phrase found with a single wrong function word heard with less
    than `confident` probability (the corrector's own bound, passed in)."""
    phrases = clinical_phrases()
    lengths = sorted({len(k) for k in phrases})
    plain = _plain_words(words)
    found: list[Correction] = []
    for n in lengths:
        for i in range(len(words) - n + 1):
            heard = plain[i : i + n]
            key = tuple("" if w in FUNCTION_WORDS else w for w in heard)
            phrase = phrases.get(key)
            if phrase is None:
                continue
            wrong = [k for k in range(n) if heard[k] != phrase[k]]
            if len(wrong) != 1:
                continue
            at = i + wrong[0]
            if words[at].confidence >= confident:
                continue
            found.append(word_correction(words[at], at, phrase[wrong[0]], "phrase"))
    return found


def cased_like(text: str, heard: str) -> str:
    """`text` with a capital first letter where `heard` starts with one (a sentence's
    first word); the rest as it is ("Solu-Medrol" keeps its capital M)."""
    return text[:1].upper() + text[1:] if heard[:1].isupper() else text


def word_correction(
    word: Word, at: int, replacement: str, source: str, score: float = 1.0
) -> Correction:
    """A one-word Correction, capitalised like the heard word; the caller (correct_words)
    puts the word's trailing punctuation back."""
    core = _EDGE.match(word.text.strip()).group(2)  # type: ignore[union-attr]
    if core[:1].isupper():
        replacement = replacement.capitalize()
    return Correction(
        original=word.text,
        replacement=replacement,
        score=score,
        source=source,
        first_word=at,
        last_word=at,
        confidence=word.confidence,
        start=word.start,
        end=word.end,
    )


def window_correction(
    window: Sequence[Word], first: int, replacement: str, source: str, score: float
) -> Correction:
    """A Correction replacing the run of words `window`, the first of them at word index
    `first`; its confidence is their mean probability."""
    return Correction(
        original=" ".join(w.text for w in window),
        replacement=replacement,
        score=score,
        source=source,
        first_word=first,
        last_word=first + len(window) - 1,
        confidence=round(sum(w.confidence for w in window) / len(window), 4),
        start=window[0].start,
        end=window[-1].end,
    )


@functools.lru_cache(maxsize=1)
def multiword_terms() -> frozenset[tuple[str, ...]]:
    """The NLP lexicons' terms of 2-4 words, as lower-case word tuples."""
    terms: set[tuple[str, ...]] = set()
    for name in ("problem_synonyms.tsv", "medications.tsv", "procedures.tsv"):
        for row in resources.read_tsv(name):
            words = tuple(row[0].lower().split())
            if 2 <= len(words) <= 4:
                terms.add(words)
    return frozenset(terms)


def unsplit_terms(words: Sequence[Word]) -> list[Word]:
    """`words` without the commas the recogniser put inside a clinical term: Whisper heard
    the pauses of "left ventricular hypertrophy" as "left, ventricular hypertrophy", which
    the NLP stage cannot read as the term. Only a comma the recogniser wrote (attached to a
    word), never a dictated "comma", and only between the words of a listed term."""
    terms = multiword_terms()
    plain = _plain_words(words)
    out = list(words)
    for i in range(len(words) - 1):
        for n in (4, 3, 2):
            inner = out[i : i + n - 1]
            if (
                i + n <= len(words)
                and tuple(plain[i : i + n]) in terms
                and any(w.text.endswith(",") for w in inner)
                and all(w.text.endswith(",") or w.text[-1:].isalnum() for w in inner)
            ):
                for k in range(i, i + n - 1):
                    out[k] = replace(out[k], text=out[k].text.rstrip(","))
                break
    return out


def _plain_words(words: Sequence[Word]) -> list[str]:
    """Each word's letters and digits, punctuation at its edges left out, lower case."""
    return [_EDGE.match(w.text).group(2).lower() for w in words]  # type: ignore[union-attr]
