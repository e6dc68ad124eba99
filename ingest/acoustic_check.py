"""Whisper's own say on a correction the lexicon proposes.

The lexicon proposes a medical term for low-confidence words by spelling and sound alone
(vocabulary.py); it cannot hear. Whisper can: while a 30 s window's encoded audio is still
at hand (right after faster-whisper aligns the window's words), each correction that would
be made in the window is forced through the decoder twice, as heard and as corrected, with
a few heard words either side, over the stretch of encoded audio those words span. The
difference of the two log-probabilities (`Check.nats`) says how much less likely the
recogniser finds the correction than what it wrote: near 0 for "tricusted" -> "tricuspid",
far below for "hematuria sunset" -> "hemodialysis". vocabulary.correct_words does not make
a correction that scores below VETO_NATS; its words stay as heard.

The same pass scores the sound-alikes offered for doubtful words (sound_choice.py), all of
a run's in one batch, and keeps the one sound_choice.choose picks as a Check with
`offered` set: a correction Whisper chose, which correct_words then proposes itself.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .sound_choice import Offer, choose
from .types import Correction, Word

VETO_NATS = -8.0  # a correction this much less likely than the heard words is not made
CONTEXT_BEFORE = 6  # heard words before and after a proposal, forced with it
CONTEXT_AFTER = 3
MAX_CHECKS = 6  # corrections checked per 30 s window, best first (the acoustic_checks setting)
FRAMES_PER_SECOND = 50  # Whisper's encoder output: one frame per 20 ms
MARGIN_FRAMES = 25  # audio kept either side of the context words (word times are rough)
# A compound sounds the same joined or split ("cardio version", "cardioversion"); only its
# tokens differ, so the recogniser's score says nothing of it: it is not checked, nor vetoed.
UNCHECKED_SOURCES = frozenset({"compound"})
_TRAILING = re.compile(r"[.,;:?!]+$")
log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Check:
    """One proposal as Whisper scored it."""

    words: int  # how many recognised words it replaces, from the keyed first one
    replacement: str  # lower case
    nats: float  # log-probability of the corrected words minus that of the heard ones
    # Set when the check chose the replacement itself among sound-alikes offered for the
    # words (sound_choice.py): the correction's score, 0..1; None for a lexicon proposal.
    offered: float | None = None


# The checks of one decoding, keyed by their first word as faster-whisper gave it (its text,
# leading space included, and its probability): the word's times change afterwards, when
# faster-whisper maps them back from the voice-activity-filtered audio.
Checks = dict[tuple[str, float], tuple[Check, ...]]


def check_for(
    checks: Mapping[Word, Sequence[Check]], words: Sequence[Word], c: Correction
) -> Check | None:
    """The check made of correction `c` on `words`, if there is one."""
    n = c.last_word - c.first_word + 1
    replacement = c.replacement.lower()
    for check in checks.get(words[c.first_word], ()):
        if check.words == n and check.replacement == replacement:
            return check
    return None


class WindowChecker:
    """Called by whisper_model's alignment hook for each decoded window; collects `found`.

    `propose` gives the corrections that would be made in a window's words."""

    def __init__(
        self,
        propose: Callable[[list[Word]], list[Correction]],
        limit: int = MAX_CHECKS,
        offer: Callable[[list[Word]], list[Offer]] | None = None,
    ) -> None:
        self.propose = propose
        self.offer = offer
        self.limit = limit
        self.found: Checks = {}
        self.failed = False

    def __call__(
        self, model: Any, batch: Sequence[Sequence[dict]], tokenizer: Any, encoder_output: Any
    ) -> None:
        # The check only ever withholds a correction: if it fails, the transcription goes on
        # and the window's corrections are made unchecked, as with the setting at 0.
        try:
            self._check(model, batch, tokenizer, _on_host(encoder_output))
        except Exception as exc:
            if not self.failed:
                log.warning(
                    "acoustic check failed (%s); corrections made unchecked", type(exc).__name__
                )
            self.failed = True

    def _check(
        self, model: Any, batch: Sequence[Sequence[dict]], tokenizer: Any, encoded: np.ndarray
    ) -> None:
        for index, subsegments in enumerate(batch):
            if not subsegments:
                continue
            raw = [w for sub in subsegments for w in sub.get("words", ()) if w["word"].strip()]
            if not raw:
                continue
            window_start = subsegments[0]["seek"] / (2 * FRAMES_PER_SECOND)
            words = [
                Word(
                    text=w["word"].strip(),
                    confidence=float(w["probability"]),
                    space_before=n == 0 or w["word"][:1].isspace(),
                )
                for n, w in enumerate(raw)
            ]
            made = [c for c in self.propose(words) if c.source not in UNCHECKED_SOURCES]
            proposals = sorted(made, key=lambda c: -c.score)[: self.limit]
            for c in proposals:
                (nats,) = _nats(
                    model, tokenizer, encoded[index], raw, c.first_word, c.last_word,
                    [c.replacement], window_start,
                )  # fmt: skip
                check = Check(c.last_word - c.first_word + 1, c.replacement.lower(), round(nats, 2))
                self._keep(raw[c.first_word], check)
            for offer in self.offer(words)[: self.limit] if self.offer else ():
                last = offer.first + offer.words - 1
                scores = _nats(
                    model, tokenizer, encoded[index], raw, offer.first, last,
                    offer.replacements, window_start,
                )  # fmt: skip
                chosen = choose(offer, scores, VETO_NATS)
                if chosen is not None:
                    replacement, nats, score = chosen
                    check = Check(offer.words, replacement.lower(), round(nats, 2), score)
                    self._keep(raw[offer.first], check)

    def _keep(self, first: dict, check: Check) -> None:
        key = (first["word"], float(first["probability"]))
        self.found[key] = (*self.found.get(key, ()), check)


def _nats(
    model: Any,
    tokenizer: Any,
    encoded: np.ndarray,
    raw: Sequence[dict],
    first_word: int,
    last_word: int,
    replacements: Sequence[str],
    window_start: float,
) -> list[float]:
    """How much likelier (nats) Whisper finds each replacement of raw words
    `first_word`..`last_word` than those words, with a few heard words either side, over
    the encoded audio they span; all in one batch."""
    lo = max(0, first_word - CONTEXT_BEFORE)
    hi = min(len(raw), last_word + 1 + CONTEXT_AFTER)
    before = "".join(w["word"] for w in raw[lo:first_word])
    after = "".join(w["word"] for w in raw[last_word + 1 : hi])
    replaced = "".join(w["word"] for w in raw[first_word : last_word + 1])
    trailing = _TRAILING.search(replaced.strip())
    tail = trailing.group(0) if trailing else ""
    texts = [before + replaced + after] + [before + " " + r + tail + after for r in replacements]
    first = max(0, int((raw[lo]["start"] - window_start) * FRAMES_PER_SECOND) - MARGIN_FRAMES)
    last = int((raw[hi - 1]["end"] - window_start) * FRAMES_PER_SECOND) + MARGIN_FRAMES
    span = encoded[first : max(last, first + 1)]
    frames = np.ascontiguousarray(np.stack([span] * len(texts)))
    heard, *fixed = _log_probs(model, tokenizer, frames, texts)
    return [f - heard for f in fixed]


def _on_host(encoder_output: Any) -> np.ndarray:
    """The encoder output as a host array (batch, frames, width); a GPU's is copied over."""
    if getattr(encoder_output, "device", "cpu") != "cpu":
        import ctranslate2

        encoder_output = encoder_output.to_device(ctranslate2.Device.cpu)
    return np.asarray(encoder_output)


def _log_probs(model: Any, tokenizer: Any, frames: np.ndarray, texts: list[str]) -> list[float]:
    """Each text's log-probability over encoded `frames` (one copy per text)."""
    import ctranslate2

    audio = ctranslate2.StorageView.from_array(frames)
    tokens = [tokenizer.encode(text) for text in texts]
    lengths = [2 * frames.shape[1]] * len(texts)  # num_frames counts mel frames, 2 per encoded
    results = model.model.align(audio, tokenizer.sot_sequence, tokens, lengths)
    return [sum(math.log(max(p, 1e-10)) for p in r.text_token_probs) for r in results]
