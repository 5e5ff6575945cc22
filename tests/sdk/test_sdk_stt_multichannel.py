"""Multichannel speech to text through the official SDK against a real server, on a stereo recording with
one talker per channel."""

from __future__ import annotations

from pathlib import Path

import pytest
from elevenlabs.client import ElevenLabs
from elevenlabs.types import MultichannelSpeechToTextResponseModel, SpeechToTextChunkResponseModel
from sdk_support import assert_matches_spec, validate

pytestmark = pytest.mark.slow

STEREO = "diarization/stereo_two_channel_speakers.wav"  # left: LibriSpeech 61-70968-0000; right: one line


def test_use_multi_channel_returns_one_transcript_per_channel(sdk: ElevenLabs, corpus: Path):
    path = corpus / STEREO
    with path.open("rb") as audio:
        raw = sdk.speech_to_text.with_raw_response.convert(
            file=audio,
            model_id="scribe_v1",
            language_code="en",
            use_multi_channel=True,
            additional_formats=[{"format": "srt"}],
        )
    body = raw._response.json()
    assert isinstance(raw.data, MultichannelSpeechToTextResponseModel)  # the SDK's own parsing
    result = validate(MultichannelSpeechToTextResponseModel, body)
    assert_matches_spec("/v1/speech-to-text", "post", body)
    left, right = result.transcripts
    assert (left.channel_index, right.channel_index) == (0, 1)
    assert "confused complaint against the wizard" in left.text.lower()
    assert "horizon" in right.text.lower()
    for channel, transcript in enumerate(result.transcripts):
        assert {(w.speaker_id, w.channel_index) for w in transcript.words} == {
            (f"speaker_{channel}", channel)
        }
        assert transcript.additional_formats[0].content.startswith("1\n00:00:")
    assert result.audio_duration_secs == pytest.approx(5.0, abs=0.01)

    stored = sdk.speech_to_text.transcripts.get(transcription_id=result.transcription_id)
    assert isinstance(stored, MultichannelSpeechToTextResponseModel)
    assert [t.text for t in stored.transcripts] == [left.text, right.text]
    sdk.speech_to_text.transcripts.delete(transcription_id=result.transcription_id)


def test_combined_style_is_the_single_channel_shape(sdk: ElevenLabs, corpus: Path):
    with (corpus / STEREO).open("rb") as audio:
        raw = sdk.speech_to_text.with_raw_response.convert(
            file=audio,
            model_id="scribe_v1",
            language_code="en",
            use_multi_channel=True,
            multichannel_output_style="combined",
        )
    body = raw._response.json()
    assert isinstance(raw.data, SpeechToTextChunkResponseModel)
    result = validate(SpeechToTextChunkResponseModel, body)
    assert_matches_spec("/v1/speech-to-text", "post", body)
    timed = [w for w in result.words if w.type != "spacing"]
    assert [w.start for w in timed] == sorted(w.start for w in timed)
    assert {w.channel_index for w in timed} == {0, 1}
    assert "wizard" in result.text.lower() and "horizon" in result.text.lower()
