from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from chartdrop.ingest.speech import (
    SpeechModelError,
    Transcriber,
    cpu_threads,
    resolve_device,
    resolve_model,
)
from chartdrop.ingest.types import DocumentKind, UnreadableDocument
from chartdrop.settings import Settings
from tests.factories import make_dictation, make_silence, transcode_audio

from .conftest import NOTE


def _robust_words(text: str) -> set[str]:
    # tiny.en on espeak-ng gets these reliably; numbers and rarer words it may not.
    lowered = text.lower()
    return {w for w in ("patient", "hypertension", "diabetes", "blood", "pressure") if w in lowered}


def test_dictation_is_transcribed(transcriber: Transcriber, dictation_wav: Path) -> None:
    result = transcriber.transcribe(dictation_wav)
    assert result.kind is DocumentKind.AUDIO
    assert result.engine == "faster-whisper"
    assert result.model == "bundled:tiny.en"
    assert len(_robust_words(result.text)) >= 4, result.text
    assert result.duration_s is not None and 4 < result.duration_s < 10
    words = [w for s in result.segments for w in s.words]
    assert len(words) >= 10
    assert all(w.start is not None and w.end is not None and w.start <= w.end for w in words)
    assert all(0.0 <= w.confidence <= 1.0 for w in words)
    assert all(s.start is not None and s.confidence is not None for s in result.segments)
    starts = [w.start for w in words]
    assert starts == sorted(starts)


def test_mp3_and_ogg_work(transcriber: Transcriber, tmp_path: Path) -> None:
    for fmt in ("mp3", "ogg"):
        path = make_dictation(NOTE, tmp_path / f"note.{fmt}", fmt=fmt)
        assert len(_robust_words(transcriber.transcribe(path).text)) >= 4


def test_silence_gives_empty_text(transcriber: Transcriber, tmp_path: Path) -> None:
    result = transcriber.transcribe(make_silence(tmp_path / "quiet.wav", seconds=8, noise=0.002))
    assert result.text == ""
    assert result.segments == ()
    assert result.duration_s == pytest.approx(8.0, abs=0.1)


def test_garbage_after_wav_header_is_unreadable(transcriber: Transcriber, tmp_path: Path) -> None:
    path = tmp_path / "broken.wav"
    path.write_bytes(b"RIFF" + os.urandom(20000))
    with pytest.raises(UnreadableDocument, match="could not be decoded"):
        transcriber.transcribe(path)


def test_truncated_m4a_is_unreadable(
    transcriber: Transcriber, dictation_wav: Path, tmp_path: Path
) -> None:
    # An interrupted phone upload: the MP4 index (moov) never arrived.
    whole = make_dictation(NOTE, tmp_path / "note.m4a", fmt="m4a")
    cut = tmp_path / "cut.m4a"
    cut.write_bytes(whole.read_bytes()[:4000])
    with pytest.raises(UnreadableDocument, match="could not be decoded") as caught:
        transcriber.transcribe(cut)
    assert "cut.m4a" not in caught.value.reason


def test_too_long(transcriber: Transcriber, dictation_wav: Path) -> None:
    with pytest.raises(UnreadableDocument, match="too long"):
        transcriber.transcribe(dictation_wav, Settings(max_audio_minutes=0.05))


def test_chunked_decoding_keeps_timestamps(transcriber: Transcriber, tmp_path: Path) -> None:
    # Force several chunks on a short clip: words must keep absolute times, in order.
    from chartdrop.ingest import speech

    path = make_dictation(f"{NOTE} {NOTE}", tmp_path / "two.wav")
    stats = speech.DecodeStats()
    chunks = list(speech.pcm_chunks(path, 600, stats, chunk_seconds=4, search_seconds=1))
    assert len(chunks) >= 2
    assert chunks[1][0] == pytest.approx(len(chunks[0][1]) / speech.SAMPLE_RATE)
    assert sum(len(c) for _, c in chunks) / speech.SAMPLE_RATE == pytest.approx(stats.decoded_s)


def test_model_resolution() -> None:
    source, name = resolve_model("bundled:tiny.en")
    assert Path(source, "model.bin").is_file() and name == "bundled:tiny.en"
    assert resolve_model("Systran/faster-whisper-small") == ("Systran/faster-whisper-small",) * 2
    with pytest.raises(SpeechModelError, match="does not exist"):
        resolve_model("/opt/models/whisper-missing")
    with pytest.raises(SpeechModelError, match="does not exist"):
        Transcriber(Settings(whisper_model="./models/nope"))
    with pytest.raises(SpeechModelError, match=r"only tiny\.en"):
        resolve_model("bundled:large-v3")


def test_device_resolution() -> None:
    assert resolve_device("cpu", "auto") == ("cpu", "int8")
    assert resolve_device("cuda", "auto") == ("cuda", "float16")
    assert resolve_device("cpu", "float32") == ("cpu", "float32")
    assert resolve_device("auto", "auto")[0] in {"cpu", "cuda"}


def test_threads_respect_omp_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OMP_THREAD_LIMIT", "1")
    assert cpu_threads(4) == 1
    monkeypatch.delenv("OMP_THREAD_LIMIT")
    assert cpu_threads(4) == 4


def test_dictation_conventions_end_to_end(transcriber: Transcriber, tmp_path: Path) -> None:
    # Spoken as a physician dictates (espeak-ng pauses at the written commas).
    spoken = (
        "The patient is stable. Period. New paragraph. "
        "The medical record number is four, four, seven, two, one, eight. Period."
    )
    path = make_dictation(spoken, tmp_path / "conventions.wav", speed=140)
    result = transcriber.transcribe(path)
    assert "447218" in result.text, result.text
    assert "\n\n" in result.text, result.text
    assert "period" not in result.text.lower() and "paragraph" not in result.text.lower()
    assert "period" in result.raw_text.lower()  # the recogniser's own words kept beside
    # Every formatted token maps back to recognised words and their times.
    words = [w for s in result.segments for w in s.words]
    tokens = [t for s in result.segments for t in s.tokens]
    mrn = next(t for t in tokens if "447218" in t.text)
    assert mrn.last_word > mrn.first_word
    assert mrn.start == words[mrn.first_word].start and mrn.end == words[mrn.last_word].end
    assert all(s.raw_text for s in result.segments)


def test_noise_only_file_gives_no_words(transcriber: Transcriber, tmp_path: Path) -> None:
    for level in (0.02, 0.1):
        path = make_silence(tmp_path / f"noise{level}.wav", seconds=10, noise=level)
        result = transcriber.transcribe(path)
        assert result.text == "" and result.segments == (), (level, result.text)


def test_stereo_44k_is_transcribed(transcriber: Transcriber, tmp_path: Path) -> None:
    import av
    import numpy as np

    mono = make_dictation(NOTE, tmp_path / "mono.wav")
    stereo = transcode_audio(mono, tmp_path / "stereo.wav", "wav", layout="stereo", rate=44100)
    with av.open(str(stereo)) as check:
        assert check.streams.audio[0].channels == 2 and check.streams.audio[0].rate == 44100
    result = transcriber.transcribe(stereo)
    assert len(_robust_words(result.text)) >= 4, result.text
    assert result.duration_s == pytest.approx(transcriber.transcribe(mono).duration_s, abs=0.1)
    assert np.isfinite(result.segments[0].confidence or 0.0)


def test_low_confidence_words_are_counted(transcriber: Transcriber, dictation_wav: Path) -> None:
    result = transcriber.transcribe(dictation_wav)
    words = [w for s in result.segments for w in s.words]
    low = sum(1 for w in words if w.confidence < 0.5)
    assert result.low_confidence_words == low
    if low:
        assert any("low-confidence" in w for w in result.warnings)
    for c in result.corrections:  # every correction names what was heard
        assert c.original == " ".join(w.text for w in words[c.first_word : c.last_word + 1])


def test_dss_dictation_is_refused_clearly(tmp_path: Path) -> None:
    from chartdrop.ingest.readers import read_document
    from chartdrop.ingest.types import UnsupportedDocument

    path = tmp_path / "dictation.dss"
    path.write_bytes(b"\x02dss" + os.urandom(4000))
    with pytest.raises(UnsupportedDocument, match="DSS"):
        read_document(path, Settings())


def test_parts_are_decoded_side_by_side_one_thread_each(transcriber: Transcriber) -> None:
    """On the CPU the default settings give tiny.en two 1-thread CTranslate2 workers, so
    a recording's two parts decode at once; 0 decode threads keeps one worker on all."""
    from chartdrop.ingest.whisper_model import load_whisper, resolve_model

    assert transcriber.decoders == 2 and transcriber.model.model.num_workers == 2
    source, _ = resolve_model("bundled:tiny.en")
    single, decoders = load_whisper(source, "cpu", "int8", threads=2, decode_threads=2)
    assert decoders == 1 and single.model.num_workers == 1
    assert Transcriber(Settings(whisper_decode_threads=0)).settings.whisper_decode_threads == 0


def test_concurrent_dictations_decode_side_by_side_never_more_than_decoders(
    transcriber: Transcriber, dictation_wav: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two workers' short dictations decode at once, one per CTranslate2 worker (the first
    two decodes meet at a barrier, which a serialising lock would never let happen); a
    third waits for a free decoder; each text is the one a lone transcription gives."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from chartdrop.ingest import speech

    alone = transcriber.transcribe(dictation_wav).text
    original = speech._decode
    meet = threading.Barrier(2, timeout=30)
    lock = threading.Lock()
    state = {"active": 0, "peak": 0, "calls": 0}

    def counted(*args: object, **kwargs: object) -> list[object]:
        with lock:
            state["active"] += 1
            state["peak"] = max(state["peak"], state["active"])
            state["calls"] += 1
            first_two = state["calls"] <= 2
        try:
            if first_two:
                meet.wait()
            return original(*args, **kwargs)
        finally:
            with lock:
                state["active"] -= 1

    monkeypatch.setattr(speech, "_decode", counted)
    assert transcriber.decoders == 2
    with ThreadPoolExecutor(3) as pool:
        texts = list(pool.map(lambda _: transcriber.transcribe(dictation_wav).text, range(3)))
    assert texts == [alone] * 3
    assert state["calls"] == 3 and state["peak"] == 2


def test_auto_decode_threads_parallel_only_for_a_small_model(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Auto (-1, the default) decodes tiny.en in parallel parts; a model over PARALLEL_MAX_MB
    on disk (here: the limit lowered below tiny.en's size) keeps one decoder on all threads."""
    from chartdrop.ingest import whisper_model
    from chartdrop.ingest.whisper_model import load_whisper, resolve_model

    assert Settings().whisper_decode_threads == -1
    source, _ = resolve_model("bundled:tiny.en")
    small, decoders = load_whisper(source, "cpu", "int8", threads=2, decode_threads=None)
    assert decoders == 2 and small.model.num_workers == 2
    monkeypatch.setattr(whisper_model, "PARALLEL_MAX_MB", 1)
    large, decoders = load_whisper(source, "cpu", "int8", threads=2, decode_threads=None)
    assert decoders == 1 and large.model.num_workers == 1
    # Asked for explicitly, parallel parts whatever the size.
    forced, decoders = load_whisper(source, "cpu", "int8", threads=2, decode_threads=1)
    assert decoders == 2 and forced.model.num_workers == 2


def test_long_chunks_split_at_a_quiet_point_for_parallel_decoders() -> None:
    from chartdrop.ingest import speech

    rate = speech.SAMPLE_RATE
    rng = np.random.default_rng(0)
    loud = rng.normal(0, 0.3, 400 * rate).astype(np.float32)
    loud[int(201.5 * rate) : int(201.8 * rate)] = 0.0  # a pause near the middle
    parts = speech._parts(loud, 2)
    assert len(parts) == 2 and parts[0][0] == 0.0
    assert 201.5 <= parts[1][0] <= 201.8
    assert sum(len(p) for _, p in parts) == len(loud)
    three = speech._parts(loud, 3)
    assert len(three) == 3 and all(len(p) >= speech.MIN_PART_SECONDS * rate for _, p in three)
    # A dictation of under 2 minutes decodes whole: a cut costs the words beside it.
    assert len(speech._parts(loud[: 115 * rate], 2)) == 1
    assert len(speech._parts(loud[: 150 * rate], 4)) == 2  # no part under 60 s
    assert len(speech._parts(loud, 1)) == 1


def test_faster_whisper_seeks_by_predicted_timestamps() -> None:
    """With word timestamps on, faster-whisper would move on from a window at its last
    aligned word end; chartdrop makes the seek use the decoder's timestamps (whisper_model
    .use_timestamp_seek) and leaves every other word-end lookup as it was."""
    import faster_whisper.transcribe as fw

    from chartdrop.ingest import whisper_model

    assert whisper_model.use_timestamp_seek() and whisper_model.use_timestamp_seek()
    segments = [{"start": 0.0, "end": 2.0, "words": [{"word": " pain", "start": 1.0, "end": 1.4}]}]
    assert fw.get_end(segments) == 1.4  # not right after an alignment
    whisper_model._after_alignment.flag = True  # as add_word_timestamps leaves it
    assert fw.get_end(segments) is None  # the seek right after: the timestamp token's
    assert fw.get_end(segments) == 1.4  # once only


def test_long_dictation_decoded_in_parallel_parts_keeps_order_and_times(
    transcriber: Transcriber, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chartdrop.ingest import speech

    # Parts of 10 s here, so that a short test dictation takes the parallel path.
    monkeypatch.setattr(speech, "MIN_PART_SECONDS", 10.0)
    first = (
        "The patient is a sixty year old man with hypertension and diabetes. He takes "
        "metformin twice daily. His blood pressure today is one forty over ninety. "
        "He walks two miles every morning without trouble."
    )
    second = (
        "On examination the lungs are clear. The heart has a regular rhythm. The abdomen "
        "is soft. She denies chest pain, fever or cough. Follow up in three months."
    )
    path = make_dictation(f"{first} {second}", tmp_path / "long.wav", speed=110)
    result = transcriber.transcribe(path)
    assert result.duration_s > 2 * speech.MIN_PART_SECONDS
    words = [w for seg in result.segments for w in seg.words]
    assert [w.start for w in words] == sorted(w.start for w in words)
    text = result.text.lower()
    assert text.index("hypertension") < text.rindex("chest pain")
    assert words[-1].end <= result.duration_s + 0.5


def test_malloc_arenas_capped_unless_the_administrator_chose(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from chartdrop.ingest import whisper_model

    calls: list[tuple[int, int]] = []

    class FakeLibc:
        def mallopt(self, param: int, value: int) -> int:
            calls.append((param, value))
            return 1

    monkeypatch.setattr(whisper_model.ctypes, "CDLL", lambda name: FakeLibc())
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    whisper_model.cap_malloc_arenas()
    assert calls == [(-8, whisper_model.MALLOC_ARENAS)]
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    whisper_model.cap_malloc_arenas()
    assert len(calls) == 1
