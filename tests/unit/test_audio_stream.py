"""Streaming decode (`decode_stream`) and `probe_duration` on files written with PyAV and on the corpus."""

from __future__ import annotations

import io
import tracemalloc
import wave
from pathlib import Path

import av
import numpy as np
import pytest

from vocalis.audio import AudioDecodeError, decode, decode_stream, probe_duration


def tone(seconds: float, rate: int, channels: int = 1) -> np.ndarray:
    """(channels, samples) float32: a 440 Hz tone, a different amplitude per channel."""
    t = np.arange(int(seconds * rate)) / rate
    wave_ = np.sin(2 * np.pi * 440.0 * t).astype(np.float32)
    return np.stack([wave_ * (0.2 + 0.2 * c) for c in range(channels)])


class _Unseekable(io.BytesIO):
    """What a live recording looks like to a muxer: it cannot go back to write the duration."""

    def seekable(self) -> bool:
        return False


def encode_file(samples: np.ndarray, rate: int, fmt: str, codec: str, *, seekable: bool = True) -> bytes:
    buffer = io.BytesIO() if seekable else _Unseekable()
    layout = "mono" if samples.shape[0] == 1 else "stereo"
    with av.open(buffer, mode="w", format=fmt) as container:
        stream = container.add_stream(codec, rate=rate, layout=layout)
        for start in range(0, samples.shape[1], 960):
            frame = av.AudioFrame.from_ndarray(
                np.ascontiguousarray(samples[:, start : start + 960]), format="fltp", layout=layout
            )
            frame.sample_rate = rate
            frame.pts = start
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return buffer.getvalue()


def test_stream_matches_whole_file_decode() -> None:
    data = encode_file(tone(7.3, 44_100, channels=2), 44_100, "flac", "flac")
    chunks = list(decode_stream(data, 16_000, chunk_seconds=2.0))
    assert all(chunk.dtype == np.float32 and chunk.ndim == 1 for chunk in chunks)
    assert [len(chunk) for chunk in chunks[:-1]] == [32_000] * 3
    assert 0 < len(chunks[-1]) <= 32_000
    whole = decode(data, sample_rate=16_000).samples
    np.testing.assert_allclose(np.concatenate(chunks), whole, atol=1e-5)


def test_same_rate_is_passed_through(tmp_path: Path) -> None:
    path = tmp_path / "tone.ogg"
    path.write_bytes(encode_file(tone(3.0, 48_000), 48_000, "ogg", "libopus"))
    streamed = np.concatenate(list(decode_stream(path, 48_000)))
    np.testing.assert_array_equal(streamed, decode(path).samples)


def test_file_objects_and_paths_give_the_same_samples(tmp_path: Path) -> None:
    data = encode_file(tone(2.0, 22_050), 22_050, "wav", "pcm_s16le")
    path = tmp_path / "tone.wav"
    path.write_bytes(data)
    from_path = np.concatenate(list(decode_stream(str(path), chunk_seconds=0.5)))
    from_file = np.concatenate(list(decode_stream(io.BytesIO(data), chunk_seconds=0.5)))
    np.testing.assert_array_equal(from_path, from_file)
    assert len(from_path) == 32_000


def test_long_file_is_decoded_in_constant_memory(tmp_path: Path) -> None:
    """Ten minutes at 48 kHz: the whole signal at 16 kHz would take 38 MB, at 48 kHz 115 MB."""
    rate, minutes = 48_000, 10
    path = tmp_path / "long.wav"
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        block = (tone(60.0, rate)[0] * 32767).astype("<i2").tobytes()
        for _ in range(minutes):
            out.writeframes(block)
    assert probe_duration(path) == pytest.approx(minutes * 60)

    tracemalloc.start()
    try:
        total = 0
        for chunk in decode_stream(path, 16_000, chunk_seconds=10.0):
            total += len(chunk)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert total == minutes * 60 * 16_000
    assert peak < 8 * 1024 * 1024, f"peak {peak / 2**20:.1f} MiB"


def test_probe_reads_container_metadata(tmp_path: Path) -> None:
    for fmt, codec in (("ogg", "libopus"), ("wav", "pcm_s16le"), ("mp3", "libmp3lame")):
        data = encode_file(tone(3.0, 48_000), 48_000, fmt, codec)
        assert probe_duration(data) == pytest.approx(3.0, abs=0.06), fmt


def test_probe_decodes_when_the_container_has_no_duration() -> None:
    data = encode_file(tone(3.0, 48_000), 48_000, "webm", "libopus", seekable=False)
    with av.open(io.BytesIO(data)) as container:
        assert container.duration is None and container.streams.audio[0].duration is None
    assert probe_duration(data) == pytest.approx(3.0, abs=0.03)


def test_probe_leaves_a_file_object_where_it_was() -> None:
    data = encode_file(tone(1.5, 16_000), 16_000, "wav", "pcm_s16le")
    file = io.BytesIO(data)
    assert probe_duration(file) == pytest.approx(1.5)
    assert file.tell() == 0
    assert np.concatenate(list(decode_stream(file))).size == 24_000


def test_corpus_files_stream_like_they_decode(corpus: Path) -> None:
    for name in ("stt_en/jfk_inaugural_excerpt.flac", "stt_multilingual/mls_es_13697_11991_000000.opus"):
        path = corpus / name
        streamed = np.concatenate(list(decode_stream(path, 16_000, chunk_seconds=4.0)))
        whole = decode(path, sample_rate=16_000).samples
        np.testing.assert_allclose(streamed, whole, atol=1e-5)
        assert probe_duration(path) == pytest.approx(len(whole) / 16_000, abs=0.02)


def test_bad_input() -> None:
    with pytest.raises(AudioDecodeError, match="empty"):
        decode_stream(b"")
    with pytest.raises(ValueError):
        decode_stream(b"RIFF", chunk_seconds=0)
    with pytest.raises(AudioDecodeError, match="Could not decode"):
        list(decode_stream(b"definitely not audio" * 100))
    with pytest.raises(AudioDecodeError):
        probe_duration(b"definitely not audio" * 100)
    with pytest.raises(AudioDecodeError, match="empty"):
        probe_duration(b"")
