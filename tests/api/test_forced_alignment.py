"""`POST /v1/forced-alignment` through the ASGI app: real recordings against reference timings, Vocalis's
own speech against its TTS timestamps, spoken forms of numbers and unknown words, and bad input."""

from __future__ import annotations

import base64
import difflib
import io
import json
import wave
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from elevenlabs.types import ForcedAlignmentResponseModel
from fastapi.testclient import TestClient

from vocalis.api import forced_alignment
from vocalis.app import create_app
from vocalis.audio import decode
from vocalis.config import Settings
from vocalis.engines.alignment import PocketsphinxAligner
from vocalis.engines.protocols import Aligner

GEORGE = "JBFqnCBsd6RMkjVDRZzb"
URL = "/v1/forced-alignment"
# Measured: median boundary error 0-10 ms per corpus file against the reference timings.
MEDIAN_BOUND_S = 0.03
P90_BOUND_S = 0.15


@pytest.fixture
def aligning_client(settings: Settings) -> Iterator[TestClient]:
    """The app, with the forced-alignment router added if `create_app` does not include it yet."""
    app = create_app(settings)
    if not any(getattr(route, "path", None) == URL for route in app.routes):
        app.include_router(forced_alignment.router)
    with TestClient(app, headers={"xi-api-key": settings.api_key or ""}) as client:
        yield client


def wav_bytes(samples: np.ndarray, sample_rate: int = 16000) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(sample_rate)
        out.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())
    return buffer.getvalue()


def textgrid_words(path: Path) -> list[tuple[str, float, float]]:
    """(word, start, end) of the "words" tier of a long-format TextGrid, pauses left out."""
    lines = [line.strip() for line in path.read_text().splitlines()]
    at = lines.index('"words"') + 4  # after the name, xmin, xmax and interval count
    count = int(lines[at - 1])
    intervals = [lines[at + 3 * i : at + 3 * i + 3] for i in range(count)]
    return [(label.strip('"'), float(start), float(end)) for start, end, label in intervals if label != '""']


def reference(corpus: Path, name: str) -> tuple[str, list[tuple[str, float, float]]]:
    """The transcript and reference word timings: the TextGrid where there is one, else the sidecar's."""
    truth = json.loads((corpus / "alignment" / f"{name}.wav.json").read_text())["ground_truth"]
    grid = corpus / "alignment" / f"{name}.TextGrid"
    if grid.exists():
        return truth["transcript"], textgrid_words(grid)
    words = [w for w in truth["words"] if not w["word"].startswith("<")]
    return truth["transcript"], [(w["word"].split("(")[0], w["start"], w["end"]) for w in words]


def boundary_errors(words: list[dict], truth: list[tuple[str, float, float]]) -> np.ndarray:
    """|start| and |end| differences of the words both sides share (the references add a stray "uh")."""
    matcher = difflib.SequenceMatcher(a=[w["text"] for w in words], b=[t[0] for t in truth], autojunk=False)
    errors = []
    for block in matcher.get_matching_blocks():
        for k in range(block.size):
            word, (_, start, end) = words[block.a + k], truth[block.b + k]
            errors += [abs(word["start"] - start), abs(word["end"] - end)]
    return np.array(errors)


def align(client: TestClient, audio: bytes, text: str, filename: str = "speech.wav"):
    return client.post(URL, files={"file": (filename, audio, "audio/wav")}, data={"text": text})


def assert_consistent(body: dict, text: str) -> None:
    """The response spells the text, words as written, times in order, and parses with the SDK model."""
    ForcedAlignmentResponseModel.model_validate(body)
    assert "".join(c["text"] for c in body["characters"]) == text
    assert [w["text"] for w in body["words"]] == text.split()
    starts = [c["start"] for c in body["characters"]]
    assert starts == sorted(starts)
    assert all(c["start"] <= c["end"] for c in body["characters"])
    assert body["loss"] == pytest.approx(np.mean([w["loss"] for w in body["words"]]), abs=1e-3)


@pytest.mark.slow
@pytest.mark.parametrize(
    "name", ["librivox_sense_and_sensibility_0870", "mfa_acoustic_corpus", "mfa_cold_corpus"]
)
def test_corpus_recordings_match_reference_timings(aligning_client: TestClient, corpus: Path, name: str):
    text, truth = reference(corpus, name)
    response = align(aligning_client, (corpus / "alignment" / f"{name}.wav").read_bytes(), text)
    assert response.status_code == 200, response.text
    assert response.headers["x-vocalis-engine"] == "pocketsphinx"
    body = response.json()
    assert_consistent(body, text)
    errors = boundary_errors(body["words"], truth)
    assert len(errors) >= 2 * (len(truth) - 2)
    assert np.median(errors) < MEDIAN_BOUND_S
    assert np.percentile(errors, 90) < P90_BOUND_S


@pytest.mark.slow
def test_long_audio_aligns_in_windows(corpus: Path):
    """Short windows on a minute of speech exercise the window chaining a 10-minute file goes through."""
    names = ["librivox_sense_and_sensibility_0870", "mfa_acoustic_corpus", "mfa_cold_corpus"]
    pieces, words, truth, offset = [], [], [], 0.0
    for name in names:
        audio = decode(corpus / "alignment" / f"{name}.wav", sample_rate=16000).samples
        text, timings = reference(corpus, name)
        pieces.append(audio)
        words += text.split()
        truth += [(word, start + offset, end + offset) for word, start, end in timings]
        offset += len(audio) / 16000
    aligner = PocketsphinxAligner(window_seconds=15, margin_seconds=4)
    assert isinstance(aligner, Aligner)
    aligned = aligner.align(np.concatenate(pieces), words)
    assert [w.text for w in aligned] == words
    errors = boundary_errors([vars(w) for w in aligned], truth)
    assert np.median(errors) < MEDIAN_BOUND_S
    assert np.percentile(errors, 90) < P90_BOUND_S


@pytest.mark.slow
def test_vocalis_speech_matches_its_own_timestamps(aligning_client: TestClient):
    """Numbers and out-of-vocabulary words are aligned through their spoken form, reported as written."""
    text = "On Tuesday, Vocalis sold 42 zyxxor lamps to Mr. Quibblesworth for $1,500."
    tts = aligning_client.post(
        f"/v1/text-to-speech/{GEORGE}/with-timestamps",
        params={"output_format": "pcm_16000"},
        json={"text": text},
    )
    assert tts.status_code == 200, tts.text
    speech = tts.json()
    samples = np.frombuffer(base64.b64decode(speech["audio_base64"]), dtype="<i2") / 32768
    starts = speech["alignment"]["character_start_times_seconds"]
    ends = speech["alignment"]["character_end_times_seconds"]

    response = align(aligning_client, wav_bytes(samples), text)
    assert response.status_code == 200, response.text
    # No English function word in the text: Whisper hears English, and pocketsphinx aligns it.
    assert response.headers["x-vocalis-engine"] == "pocketsphinx"
    body = response.json()
    assert_consistent(body, text)
    position, errors = 0, []
    for word in body["words"]:
        first = text.index(word["text"], position)
        position = first + len(word["text"])
        errors += [abs(word["start"] - starts[first]), abs(word["end"] - ends[position - 1])]
        assert word["end"] > word["start"], word  # "42", "zyxxor" and "$1,500." are all spoken
    assert np.median(errors) < 0.08


def test_not_audio_is_invalid_audio(aligning_client: TestClient):
    response = align(aligning_client, b"this is plainly not audio", "hello world", filename="notes.txt")
    assert response.status_code == 400
    assert response.json()["detail"]["status"] == "invalid_audio"
    assert response.json()["detail"]["message"]


def test_blank_text_is_refused(aligning_client: TestClient):
    response = align(aligning_client, wav_bytes(np.zeros(16000)), "   ")
    assert response.status_code == 400
    assert response.json()["detail"]["status"] == "invalid_request"


def test_missing_file_and_text_are_validation_errors(aligning_client: TestClient):
    response = aligning_client.post(URL, data={"text": "hello"})
    assert response.status_code == 422
    assert "file" in response.json()["detail"]["message"]
    response = aligning_client.post(URL, files={"file": ("a.wav", wav_bytes(np.zeros(160)), "audio/wav")})
    assert response.status_code == 422
    assert "text" in response.json()["detail"]["message"]


def test_silent_audio_is_refused(aligning_client: TestClient):
    response = align(aligning_client, wav_bytes(np.zeros(3 * 16000)), "hello world")
    assert response.status_code == 400
    assert response.json()["detail"]["status"] == "invalid_audio"


def test_text_far_longer_than_the_speech_is_refused(aligning_client: TestClient):
    tone = 0.3 * np.sin(2 * np.pi * 220 * np.arange(16000) / 16000)
    response = align(aligning_client, wav_bytes(tone), "word " * 200)
    assert response.status_code == 400
    assert response.json()["detail"]["status"] == "text_too_long"
