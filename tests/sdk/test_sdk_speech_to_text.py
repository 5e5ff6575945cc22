"""Speech to text and forced alignment through the official SDK against a real server."""

from __future__ import annotations

from pathlib import Path

import pytest
from elevenlabs.client import ElevenLabs
from elevenlabs.core.api_error import ApiError
from elevenlabs.types import ForcedAlignmentResponseModel, SpeechToTextChunkResponseModel
from sdk_support import assert_matches_spec, validate

pytestmark = pytest.mark.slow


def test_issue_example_convert_with_speakers_and_formats(sdk: ElevenLabs, corpus: Path):
    path = corpus / "diarization" / "stereo_two_channel_speakers.wav"
    with path.open("rb") as audio:
        raw = sdk.speech_to_text.with_raw_response.convert(
            file=audio,
            model_id="scribe_v1",
            diarize=True,
            num_speakers=None,
            tag_audio_events=True,
            timestamps_granularity="word",
            additional_formats=[{"format": "srt"}, {"format": "txt", "include_timestamps": False}],
        )
    body = raw._response.json()
    result = validate(SpeechToTextChunkResponseModel, body)
    assert_matches_spec(
        "/v1/speech-to-text", "post", {k: v for k, v in body.items() if k != "transcription_id"}
    )
    assert result.language_code == "eng" and result.text.strip()
    assert {w.speaker_id for w in result.words if w.type == "word"} >= {"speaker_0", "speaker_1"}
    assert [f.requested_format for f in result.additional_formats] == ["srt", "txt"]
    stored = sdk.speech_to_text.transcripts.get(transcription_id=result.transcription_id)
    assert stored.text == result.text
    sdk.speech_to_text.transcripts.delete(transcription_id=result.transcription_id)
    with pytest.raises(ApiError) as missing:
        sdk.speech_to_text.transcripts.get(transcription_id=result.transcription_id)
    assert missing.value.status_code == 404


def test_bad_audio_is_a_400_through_the_sdk(sdk: ElevenLabs):
    with pytest.raises(ApiError) as error:
        sdk.speech_to_text.convert(file=("x.wav", b"definitely not audio"), model_id="scribe_v1")
    assert error.value.status_code == 400
    assert error.value.body["detail"]["status"] == "invalid_audio"


def test_forced_alignment(sdk: ElevenLabs, corpus: Path):
    path = corpus / "stt_en" / "cmu_goforward.wav"
    with path.open("rb") as audio:
        raw = sdk.forced_alignment.with_raw_response.create(file=audio, text="go forward ten meters")
    result = validate(ForcedAlignmentResponseModel, raw._response.json())
    assert [word.text for word in result.words] == ["go", "forward", "ten", "meters"]
    assert "".join(c.text for c in result.characters) == "go forward ten meters"
    starts = [word.start for word in result.words]
    assert starts == sorted(starts)


def test_forced_alignment_in_german(sdk: ElevenLabs, corpus: Path):
    path = corpus / "stt_multilingual" / "picovoice_leopard_de_test.wav"
    text = "Der hinter diesem Portal liegenden Raum wurde als Leichenhalle genutzt."
    with path.open("rb") as audio:
        raw = sdk.forced_alignment.with_raw_response.create(file=audio, text=text)
    assert raw._response.headers["x-vocalis-engine"] == "whisper-base"
    result = validate(ForcedAlignmentResponseModel, raw._response.json())
    assert [word.text for word in result.words] == text.split()
    assert "".join(c.text for c in result.characters) == text
    # Leopard's timings of the first and last words (sidecar): "Der" 0.77-0.90 s, "genutzt" 4.13-4.54 s.
    assert result.words[0].start == pytest.approx(0.77, abs=0.1)
    assert result.words[-1].end == pytest.approx(4.54, abs=0.15)
    assert all(a.end <= b.start for a, b in zip(result.words, result.words[1:]))
    assert result.loss < 1.5
