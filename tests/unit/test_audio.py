"""Round trips through vocalis.audio with real encoders: every output format, streaming, decoding files."""

from __future__ import annotations

import io
import json
import re
import struct
from pathlib import Path

import av
import elevenlabs
import numpy as np
import pytest

from vocalis.audio import (
    OUTPUT_FORMATS,
    Audio,
    AudioDecodeError,
    OutputFormat,
    StreamingEncoder,
    decode,
    decode_channel,
    decode_pcm_s16le,
    encode,
    extra_format,
    parse_output_format,
    probe_channels,
    resample,
)

SPEC = Path(__file__).parents[3] / "shared" / "spec" / "elevenlabs" / "api-openapi.json"
RATE = 24_000
# LAME's encoder delay (576) plus the MP3 decoder delay (529): leading samples MP3 decoders output when the
# stream has no LAME tag, which a live stream cannot carry (its length is unknown when the header goes out).
MP3_PRIMING_SAMPLES = 1105
ALL_FORMATS = [*OUTPUT_FORMATS, "wav_24000"]


def fmt(name: str) -> OutputFormat:
    return extra_format("wav", 24_000) if name == "wav_24000" else parse_output_format(name)


def sine(seconds: float, rate: int = RATE, amplitude: float = 0.5) -> np.ndarray:
    return (amplitude * np.sin(2 * np.pi * 440.0 * np.arange(int(seconds * rate)) / rate)).astype(np.float32)


def dominant_frequency(audio: Audio) -> float:
    spectrum = np.abs(np.fft.rfft(audio.samples))
    return float(np.argmax(spectrum) * audio.sample_rate / len(audio.samples))


def decode_output(data: bytes, output_format: OutputFormat) -> Audio:
    """Decode encoder output; headerless G.711 is read by FFmpeg's own mulaw/alaw demuxers."""
    if output_format.codec == "pcm":
        return decode_pcm_s16le(data, output_format.sample_rate)
    if output_format.codec in ("ulaw", "alaw"):
        demuxer = {"ulaw": "mulaw", "alaw": "alaw"}[output_format.codec]
        rate = str(output_format.sample_rate)
        with av.open(io.BytesIO(data), format=demuxer, options={"sample_rate": rate}) as container:
            frames = [frame.to_ndarray().reshape(-1) for frame in container.decode(audio=0)]
        return Audio(np.concatenate(frames).astype(np.float32) / 32768.0, output_format.sample_rate)
    return decode(data)


def spec_output_formats() -> list[str]:
    """Union of every enum in the spec that holds mp3_/pcm_ names, in first-seen order."""
    found: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            values = node.get("enum")
            if isinstance(values, list) and any(str(v).startswith("mp3_") for v in values):
                found.extend(v for v in values if v not in found)
            for child in node.values():
                walk(child)
        elif isinstance(node, list):
            for child in node:
                walk(child)

    walk(json.loads(SPEC.read_text()))
    return found


@pytest.mark.skipif(not SPEC.exists(), reason="ElevenLabs OpenAPI spec not present")
def test_output_formats_are_the_specs_enum_then_the_sdks_additions() -> None:
    spec = spec_output_formats()
    assert list(OUTPUT_FORMATS[: len(spec)]) == spec
    sdk = set()
    for module in Path(elevenlabs.__file__).parent.rglob("*.py"):
        sdk.update(re.findall(r'"((?:mp3|pcm|wav|ulaw|alaw|opus)_\d+(?:_\d+)?)"', module.read_text()))
    assert set(OUTPUT_FORMATS) == set(spec) | sdk


def test_parse_output_format() -> None:
    assert parse_output_format("mp3_44100_128") == OutputFormat(
        "mp3_44100_128", "mp3", 44100, 128, "audio/mpeg", "mp3"
    )
    assert parse_output_format("pcm_16000").bitrate_kbps is None
    assert parse_output_format("pcm_16000").media_type == "audio/pcm"
    assert parse_output_format("ulaw_8000").media_type == "audio/basic"
    assert parse_output_format("alaw_8000").media_type == "audio/x-alaw-basic"
    assert parse_output_format("opus_48000_64").media_type == "audio/ogg"
    assert extra_format("wav", 16000).media_type == "audio/wav"


def test_parse_output_format_names_bad_value_and_allowed_ones() -> None:
    with pytest.raises(ValueError) as error:
        parse_output_format("mp3_44100_999")
    assert "mp3_44100_999" in str(error.value) and "mp3_44100_128" in str(error.value)


@pytest.mark.parametrize("name", ALL_FORMATS)
def test_encode_round_trip(name: str) -> None:
    output_format = fmt(name)
    data = encode(sine(1.5), RATE, output_format)
    audio = decode_output(data, output_format)

    assert audio.sample_rate == output_format.sample_rate
    duration = audio.duration_seconds
    if output_format.codec == "mp3":
        duration -= MP3_PRIMING_SAMPLES / output_format.sample_rate
    assert duration == pytest.approx(1.5, abs=0.06)
    assert dominant_frequency(audio) == pytest.approx(440, abs=5)
    if output_format.codec in ("mp3", "opus"):
        assert len(data) * 8 / 1.5 / 1000 == pytest.approx(output_format.bitrate_kbps, rel=0.25)


@pytest.mark.parametrize("name", ALL_FORMATS)
def test_streaming_is_one_continuous_stream(name: str) -> None:
    output_format = fmt(name)
    signal = sine(1.0)
    encoder = StreamingEncoder(output_format, RATE)
    chunk = RATE // 20  # 50 ms
    before_flush = [encoder.encode(signal[start : start + chunk]) for start in range(0, len(signal), chunk)]
    assert len(before_flush) == 20
    assert sum(map(len, before_flush)) > 0, "bytes must leave before flush()"
    streamed = decode_output(b"".join(before_flush) + encoder.flush(), output_format)
    one_shot = decode_output(encode(signal, RATE, output_format), output_format)

    assert len(streamed.samples) == len(one_shot.samples)
    assert dominant_frequency(streamed) == pytest.approx(440, abs=5)


@pytest.mark.parametrize("name", ["pcm_44100", "pcm_16000"])
def test_streaming_resampler_has_no_seams(name: str) -> None:
    output_format = parse_output_format(name)
    signal = sine(1.0)
    encoder = StreamingEncoder(output_format, RATE)
    chunks = [encoder.encode(signal[start : start + 1200]) for start in range(0, len(signal), 1200)]
    streamed = decode_pcm_s16le(b"".join(chunks) + encoder.flush(), output_format.sample_rate).samples
    reference = resample(signal, RATE, output_format.sample_rate)

    assert len(streamed) == len(reference)
    assert np.max(np.abs(streamed - reference)) < 1e-3


def test_wav_stream_header_has_streaming_sizes() -> None:
    encoder = StreamingEncoder(extra_format("wav", 24000), RATE)
    data = encoder.encode(sine(0.1)) + encoder.flush()
    riff, riff_size, wave = struct.unpack("<4sI4s", data[:12])
    assert (riff, wave, riff_size) == (b"RIFF", b"WAVE", 0xFFFFFFFF)
    assert data[36:40] == b"data" and struct.unpack("<I", data[40:44])[0] == 0xFFFFFFFF
    assert len(data) == 44 + 2 * 2400


def test_ogg_opus_stream_has_one_serial_and_rising_granules() -> None:
    encoder = StreamingEncoder(parse_output_format("opus_48000_64"), RATE)
    signal = sine(1.0)
    data = b"".join(encoder.encode(signal[start : start + 1200]) for start in range(0, len(signal), 1200))
    data += encoder.flush()
    serials, granules, offset = set(), [], 0
    while offset < len(data):
        assert data[offset : offset + 4] == b"OggS"
        granule, serial = struct.unpack("<qI", data[offset + 6 : offset + 18])
        segments = data[offset + 26]
        lacing = data[offset + 27 : offset + 27 + segments]
        serials.add(serial)
        granules.append(granule)
        offset += 27 + segments + sum(lacing)
    audio_granules = granules[2:]  # after the OpusHead and OpusTags pages
    assert len(serials) == 1
    assert audio_granules == sorted(audio_granules) and len(set(audio_granules)) == len(audio_granules)
    # The last granule is the pre-skip plus exactly one second at 48 kHz.
    assert audio_granules[-1] - 48000 in range(0, 1000)


def test_encode_clips_instead_of_wrapping() -> None:
    data = encode(np.array([2.0, -2.0, 0.0], dtype=np.float32), 16000, parse_output_format("pcm_16000"))
    assert np.frombuffer(data, "<i2").tolist() == [32767, -32767, 0]


def write_media(path: Path, audio_codec: str, rate: int, video_codec: str | None = None) -> None:
    """One second of a 440 Hz tone in the left channel of a stereo track (so decode must downmix), plus an
    optional black video track."""
    left = sine(1.0, rate)
    stereo = np.stack([left, np.zeros_like(left)])
    with av.open(str(path), "w") as container:
        # Every stream must exist before the first packet is muxed (that writes the container header).
        stream = container.add_stream(audio_codec, rate=rate, layout="stereo")
        video = container.add_stream(video_codec, rate=10) if video_codec else None
        if video:
            video.width, video.height, video.pix_fmt = 64, 64, "yuv420p"
            for index in range(10):
                picture = av.VideoFrame.from_ndarray(np.zeros((64, 64, 3), np.uint8), format="rgb24")
                picture.pts = index
                container.mux(video.encode(picture))
            container.mux(video.encode(None))
        frame = av.AudioFrame.from_ndarray(stereo, format="fltp", layout="stereo")
        frame.sample_rate = rate
        container.mux(stream.encode(frame))
        container.mux(stream.encode(None))


@pytest.mark.parametrize(
    ("filename", "audio_codec", "rate", "video_codec"),
    [
        ("tone.wav", "pcm_s16le", 44100, None),
        ("tone.flac", "flac", 44100, None),
        ("tone.ogg", "libopus", 48000, None),
        ("tone.mp3", "libmp3lame", 44100, None),
        ("tone.m4a", "aac", 44100, None),
        ("tone.webm", "libopus", 48000, None),
        ("clip.mp4", "aac", 44100, "libx264"),
        ("clip.mkv", "libopus", 48000, "mpeg4"),
        ("clip.mov", "pcm_s16le", 16000, "mpeg4"),
    ],
)
def test_decode_files(
    tmp_path: Path, filename: str, audio_codec: str, rate: int, video_codec: str | None
) -> None:
    path = tmp_path / filename
    write_media(path, audio_codec, rate, video_codec)
    audio = decode(path)

    assert audio.samples.dtype == np.float32 and audio.samples.ndim == 1
    assert audio.sample_rate == rate
    # Lossy codecs without gapless metadata keep their priming samples.
    assert audio.duration_seconds == pytest.approx(1.0, abs=0.1)
    assert dominant_frequency(audio) == pytest.approx(440, abs=5)
    # Tone of amplitude 0.5 in one channel of two: the mono mix is a tone of amplitude 0.25.
    assert np.sqrt(np.mean(audio.samples**2)) == pytest.approx(0.25 / np.sqrt(2), rel=0.15)

    resampled = decode(path.read_bytes(), sample_rate=16000)
    assert resampled.sample_rate == 16000
    assert resampled.duration_seconds == pytest.approx(audio.duration_seconds, abs=0.002)
    with path.open("rb") as file:
        assert len(decode(file).samples) == len(audio.samples)


@pytest.mark.parametrize(
    ("filename", "audio_codec", "rate"),
    [("tone.wav", "pcm_s16le", 44100), ("tone.mp3", "libmp3lame", 44100), ("tone.ogg", "libopus", 48000)],
)
def test_decode_channel_keeps_channels_apart(
    tmp_path: Path, filename: str, audio_codec: str, rate: int
) -> None:
    path = tmp_path / filename
    write_media(path, audio_codec, rate)
    data = path.read_bytes()
    assert probe_channels(data) == 2
    left, right = decode_channel(data, 0), decode_channel(data, 1)
    assert left.sample_rate == right.sample_rate == 16000
    assert len(left.samples) == len(right.samples) == len(decode(data, sample_rate=16000).samples)
    assert dominant_frequency(left) == pytest.approx(440, abs=5)
    # The tone is on the left only: at full amplitude there, silence on the right.
    assert np.sqrt(np.mean(left.samples**2)) == pytest.approx(0.5 / np.sqrt(2), rel=0.15)
    assert np.abs(right.samples).max() < 0.01
    with pytest.raises(AudioDecodeError, match="no channel 2"):
        decode_channel(data, 2)


def test_decode_pcm_s16le() -> None:
    data = np.array([0, 16384, -32768, 32767], dtype="<i2").tobytes()
    audio = decode_pcm_s16le(data, 16000)
    assert audio.sample_rate == 16000
    assert audio.samples.tolist() == [0.0, 0.5, -1.0, 32767 / 32768]
    with pytest.raises(AudioDecodeError):
        decode_pcm_s16le(b"\x00\x01\x02", 16000)


# Real recordings: mono and stereo WAV, and the video files (AAC in MP4 beside an H.264 track).
CORPUS_MEDIA = (
    "stt_en/librispeech_1995-1837-0001.wav",
    "diarization/stereo_two_channel_speakers.wav",
    "video/ami_meeting_excerpt_stillframe.mp4",
    "video/autocut_test001_zh_en.mp4",
)


@pytest.mark.parametrize("relative_path", CORPUS_MEDIA)
def test_decode_corpus_media(corpus: Path, relative_path: str) -> None:
    path = corpus / relative_path
    sidecar = json.loads(path.with_name(path.name + ".json").read_text())
    audio = decode(path)

    assert audio.sample_rate == sidecar["sample_rate"]
    assert audio.duration_seconds > 1.0
    assert audio.duration_seconds == pytest.approx(sidecar["duration_s"], abs=0.15)
    assert np.sqrt(np.mean(audio.samples**2)) > 0.005


def test_decode_video_without_audio_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "silent.mp4"
    with av.open(str(path), "w") as container:
        video = container.add_stream("libx264", rate=10)
        video.width, video.height, video.pix_fmt = 64, 64, "yuv420p"
        for index in range(5):
            frame = av.VideoFrame.from_ndarray(np.zeros((64, 64, 3), np.uint8), format="rgb24")
            frame.pts = index
            container.mux(video.encode(frame))
        container.mux(video.encode(None))
    with pytest.raises(AudioDecodeError, match="no audio stream"):
        decode(path)


@pytest.mark.parametrize(
    "data",
    [b"", b"this is not audio\n" * 200, np.random.default_rng(0).bytes(20_000), b"RIFF\x00\x00\x00\x00WAVE"],
    ids=["empty", "text", "random", "truncated-wav"],
)
def test_decode_garbage_raises_audio_decode_error(data: bytes) -> None:
    with pytest.raises(AudioDecodeError):
        decode(data)


def test_decode_missing_file_raises_audio_decode_error(tmp_path: Path) -> None:
    with pytest.raises(AudioDecodeError, match="missing.wav"):
        decode(tmp_path / "missing.wav")
