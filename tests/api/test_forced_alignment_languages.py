"""`POST /v1/forced-alignment` in languages other than English (Whisper base): German, Spanish, French and
Japanese corpus recordings against the Picovoice Leopard word timings in their sidecars, a time shift,
the loss of a wrong transcript, windows over audio longer than Whisper's 30 s, and the language choice."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from test_forced_alignment import align, assert_consistent, boundary_errors, wav_bytes

from vocalis.app import create_app
from vocalis.audio import decode
from vocalis.config import Settings
from vocalis.engines.protocols import Aligner
from vocalis.engines.vad import SileroVad
from vocalis.engines.whisper import WhisperRecognizer
from vocalis.transcription.forced_alignment import text_language

RATE = 16000
LANGUAGES = ("de", "es", "fr", "ja")
# Measured: median boundary error 40-65 ms, p90 120-155 ms against Leopard's timings, which leave a gap
# before most words where Whisper's words touch; one encoder frame is 20 ms.
MEDIAN_BOUND_S = 0.1
P90_BOUND_S = 0.25


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory, model_cache: Path) -> Iterator[TestClient]:
    """One app for the module, so Whisper base loads once."""
    home = tmp_path_factory.mktemp("home")
    settings = Settings(home=home, model_cache=model_cache, api_key="sk_test_languages")
    with TestClient(create_app(settings), headers={"xi-api-key": "sk_test_languages"}) as test_client:
        yield test_client


def recording(corpus: Path, language: str) -> tuple[np.ndarray, str, list[tuple[str, float, float]]]:
    """A Leopard test recording, its transcript and its reference word timings."""
    path = corpus / "stt_multilingual" / f"picovoice_leopard_{language}_test.wav"
    truth = json.loads(path.with_name(path.name + ".json").read_text())["ground_truth"]
    words = [(w["word"], w["start_sec"], w["end_sec"]) for w in truth["words"]]
    return decode(path, sample_rate=RATE).samples, truth["transcript"], words


def character_errors(body: dict, text: str, truth: list[tuple[str, float, float]]) -> np.ndarray:
    """Boundary errors of the reference words found, in order, in the characters (Japanese has no spaces:
    the whole sentence is one word, and Leopard's words are runs of its characters)."""
    characters, errors, position = body["characters"], [], 0
    for word, start, end in truth:
        first = text.index(word, position)
        position = first + len(word)
        errors += [abs(characters[first]["start"] - start), abs(characters[position - 1]["end"] - end)]
    return np.array(errors)


@pytest.mark.slow
@pytest.mark.parametrize("language", LANGUAGES)
def test_recordings_align_with_whisper(client: TestClient, corpus: Path, language: str):
    audio, text, truth = recording(corpus, language)
    response = align(client, wav_bytes(audio), text)
    assert response.status_code == 200, response.text
    assert response.headers["x-vocalis-engine"] == "whisper-base"
    body = response.json()
    assert_consistent(body, text)
    words, duration = body["words"], len(audio) / RATE
    assert all(0 <= w["start"] <= w["end"] <= duration for w in words)
    assert all(a["end"] <= b["start"] for a, b in zip(words, words[1:]))
    # The words cover the speech the VAD hears, from its first onset to its last offset.
    speech = SileroVad().speech_segments(audio)
    assert abs(words[0]["start"] - speech[0][0]) < 0.25
    assert abs(words[-1]["end"] - speech[-1][1]) < 0.25
    if language == "ja":
        errors = character_errors(body, text, truth)
        # Characters are timed from the tokens that spell them, not shared out evenly.
        lengths = np.diff([c["start"] for c in body["characters"]])
        assert np.ptp(lengths) > 0.1
    else:
        folded = [{**w, "text": w["text"].casefold()} for w in words]
        errors = boundary_errors(folded, [(w.casefold(), s, e) for w, s, e in truth])
        assert len(errors) == 2 * len(truth)
    print(f"\n{language}: median {np.median(errors):.3f} s, p90 {np.percentile(errors, 90):.3f} s")
    assert np.median(errors) < MEDIAN_BOUND_S
    assert np.percentile(errors, 90) < P90_BOUND_S
    assert body["loss"] < 1.5  # spoken words: mean negative log-probability of their tokens
    assert all(w["loss"] < 6 for w in words)


@pytest.mark.slow
def test_leading_silence_shifts_every_word(client: TestClient, corpus: Path):
    audio, text, _ = recording(corpus, "es")
    plain = align(client, wav_bytes(audio), text).json()["words"]
    quiet = 0.001 * np.random.default_rng(0).standard_normal(2 * RATE).astype(np.float32)
    shifted = align(client, wav_bytes(np.concatenate([quiet, audio])), text).json()["words"]
    shifts = np.array([[b["start"] - a["start"], b["end"] - a["end"]] for a, b in zip(plain, shifted)])
    print(f"\nshift by 2 s: worst {np.abs(shifts - 2).max() * 1000:.0f} ms")
    assert np.abs(shifts - 2).max() < 0.06


@pytest.mark.slow
def test_loss_tells_a_wrong_transcript(client: TestClient, corpus: Path):
    audio, _, _ = recording(corpus, "de")
    _, other, _ = recording(corpus, "fr")
    response = align(client, wav_bytes(audio), other)
    assert response.status_code == 200, response.text
    body = response.json()
    print(f"\nloss of the French text on German speech: {body['loss']:.2f}")
    assert body["loss"] > 5
    assert all(w["loss"] > 3 for w in body["words"])


@pytest.mark.slow
def test_audio_longer_than_whisper_window(client: TestClient, corpus: Path):
    """33 s of Spanish: aligned in two windows, cut between two words the transcription found, each word
    where it is when its recording is aligned alone."""
    short, short_text, _ = recording(corpus, "es")
    path = corpus / "stt_multilingual" / "mls_es_13697_11991_000000.opus"
    long = decode(path, sample_rate=RATE).samples
    long_text = json.loads(path.with_name(path.name + ".json").read_text())["ground_truth"]["transcript"]
    pause = np.zeros(RATE // 2, dtype=np.float32)
    pieces = [(short, short_text), (long, long_text), (short, short_text)]
    audio = np.concatenate([part for piece, _ in pieces for part in (piece, pause)])
    text = " ".join(piece_text for _, piece_text in pieces)
    assert len(audio) / RATE > 30

    response = align(client, wav_bytes(audio), text)
    assert response.status_code == 200, response.text
    body = response.json()
    assert_consistent(body, text)
    words, offset, errors = body["words"], 0.0, []
    alone = {
        piece_text: align(client, wav_bytes(piece), piece_text).json()["words"]
        for piece, piece_text in pieces
    }
    for piece, piece_text in pieces:
        count = len(piece_text.split())
        mine, words = words[:count], words[count:]
        for a, b in zip(mine, alone[piece_text]):
            errors += [abs(a["start"] - b["start"] - offset), abs(a["end"] - b["end"] - offset)]
        offset += (len(piece) + len(pause)) / RATE
    errors = np.array(errors)
    print(f"\nlong vs alone: median {np.median(errors):.3f} s, p90 {np.percentile(errors, 90):.3f} s")
    assert np.median(errors) < 0.04
    assert np.percentile(errors, 90) < 0.15


def test_language_from_the_text():
    assert text_language("And so my fellow Americans, ask not what your country can do for you") == "en"
    assert text_language("客観的実在の判断的知識が成立するのである") == ""
    assert text_language("그는 이리저리 피하면서 길 한 옆으로 걸어갔다") == ""
    # Latin text without English function words: the audio decides.
    assert text_language("Der hinter diesem Portal liegenden Raum wurde als Leichenhalle genutzt") is None
    assert text_language("go forward ten meters") is None


def test_whisper_is_an_aligner(model_cache: Path):
    assert isinstance(WhisperRecognizer("base", cache_dir=model_cache), Aligner)
