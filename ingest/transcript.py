"""From recognised segments to the draft's text: vocabulary correction, then formatting.

Segment.words stay exactly as recognised (the review desk shows and seeks them);
Segment.raw_text keeps the recogniser's text, Segment.text/tokens the formatted text
of the tokens that start in that segment, and Segment.corrections the lexicon
corrections made there. Word indices (tokens, corrections) count the document's
words in order across all segments.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from .acoustic_check import Check
from .dictation import format_dictation
from .phrases import unsplit_terms
from .types import Correction, FormattedToken, Segment, Word
from .vocabulary import Lexicon, correct_words

LOW_CONFIDENCE = 0.5  # words below this are counted and flagged for the technician


@dataclass(frozen=True, slots=True)
class Finished:
    text: str
    raw_text: str
    segments: tuple[Segment, ...]
    corrections: tuple[Correction, ...]
    low_confidence_words: int


def finish(
    segments: Sequence[Segment],
    lexicon: Lexicon | None,
    checks: Mapping[Word, Sequence[Check]] | None = None,
) -> Finished:
    """Correct (when a lexicon is given; see correct_words for `checks`) and format the
    dictation in `segments`."""
    raw_text = " ".join(s.text for s in segments if s.text).strip()
    words: list[Word] = [w for s in segments for w in s.words]
    owner: list[int] = [k for k, s in enumerate(segments) for _ in s.words]
    corrections: list[Correction] = []
    corrected = words
    if lexicon is not None:
        corrected, corrections = correct_words(words, lexicon, checks=checks)
    formatted = format_dictation(unsplit_terms(corrected))
    by_segment: list[list[FormattedToken]] = [[] for _ in segments]
    for token in formatted.tokens:
        by_segment[owner[token.first_word]].append(token)
    fixes: list[list[Correction]] = [[] for _ in segments]
    for c in corrections:
        fixes[owner[c.first_word]].append(c)
    texts = _segment_texts(formatted.text, formatted.tokens, by_segment)
    out = tuple(
        replace(
            seg,
            text=texts[k] if seg.words else seg.text,
            raw_text=seg.text,
            tokens=tuple(by_segment[k]),
            corrections=tuple(fixes[k]),
        )
        for k, seg in enumerate(segments)
    )
    text = formatted.text if words else raw_text
    low = sum(1 for w in words if w.confidence < LOW_CONFIDENCE)
    return Finished(text, raw_text, out, tuple(corrections), low)


def _segment_texts(
    text: str, tokens: Sequence[FormattedToken], by_segment: list[list[FormattedToken]]
) -> list[str]:
    """Each segment's slice of the formatted text (layout kept, ends trimmed)."""
    # Locate every token in the rendered text, in order, to cut it at token bounds.
    positions: dict[int, tuple[int, int]] = {}
    at = 0
    for n, token in enumerate(tokens):
        found = text.find(token.text, at)
        if found < 0:
            continue
        positions[n] = (found, found + len(token.text))
        at = found + len(token.text)
    index = {id(t): n for n, t in enumerate(tokens)}
    out: list[str] = []
    for group in by_segment:
        spans = [positions[index[id(t)]] for t in group if index[id(t)] in positions]
        out.append(text[spans[0][0] : spans[-1][1]].strip() if spans else "")
    return out
