"""End-to-end Text to Dialogue through the ASGI app: Whisper tiny.en must hear each line's words in its voice
segment (so the segments are where the audio says they are), and never the audio tags.

Run with `-s` to see the figures.
"""

from __future__ import annotations

import base64
import re

import numpy as np
import pytest
from fastapi.testclient import TestClient

from . import quality

pytestmark = pytest.mark.slow

RACHEL = "21m00Tcm4TlvDq8ikWAM"  # Kokoro
GEORGE = "JBFqnCBsd6RMkjVDRZzb"  # Piper
# Both engines in turn, with tags that change the delivery, a pause and one no engine can act out.
LINES = (
    ("[cheerfully] Good morning! Did you sleep well last night?", RACHEL),
    ("[sighs] Not really, the neighbors had a party until two.", GEORGE),
    ("[whispers] I heard the music too. [laughs] It was terrible.", RACHEL),
    ("[slowly] Next time we should call the building manager.", GEORGE),
)
TAG_WORDS = {"cheerfully", "sighs", "sigh", "whispers", "whisper", "laughs", "laugh", "slowly"}
MAX_WER = 0.05


def _spoken(text: str) -> str:
    return re.sub(r"\[[^\]]*\]", " ", text)


def test_whisper_hears_each_line_in_its_segment_and_no_tags(client: TestClient):
    response = client.post(
        "/v1/text-to-dialogue/with-timestamps",
        params={"output_format": "pcm_16000"},
        json={"inputs": [{"text": text, "voice_id": voice} for text, voice in LINES], "seed": 7},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    audio = np.frombuffer(base64.b64decode(body["audio_base64"]), dtype="<i2").astype(np.float32) / 32768
    segments = body["voice_segments"]
    assert [segment["dialogue_input_index"] for segment in segments] == list(range(len(LINES)))
    errors = words = 0
    report = []
    for segment, (text, voice) in zip(segments, LINES):
        assert segment["voice_id"] == voice
        start, end = (
            int(segment[key] * quality.SAMPLE_RATE) for key in ("start_time_seconds", "end_time_seconds")
        )
        heard = quality.transcribe(audio[start:end])
        wrong, total = quality.word_errors(_spoken(text), heard)
        errors, words = errors + wrong, words + total
        report.append(f"{text!r} -> {heard!r}")
        assert not TAG_WORDS & set(quality.wer_words(heard)), report[-1]
    whole = quality.transcribe(audio)
    all_wrong, all_words = quality.word_errors(_spoken(" ".join(text for text, _ in LINES)), whole)
    print(
        f"\ndialogue WER per segment {errors / words:.1%} ({errors}/{words}), "
        f"whole audio {all_wrong / all_words:.1%}\n" + "\n".join(report)
    )
    assert errors / words < MAX_WER, "\n".join(report)
    assert not TAG_WORDS & set(quality.wer_words(whole)), whole
