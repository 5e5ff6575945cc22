"""End-to-end speech quality through the ASGI app on the real engines: Whisper tiny.en must understand what
both engines say (word error rate), and the `/with-timestamps` word timings must agree with a pocketsphinx
forced alignment of the same audio.

Run with `-s` to see the per-voice figures.
"""

from __future__ import annotations

import base64
from collections import defaultdict

import numpy as np
import pytest
from fastapi.testclient import TestClient

from vocalis.voices.premade import PREMADE_VOICES

from . import quality

pytestmark = pytest.mark.slow

SPEC_BY_ID = {voice.voice_id: voice.spec for voice in PREMADE_VOICES}
# Both engines and both genders: Piper renders George and Bill, Kokoro the other four.
VOICES = {
    "George": "JBFqnCBsd6RMkjVDRZzb",
    "Bill": "pqHfZKP75CvOlQylNhV4",
    "Rachel": "21m00Tcm4TlvDq8ikWAM",
    "Aria": "9BWtsMINqrJLrRacOk9x",
    "Adam": "pNInz6obpgDQGcFmaJgB",
    "Charlie": "IKne3meq5aSn9XLyUdCD",
}
# Money, a year and plain numbers go through text normalization; a question and a plain statement.
SENTENCES = (
    "The ticket costs $12.50, but children under 5 travel for free.",
    "In 2019, the company hired 250 new engineers across three offices.",
    "Could you tell me where the nearest train station is?",
    "Our flight to Chicago was delayed by almost two hours.",
    "She bought 3 apples and a loaf of bread for $4.",
    "The library closes early on Sundays during the summer.",
)
MODELS = ("eleven_flash_v2_5", "eleven_multilingual_v2")  # alternated, so every voice gets both
SEED = 7  # fixed so the run is repeatable; Piper and Kokoro both vary their delivery by seed
MAX_WER = 0.05
MAX_VOICE_WER = 0.15  # one voice far worse than the rest is broken even when the aggregate passes

ALIGN_VOICES = tuple(VOICES)
# No digits or symbols: `alignment` (request text) and `normalized_alignment` (spoken text) are the same.
ALIGN_SENTENCES = (
    "Please remember to water the plants while I am away on vacation.",
    "The weather forecast calls for heavy rain tomorrow afternoon, so take an umbrella.",
    "Could you tell me where the nearest train station is?",
)
MAX_MEDIAN_BOUNDARY_S = 0.080
MAX_ENGINE_MEDIAN_BOUNDARY_S = 0.100  # each engine on its own, so one broken engine cannot hide


def _pcm16k(data: bytes) -> np.ndarray:
    return np.frombuffer(data, dtype="<i2").astype(np.float32) / 32768


def test_whisper_understands_every_voice(client: TestClient):
    errors: dict[str, int] = defaultdict(int)
    words: dict[str, int] = defaultdict(int)
    misheard: list[str] = []
    for name, voice_id in VOICES.items():
        for index, text in enumerate(SENTENCES):
            model_id = MODELS[index % len(MODELS)]
            response = client.post(
                f"/v1/text-to-speech/{voice_id}",
                params={"output_format": "pcm_16000"},
                json={"text": text, "model_id": model_id, "seed": SEED},
            )
            assert response.status_code == 200, response.text
            assert response.headers["x-vocalis-engine"] == SPEC_BY_ID[voice_id].engine
            audio = _pcm16k(response.content)
            assert len(audio) > 16000, f"{name}: {len(audio) / 16000:.2f} s of audio for {text!r}"
            heard = quality.transcribe(audio)
            wrong, total = quality.word_errors(text, heard)
            errors[name] += wrong
            words[name] += total
            if wrong:
                misheard.append(f"{name} ({model_id}): {text!r} -> {heard!r}")

    lines = [
        f"{name:8} {SPEC_BY_ID[VOICES[name]].engine:6} WER {errors[name] / words[name]:6.1%} "
        f"({errors[name]}/{words[name]})"
        for name in VOICES
    ]
    overall = sum(errors.values()) / sum(words.values())
    report = "\n".join(
        ["Whisper tiny.en round trip, per voice:", *lines, f"all voices WER {overall:.1%}", *misheard]
    )
    print("\n" + report)
    assert overall < MAX_WER, report
    worst = max(VOICES, key=lambda name: errors[name] / words[name])
    assert errors[worst] / words[worst] < MAX_VOICE_WER, report


def test_word_timestamps_match_forced_alignment(client: TestClient):
    boundary_errors: dict[str, list[float]] = defaultdict(list)
    for name in ALIGN_VOICES:
        voice_id = VOICES[name]
        for text in ALIGN_SENTENCES:
            response = client.post(
                f"/v1/text-to-speech/{voice_id}/with-timestamps",
                params={"output_format": "pcm_16000"},
                json={"text": text, "seed": SEED},
            )
            assert response.status_code == 200, response.text
            body = response.json()
            assert body["alignment"]["characters"] == body["normalized_alignment"]["characters"]
            audio = _pcm16k(base64.b64decode(body["audio_base64"]))
            served = quality.words_from_alignment(body["alignment"])
            assert quality.align_words(w.word for w in served) == quality.align_words(text.split())
            measured = quality.force_align(audio, [w.word for w in served])
            boundary_errors[name] += quality.boundary_errors(served, measured)

    def summary(label: str, values: list[float]) -> str:
        return (
            f"{label:8} median {quality.median(values) * 1000:4.0f} ms  "
            f"p90 {quality.percentile(values, 90) * 1000:4.0f} ms  ({len(values)} boundaries)"
        )

    by_engine: dict[str, list[float]] = defaultdict(list)
    for name, values in boundary_errors.items():
        by_engine[SPEC_BY_ID[VOICES[name]].engine] += values
    everything = [value for values in boundary_errors.values() for value in values]
    report = "\n".join(
        [
            "Word start/end: /with-timestamps against pocketsphinx forced alignment:",
            *(summary(name, values) for name, values in boundary_errors.items()),
            *(summary(engine, values) for engine, values in by_engine.items()),
            summary("all", everything),
        ]
    )
    print("\n" + report)
    assert quality.median(everything) < MAX_MEDIAN_BOUNDARY_S, report
    for values in by_engine.values():
        assert quality.median(values) < MAX_ENGINE_MEDIAN_BOUNDARY_S, report
