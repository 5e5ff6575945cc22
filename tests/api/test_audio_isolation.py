"""Voice isolator through the ASGI app: audio and video of any rate and channel count in, isolated speech
out (MP3, as long as the input), both engines, the documented limits, bad inputs as ElevenLabs errors."""

from __future__ import annotations

import io
import math
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
import soundfile
from fastapi.testclient import TestClient

from tests.e2e.isolation_quality import (
    MP3_SLACK_SECONDS,
    SAMPLE_RATE,
    isolated,
    load,
    mixtures,
    si_sdr,
)
from tests.unit.test_audio_stream import encode_file
from vocalis.app import create_app
from vocalis.audio import resample
from vocalis.config import Settings

pytestmark = pytest.mark.slow

MIXTURE = "mix_librispeech_61-70968-0000_noise573577_snr5"  # 4.9 s, street noise at 5 dB SNR


@pytest.fixture(scope="module")
def speech(corpus: Path) -> tuple[np.ndarray, np.ndarray]:
    """The mixture and its clean speech at 16 kHz."""
    found = next(m for m in mixtures(corpus) if m.name == MIXTURE)
    return load(found.path), load(found.clean_path)


def isolate(client: TestClient, data: bytes, name: str, path: str = "", **fields: str):
    params = {"engine": fields.pop("engine")} if "engine" in fields else None
    return client.post(
        f"/v1/audio-isolation{path}", params=params, data=fields, files={"audio": (name, data)}
    )


def video(samples: np.ndarray, rate: int, with_audio: bool = True) -> bytes:
    """A Matroska video of grey MPEG-4 frames at 5 fps over `samples`, with them as its (PCM) sound track if
    asked. PCM, since PyAV writes AAC without the edit list that makes decoders drop AAC's priming samples."""
    out = io.BytesIO()
    seconds = len(samples) / rate
    with av.open(out, "w", format="matroska") as media:
        picture = media.add_stream("mpeg4", rate=5)
        picture.width = picture.height = 32
        picture.pix_fmt = "yuv420p"
        sound = media.add_stream("pcm_s16le", rate=rate, layout="mono") if with_audio else None
        for index in range(math.ceil(seconds * 5)):
            frame = av.VideoFrame.from_ndarray(np.full((32, 32, 3), 128, np.uint8), format="rgb24")
            frame.pts, frame.time_base = index, Fraction(1, 5)
            for packet in picture.encode(frame):
                media.mux(packet)
        for packet in picture.encode(None):
            media.mux(packet)
        if sound is not None:
            pcm = (np.clip(samples, -1, 1) * 32767).round().astype(np.int16)[None, :]
            frame = av.AudioFrame.from_ndarray(pcm, format="s16", layout="mono")
            frame.sample_rate = rate
            for packet in [*sound.encode(frame), *sound.encode(None)]:
                media.mux(packet)
    return out.getvalue()


def silence(seconds: float) -> bytes:
    wav = io.BytesIO()
    soundfile.write(wav, np.zeros(round(seconds * SAMPLE_RATE), np.float32), SAMPLE_RATE, format="WAV")
    return wav.getvalue()


def flac_claiming(seconds: float, rate: int = 8000) -> bytes:
    """A FLAC file of one second whose STREAMINFO announces `seconds` (its 36-bit total sample count)."""
    data = bytearray(encode_file(np.zeros((1, rate), np.float32), rate, "flac", "flac"))
    info = data.index(b"fLaC") + 8  # the STREAMINFO block, after its 4-byte header
    # Bytes 10..17: sample rate (20 bits), channels (3), bits per sample (5), total samples (36).
    fields = int.from_bytes(data[info + 10 : info + 18], "big") >> 36 << 36 | round(seconds * rate)
    data[info + 10 : info + 18] = fields.to_bytes(8, "big")
    return bytes(data)


def input_kinds(noisy: np.ndarray) -> dict[str, tuple[bytes, str, dict]]:
    """(file, name, form fields) of the mixture as every kind of input the isolator takes."""
    rate44 = 44100
    at44, at48 = resample(noisy, SAMPLE_RATE, rate44), resample(noisy, SAMPLE_RATE, 48000)
    stereo = np.stack([at44, 0.5 * at44])  # unequal channels: the downmix is still the mixture, scaled
    wav = io.BytesIO()
    soundfile.write(wav, noisy, SAMPLE_RATE, format="WAV", subtype="FLOAT")
    pcm = (np.clip(noisy, -1, 1) * 32767).round().astype("<i2").tobytes()
    return {
        "wav 16 kHz": (wav.getvalue(), "mix.wav", {}),
        "stereo flac 44.1 kHz": (encode_file(stereo, rate44, "flac", "flac"), "mix.flac", {}),
        "opus in ogg 48 kHz": (encode_file(at48[None, :], 48000, "ogg", "libopus"), "mix.ogg", {}),
        "mkv video": (video(at44, rate44), "clip.mkv", {}),
        "pcm_s16le_16": (pcm, "mix.pcm", {"file_format": "pcm_s16le_16"}),
    }


def test_every_kind_of_input_is_isolated(client: TestClient, speech):
    noisy, clean = speech
    baseline = si_sdr(noisy, clean)
    for kind, (data, name, fields) in input_kinds(noisy).items():
        response = isolate(client, data, name, **fields)
        assert response.status_code == 200, (kind, response.text)
        assert response.headers["content-type"] == "audio/mpeg"
        assert response.headers["x-vocalis-engine"] == "deepfilternet3"
        # 1000 characters a minute of the duration the file states: codec padding or a longer video track
        # count too where the container gives no duration of the sound track alone.
        cost = math.ceil(len(noisy) / SAMPLE_RATE / 60 * 1000)
        assert cost <= int(response.headers["character-cost"]) <= cost + 3, kind
        assert int(response.headers["content-length"]) == len(response.content)
        duration = len(load(response.content)) / SAMPLE_RATE
        assert 0 <= duration - len(noisy) / SAMPLE_RATE <= MP3_SLACK_SECONDS, kind
        gain = si_sdr(isolated(response.content, len(clean)), clean) - baseline
        assert gain > 3.0, (kind, gain)


def test_a_real_mp4_video_gives_its_speech(client: TestClient, corpus: Path):
    """A camera-style MP4 (H.264 1080p, stereo 48 kHz AAC, Chinese and English speech) made by FFmpeg."""
    path = corpus / "video" / "autocut_test001_zh_en.mp4"
    response = isolate(client, path.read_bytes(), path.name)
    assert response.status_code == 200, response.text
    original, speech = load(path), load(response.content)
    assert 0 <= (len(speech) - len(original)) / SAMPLE_RATE <= MP3_SLACK_SECONDS
    # Speech throughout: the isolated track keeps most of the energy wherever the original is loud.
    loud = np.abs(original) > 0.1 * np.abs(original).max()
    kept = np.sqrt(np.mean(speech[: len(original)][loud] ** 2) / np.mean(original[loud] ** 2))
    assert kept > 0.5, kept


def test_stream_is_the_same_audio_and_engines_are_chosen(client: TestClient, speech, tmp_path, model_cache):
    noisy, clean = speech
    data = io.BytesIO()
    soundfile.write(data, noisy, SAMPLE_RATE, format="WAV")
    whole = isolate(client, data.getvalue(), "mix.wav", preview_b64="aGVsbG8=")
    streamed = isolate(client, data.getvalue(), "mix.wav", path="/stream")
    assert streamed.status_code == 200 and "content-length" not in streamed.headers
    assert streamed.content == whole.content
    fast = isolate(client, data.getvalue(), "mix.wav", engine="rnnoise")
    assert fast.headers["x-vocalis-engine"] == "rnnoise" and fast.content != whole.content
    assert si_sdr(isolated(fast.content, len(clean)), clean) > si_sdr(noisy, clean) + 3.0
    settings = Settings(home=tmp_path / "rnnoise-home", model_cache=model_cache, isolation_engine="rnnoise")
    with TestClient(create_app(settings)) as rnnoise_server:
        assert isolate(rnnoise_server, data.getvalue(), "mix.wav").content == fast.content


def error_of(response) -> tuple[int, str]:
    detail = response.json()["detail"]
    if response.status_code == 422:
        return 422, "invalid_request"
    assert isinstance(detail["message"], str) and detail["message"]
    return response.status_code, detail["status"]


def test_bad_inputs_are_clear_errors(client: TestClient, speech):
    noisy, _ = speech
    cases = {
        "text file": (b"Dear team, the meeting moved to Friday.", "notes.txt", {}),
        "empty file": (b"", "empty.wav", {}),
        "truncated mp3": (b"ID3\x03\x00\x00\x00\x00\x00\x00" + bytes(64), "cut.mp3", {}),
        "video without sound": (video(noisy, SAMPLE_RATE, with_audio=False), "silent.mkv", {}),
        "odd pcm": (b"\x00\x01\x02", "odd.pcm", {"file_format": "pcm_s16le_16"}),
        "over an hour": (flac_claiming(3601), "long.flac", {}),
        "unknown engine": (silence(1), "short.wav", {"engine": "demucs"}),
        "unknown file_format": (silence(1), "short.wav", {"file_format": "pcm_f32le_48"}),
    }
    expected = {
        "text file": (400, "invalid_audio"),
        "empty file": (400, "invalid_audio"),
        "truncated mp3": (400, "invalid_audio"),
        "video without sound": (400, "invalid_audio"),
        "odd pcm": (400, "invalid_audio"),
        "over an hour": (400, "audio_too_long"),
        "unknown engine": (400, "invalid_parameters"),
        "unknown file_format": (422, "invalid_request"),
    }
    for path in ("", "/stream"):
        for case, (data, name, fields) in cases.items():
            assert error_of(isolate(client, data, name, path, **fields)) == expected[case], (path, case)
    assert client.post("/v1/audio-isolation", data={"file_format": "other"}).status_code == 422


def test_files_over_the_size_limit_are_refused(tmp_path, model_cache):
    settings = Settings(home=tmp_path / "small-home", model_cache=model_cache, max_upload_bytes=64_000)
    with TestClient(create_app(settings)) as small:
        response = isolate(small, silence(3), "three_seconds.wav")
    assert error_of(response) == (400, "file_too_large")
    assert "64000 bytes" in response.json()["detail"]["message"]
