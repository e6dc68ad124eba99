"""Recordings decoded with PyAV, packet by packet, into bounded chunks of 16 kHz mono.

faster-whisper's own `decode_audio` holds a whole recording, and then its whole log-mel
spectrogram, in memory (~1 GB for a three-hour dictation) and silently stops at the first
damaged packet. Here a recording becomes chunks of a few minutes cut at the quietest moment
near each boundary, and damage, truncation and over-long files are reported.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import av
import numpy as np

from .types import UnreadableDocument

SAMPLE_RATE = 16000  # what Whisper expects
_DECODE_PROBLEM = "the audio could not be decoded (damaged, or not really audio)"


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
                cut = quiet_cut(buffer, chunk_len, search_len)
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


def quiet_cut(buffer: np.ndarray, chunk_len: int, search_len: int) -> int:
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
