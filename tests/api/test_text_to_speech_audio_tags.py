"""Eleven v3 audio tags change the audio (TTS and dialogue alike) while alignments still spell the text."""

from __future__ import annotations

import base64

import numpy as np
import pytest
from fastapi.testclient import TestClient

pytestmark = pytest.mark.slow

GEORGE = "JBFqnCBsd6RMkjVDRZzb"  # Piper
RACHEL = "21m00Tcm4TlvDq8ikWAM"  # Kokoro
SENTENCE = "The garden was quiet in the evening light."


def _speak(client: TestClient, voice_id: str, text: str) -> tuple[np.ndarray, dict]:
    response = client.post(
        f"/v1/text-to-speech/{voice_id}/with-timestamps",
        params={"output_format": "pcm_16000", "enable_logging": "false"},
        json={"text": text, "seed": 5, "model_id": "eleven_v3"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    samples = np.frombuffer(base64.b64decode(body["audio_base64"]), dtype="<i2").astype(np.float32) / 32768
    return samples, body["alignment"]


def _rms(samples: np.ndarray) -> float:
    return float(np.sqrt(np.mean(samples**2)))


def test_whispers_is_quieter_and_slowly_is_longer(client: TestClient):
    plain, _ = _speak(client, GEORGE, SENTENCE)
    whispered, alignment = _speak(client, GEORGE, f"[whispers] {SENTENCE}")
    slow, _ = _speak(client, GEORGE, f"[slowly] {SENTENCE}")
    assert _rms(whispered) < 0.4 * _rms(plain)  # -12 dB is a quarter of the amplitude
    assert len(slow) > 1.2 * len(plain)
    # The tag's characters are zero-length entries where the speech starts; the text is spelled exactly.
    assert "".join(alignment["characters"]) == f"[whispers] {SENTENCE}"
    tag = slice(0, len("[whispers]"))
    starts, ends = alignment["character_start_times_seconds"], alignment["character_end_times_seconds"]
    assert all(start == end for start, end in zip(starts[tag], ends[tag]))


def test_tag_lasts_to_the_end_of_its_sentence_and_pauses_add_silence(client: TestClient):
    plain, _ = _speak(client, GEORGE, f"{SENTENCE} {SENTENCE}")
    tagged, alignment = _speak(client, GEORGE, f"[whispers] {SENTENCE} [pause] {SENTENCE}")
    starts = alignment["character_start_times_seconds"]
    second = len(f"[whispers] {SENTENCE} [pause] ")
    boundary = int(starts[second] * 16000)
    first_half, second_half = tagged[:boundary], tagged[boundary:]
    assert _rms(first_half) < 0.4 * _rms(second_half)  # whispered, then the normal voice again
    # [pause] adds half a second of silence on top of the natural gap between sentences.
    assert len(tagged) - len(plain) > 0.4 * 16000
    assert "".join(alignment["characters"]) == f"[whispers] {SENTENCE} [pause] {SENTENCE}"
    pause = slice(second - len("[pause] "), second - 1)
    assert all(a == b for a, b in zip(starts[pause], alignment["character_end_times_seconds"][pause]))


def test_shouts_is_louder_without_clipping(client: TestClient):
    plain, _ = _speak(client, GEORGE, SENTENCE)
    shouted, _ = _speak(client, GEORGE, f"[shouts] {SENTENCE}")
    assert _rms(shouted) > 1.4 * _rms(plain)
    assert np.max(np.abs(shouted)) < 0.999


def test_dialogue_lines_take_their_tags(client: TestClient):
    inputs = [{"text": f"{tag}{SENTENCE}", "voice_id": RACHEL} for tag in ("", "[whispers] ", "[slowly] ")]
    response = client.post(
        "/v1/text-to-dialogue/with-timestamps",
        params={"output_format": "pcm_16000", "enable_logging": "false"},
        json={"inputs": inputs, "seed": 5},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    samples = np.frombuffer(base64.b64decode(body["audio_base64"]), dtype="<i2").astype(np.float32) / 32768
    plain, whispered, slow = (
        samples[int(segment["start_time_seconds"] * 16000) : int(segment["end_time_seconds"] * 16000)]
        for segment in body["voice_segments"]
    )
    assert _rms(whispered) < 0.4 * _rms(plain)
    assert len(slow) > 1.2 * len(plain)
