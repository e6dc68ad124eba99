"""Dictations to text with faster-whisper: the Transcriber (one model per worker, reused),
the guard against text invented over silence and loops, and a chunk's parts decoded side by
side. The audio is decoded in bounded chunks by audio_chunks.py; the model is chosen and
loaded by whisper_model.py.
"""

from __future__ import annotations

import itertools
import logging
import math
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from chartdrop.settings import Settings

from . import sound_alike, sound_choice
from .acoustic_check import Check, Checks, WindowChecker
from .audio_chunks import SAMPLE_RATE, DecodeStats, pcm_chunks, quiet_cut
from .bigrams import load_counts
from .guard import GuardCounts, guarded, unlooped
from .skipped_speech import (
    MARGIN_SECONDS,
    MIN_SPEECH_SECONDS,
    Span,
    clock,
    heard_speech_seconds,
    insert,
    repeats_neighbours,
    unworded_spans,
    within,
)
from .transcript import finish
from .types import DocumentKind, Segment, TextResult, Word
from .vocabulary import clinical_terms, correct_words, load_lexicon
from .whisper_model import (
    SpeechModelError,
    cap_malloc_arenas,
    check_windows,
    cpu_threads,
    load_problem,
    load_whisper,
    resolve_device,
    resolve_model,
)

__all__ = [
    "SAMPLE_RATE",
    "SpeechModelError",
    "Transcriber",
    "cpu_threads",
    "resolve_device",
    "resolve_model",
]

log = logging.getLogger(__name__)


MIN_PART_SECONDS = 60.0  # a chunk is decoded in parts no shorter than this (see _parts)
SPLIT_SEARCH_SECONDS = 6  # a part boundary is the quietest 100 ms this close to an even share

# --------------------------------------------------------------------- transcriber


class Transcriber:
    """One Whisper model, loaded once on first use and reused for every dictation.

    Model-name problems (an unknown bundled model, a missing folder) raise
    SpeechModelError at construction; load failures on first use.

    CTranslate2 models may be shared between threads. Decoding is done by a pool of as many
    threads as the model has workers (`decoders`), so concurrent transcriptions never
    oversubscribe the `whisper_threads` cores: on the CPU with tiny.en, two workers'
    dictations decode side by side, each on one core; on a GPU, one at a time. Each
    transcription holds one bounded audio chunk (audio_chunks.py) while it waits.
    """

    def __init__(self, settings: Settings | None = None) -> None:
        settings = settings or Settings()
        self.settings = settings
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach for a model hub
        source, self.model_name = resolve_model(settings.whisper_model)
        self.device, self.compute_type = resolve_device(
            settings.whisper_device, settings.whisper_compute_type
        )
        self._source = source
        self._lock = threading.Lock()
        self._model: Any = None
        self.decoders = 1  # beam searches run side by side on a long chunk (set at load)
        self._pool: ThreadPoolExecutor | None = None

    @property
    def model(self) -> Any:
        """The WhisperModel, loaded on first use (so a PDF-only day never pays for it)."""
        if self._model is None:
            with self._lock:
                if self._model is None:
                    self._model = self._load(self._source)
        return self._model

    def load(self) -> Transcriber:
        """Load the model and the correction lexicon now (warm-up at service start)."""
        _ = self.model
        lexicon = load_lexicon(self.settings.site_terms_file, self.settings.medical_wordlist)
        load_counts()
        sound_alike.load()
        sound_choice.load(clinical_terms(lexicon))
        return self

    def _decode_pool(self) -> ThreadPoolExecutor:
        """The threads that decode every part of every recording (see transcribe), kept for the
        Transcriber's life."""
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.decoders, thread_name_prefix="whisper")
            return self._pool

    def _load(self, source: str) -> Any:
        cap_malloc_arenas()
        threads = cpu_threads(self.settings.whisper_threads)
        wanted = self.settings.whisper_decode_threads
        decode_threads: int | None = None  # auto (-1): see whisper_model.PARALLEL_MAX_MB
        if wanted > 0:
            decode_threads = min(threads, cpu_threads(wanted))
        elif wanted == 0:
            decode_threads = threads

        def load(device: str, compute_type: str) -> Any:
            model, self.decoders = load_whisper(
                source, device, compute_type, threads, decode_threads
            )
            return model

        try:
            return load(self.device, self.compute_type)
        except Exception as exc:
            # "auto" picked CUDA but its libraries (cuBLAS/cuDNN) are missing or the
            # card is busy: a CPU transcription beats none.
            if self.settings.whisper_device == "auto" and self.device == "cuda":
                log.warning("CUDA Whisper load failed (%s); using the CPU", type(exc).__name__)
                self.device, self.compute_type = resolve_device("cpu", "auto")
                if self.settings.whisper_compute_type != "auto":
                    self.compute_type = self.settings.whisper_compute_type
                try:
                    return load(self.device, self.compute_type)
                except Exception as cpu_exc:
                    raise SpeechModelError(load_problem(self.model_name, cpu_exc)) from cpu_exc
            raise SpeechModelError(load_problem(self.model_name, exc)) from exc

    def transcribe(self, path: Path, settings: Settings | None = None) -> TextResult:
        """The dictation at `path` as text. Silence gives empty text, not an error."""
        settings = settings or self.settings
        stats = DecodeStats()
        counts = GuardCounts()
        segments: list[Segment] = []
        language = settings.language if settings.language not in ("", "auto") else None
        model = self.model
        pool = self._decode_pool()
        skipped = _Skipped()

        checks: dict[Word, tuple[Check, ...]] = {}

        def decode(part: np.ndarray) -> _Decoded:
            return pool.submit(_decode, model, part, language, settings).result()

        for offset, samples in pcm_chunks(Path(path), settings.max_audio_minutes * 60, stats):
            # Every part, a whole short recording's too, is decoded by the pool's
            # `decoders` threads (one per CTranslate2 worker): two workers' short
            # dictations decode side by side, and never more at once than there are.
            parts = _parts(samples, self.decoders)
            jobs = [pool.submit(_decode, model, part, language, settings) for _, part in parts]
            decoded = [job.result() for job in jobs]
            found = unlooped(
                [
                    _segment(seg, offset + start, done.checks, checks)
                    for (start, _), done in zip(parts, decoded, strict=True)
                    for seg in guarded(done.segments, counts)
                ],
                counts,
            )
            segments.extend(
                _decode_skipped(decode, samples, offset, found, counts, skipped, checks)
            )
        warnings = list(stats.warnings)
        if skipped.recovered:
            warnings.append(
                f"speech the recogniser skipped was decoded again at {clock(skipped.recovered)}"
            )
        if skipped.unheard:
            warnings.append(
                f"speech gave no words at {clock(skipped.unheard)}; listen to the recording there"
            )
        if counts.non_speech:
            warnings.append(f"{counts.non_speech} probable non-speech segment(s) dropped")
        if counts.repeats:
            warnings.append(f"{counts.repeats} repeated segment(s) collapsed")
        if counts.loops:
            warnings.append(f"{counts.loops} looping stretch(es) of repeated words cut")
        # Lexicon correction assumes English clinical dictation.
        english = (language or "en").startswith("en")
        lexicon = load_lexicon(settings.site_terms_file, settings.medical_wordlist)
        done = finish(segments, lexicon if english else None, checks)
        if done.low_confidence_words:
            warnings.append(f"{done.low_confidence_words} low-confidence word(s) to check")
        if done.corrections:
            warnings.append(
                f"{len(done.corrections)} word(s) corrected automatically, marked in the source"
            )
        return TextResult(
            text=done.text,
            kind=DocumentKind.AUDIO,
            engine="faster-whisper",
            model=self.model_name,
            segments=done.segments,
            duration_s=round(stats.decoded_s, 3),
            warnings=tuple(warnings),
            raw_text=done.raw_text,
            corrections=done.corrections,
            low_confidence_words=done.low_confidence_words,
        )


@dataclass
class _Decoded:
    segments: list[Any]  # faster-whisper's
    checks: Checks  # proposed corrections scored by the recogniser (acoustic_check.py)


def _decode(model: Any, samples: np.ndarray, language: str | None, settings: Settings) -> _Decoded:
    """All of faster-whisper's segments for these samples (its generator, run out), with
    the recogniser's scores of the corrections proposed for their words."""
    checker = None
    if settings.acoustic_checks > 0 and (language or "en").startswith("en"):
        lexicon = load_lexicon(settings.site_terms_file, settings.medical_wordlist)
        terms = clinical_terms(lexicon)
        checker = WindowChecker(
            lambda words: correct_words(words, lexicon)[1],
            settings.acoustic_checks,
            lambda words: sound_choice.offers(words, terms),
        )
    check_windows(checker)
    try:
        return _Decoded(
            _transcribe(model, samples, language, settings), checker.found if checker else {}
        )
    finally:
        check_windows(None)


def _transcribe(
    model: Any, samples: np.ndarray, language: str | None, settings: Settings
) -> list[Any]:
    raw, _info = model.transcribe(
        samples,
        language=language,
        beam_size=settings.whisper_beam_size,
        word_timestamps=True,
        vad_filter=True,
        # The previous window's text is the prompt (faster-whisper's default), with the
        # seek by predicted timestamps (whisper_model.use_timestamp_seek): WER 0.282 ->
        # 0.269 on 32 held-out dictations. A loop still falls back (compression ratio >
        # 2.4, the prompt reset above temperature 0.5) and _guarded collapses repeats.
        condition_on_previous_text=True,
        # No re-decoding of a window just for a low average log probability: with
        # best_of=5 sampling at up to five temperatures it cost a window up to 5 more
        # decodes; on the dev set it fired on 1 window of 25, all 5 retries failed, and
        # the temperature-0 beam result was kept anyway. A repetition loop (compression
        # ratio > 2.4) still falls back. Probable non-speech is dropped by _guarded
        # instead, with the same test (no_speech_prob > 0.6 and avg_logprob < -1.0)
        # that faster-whisper applies only while log_prob_threshold is set.
        log_prob_threshold=None,
        no_speech_threshold=None,
    )
    return list(raw)


@dataclass
class _Skipped:
    recovered: list[Span] = field(default_factory=list)
    unheard: list[Span] = field(default_factory=list)


def _decode_skipped(
    decode: Callable[[np.ndarray], _Decoded],
    samples: np.ndarray,
    offset: float,
    found: list[Segment],
    counts: GuardCounts,
    skipped: _Skipped,
    checks: dict[Word, tuple[Check, ...]],
) -> list[Segment]:
    """`found`, a chunk's segments, with the speech the recogniser went past decoded again on
    its own and put in its place (see skipped_speech.py); stretches that still give no words
    are listed in `skipped.unheard` for the technician."""
    end = offset + len(samples) / SAMPLE_RATE
    out = found
    for span in unworded_spans(found, offset, end):
        first = max(0, int((span[0] - offset - MARGIN_SECONDS) * SAMPLE_RATE))
        last = min(len(samples), int((span[1] - offset + MARGIN_SECONDS) * SAMPLE_RATE))
        if heard_speech_seconds(samples[first:last]) < MIN_SPEECH_SECONDS:
            continue
        start = offset + first / SAMPLE_RATE
        again = decode(samples[first:last])
        new = [
            _segment(seg, start, again.checks, checks) for seg in guarded(again.segments, counts)
        ]
        new = within(unlooped(new, counts), span)
        if not new:
            skipped.unheard.append(span)
        elif not repeats_neighbours(new, out, span):
            out = insert(out, new, span[1])
            skipped.recovered.append(span)
    return out


def _parts(samples: np.ndarray, decoders: int) -> list[tuple[float, np.ndarray]]:
    """(offset seconds, samples) parts of a chunk, at most one per beam-search worker and
    none shorter than MIN_PART_SECONDS, cut at the quietest 100 ms near each even share.
    Whisper decodes 30 s windows one after another and a 1-thread beam search leaves the
    other cores idle, so the parts are decoded side by side. But the words either side of a
    cut lose their context and the second part its prompt: on 32 held-out dictations of
    23-53 s (2 cores) parts from 20 s ran at 18.4x real time against 10.4x with WER 0.288
    against 0.269. So only a recording of 2 minutes or more is cut, where a cut every 60 s
    or more costs a few words in hundreds and the speed is needed most (a backlog, an hour's
    dictation); shorter ones decode whole on one worker."""
    count = min(decoders, int(len(samples) / SAMPLE_RATE // MIN_PART_SECONDS))
    if count < 2:
        return [(0.0, samples)]
    search = SPLIT_SEARCH_SECONDS * SAMPLE_RATE
    cuts = [0]
    for k in range(1, count):
        target = len(samples) * k // count
        cut = quiet_cut(samples, target + search // 2, search)
        if cut > cuts[-1]:
            cuts.append(cut)
    cuts.append(len(samples))
    return [(a / SAMPLE_RATE, samples[a:b]) for a, b in itertools.pairwise(cuts) if b > a]


def _segment(
    seg: Any,
    offset: float,
    found: Checks | None = None,
    checks: dict[Word, tuple[Check, ...]] | None = None,
) -> Segment:
    """Our Segment for faster-whisper's `seg`, its times moved by `offset`; the checks in
    `found` of its words are put in `checks` under our Words."""
    kept = [w for w in seg.words or () if w.word.strip()]
    words = tuple(
        Word(
            text=w.word.strip(),
            confidence=round(float(w.probability), 4),
            start=round(w.start + offset, 3),
            end=round(w.end + offset, 3),
            space_before=n == 0 or w.word[:1].isspace(),
        )
        for n, w in enumerate(kept)
    )
    if found and checks is not None:
        for w, word in zip(kept, words, strict=True):
            made = found.get((w.word, float(w.probability)))
            if made:
                checks[word] = made
    if words:
        confidence = sum(w.confidence for w in words) / len(words)
    else:
        confidence = math.exp(seg.avg_logprob)  # mean token probability (geometric)
    return Segment(
        text=seg.text.strip(),
        start=round(seg.start + offset, 3),
        end=round(seg.end + offset, 3),
        confidence=round(confidence, 4),
        words=words,
    )
