"""Speech to text (Scribe shape) and OpenAI transcriptions through the ASGI app, on real recordings."""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path

import numpy as np
import pytest
import soundfile
from fastapi.testclient import TestClient

pytestmark = pytest.mark.slow


def transcribe(client: TestClient, path: Path, **fields) -> dict:
    data = {
        "model_id": "scribe_v1",
        **{
            key: str(value).lower() if isinstance(value, bool) else str(value)
            for key, value in fields.items()
        },
    }
    response = client.post("/v1/speech-to-text", data=data, files={"file": (path.name, path.read_bytes())})
    assert response.status_code == 200, response.text
    return response.json()


def words_of(text: str) -> list[str]:
    return "".join(c.lower() if c.isalnum() or c == " " else " " for c in text).split()


def test_english_recording_words_spacing_and_storage(client: TestClient, corpus: Path):
    path = corpus / "stt_en" / "librispeech_1995-1837-0001.wav"
    reference = json.loads(path.with_suffix(".wav.json").read_text())["ground_truth"]["transcript"]
    body = transcribe(client, path, language_code="en")
    assert body["language_code"] == "eng"
    hypothesis, expected = words_of(body["text"]), words_of(reference)
    common = len(set(hypothesis) & set(expected))
    assert common / len(set(expected)) > 0.8
    types = [word["type"] for word in body["words"]]
    assert types[0] == "word" and "spacing" in types
    assert all(a == "word" or b == "word" for a, b in zip(types, types[1:]))  # spacing between words only
    starts = [word["start"] for word in body["words"]]
    assert starts == sorted(starts) and body["words"][-1]["end"] <= body["audio_duration_secs"] + 0.1
    stored = client.get(f"/v1/speech-to-text/transcripts/{body['transcription_id']}")
    assert stored.json()["text"] == body["text"]
    assert client.delete(f"/v1/speech-to-text/transcripts/{body['transcription_id']}").json() == {
        "status": "ok"
    }
    assert client.get(f"/v1/speech-to-text/transcripts/{body['transcription_id']}").status_code == 404


def test_language_is_detected_with_a_probability(client: TestClient, corpus: Path):
    body = transcribe(client, corpus / "stt_multilingual" / "picovoice_leopard_es_test.wav")
    assert body["language_code"] == "spa"
    assert 0.5 < body["language_probability"] <= 1.0


def test_granularity_character_and_none(client: TestClient, corpus: Path):
    path = corpus / "stt_en" / "cmu_cards_005.wav"
    characters = transcribe(client, path, timestamps_granularity="character", language_code="en")
    word = next(w for w in characters["words"] if w["type"] == "word")
    assert "".join(c["text"] for c in word["characters"]) == word["text"]
    assert word["characters"][0]["start"] == word["start"]
    untimed = transcribe(
        client,
        path,
        timestamps_granularity="none",
        language_code="en",
        additional_formats=json.dumps([{"format": "srt"}]),
    )
    assert all(w["start"] is None and w["end"] is None for w in untimed["words"])
    # Subtitles cannot go without times: they are rendered from the real ones.
    assert untimed["additional_formats"][0]["content"].startswith("1\n00:00:0")


def test_diarization_labels_two_speakers(client: TestClient, corpus: Path):
    body = transcribe(client, corpus / "diarization" / "stereo_two_channel_speakers.wav", diarize=True)
    speakers = {word["speaker_id"] for word in body["words"] if word["type"] == "word"}
    assert len(speakers) >= 2 and all(s.startswith("speaker_") for s in speakers)
    fixed = transcribe(
        client, corpus / "diarization" / "stereo_two_channel_speakers.wav", diarize=True, num_speakers=1
    )
    assert {word["speaker_id"] for word in fixed["words"] if word["type"] == "word"} == {"speaker_0"}


def test_additional_formats_are_real_files(client: TestClient, corpus: Path):
    formats = [{"format": name} for name in ("srt", "txt", "segmented_json", "docx", "pdf", "html")]
    body = transcribe(
        client,
        corpus / "stt_en" / "cmu_goforward.wav",
        language_code="en",
        additional_formats=json.dumps(formats),
    )
    exported = {item["requested_format"]: item for item in body["additional_formats"]}
    assert exported["srt"]["content"].startswith("1\n00:00:")
    assert json.loads(exported["segmented_json"]["content"])["segments"]
    assert base64.b64decode(exported["pdf"]["content"]).startswith(b"%PDF")
    assert base64.b64decode(exported["docx"]["content"]).startswith(b"PK")
    assert "<html" in exported["html"]["content"].lower()
    assert words_of(body["text"])[0] in exported["txt"]["content"].lower()


def test_raw_pcm_fast_path_and_no_logging(client: TestClient, corpus: Path):
    samples, rate = soundfile.read(corpus / "stt_en" / "cmu_cards_005.wav", dtype="int16")
    assert rate == 16000
    response = client.post(
        "/v1/speech-to-text",
        params={"enable_logging": False},
        data={"model_id": "scribe_v1", "file_format": "pcm_s16le_16", "language_code": "en"},
        files={"file": ("cards.pcm", samples.tobytes())},
    )
    assert response.status_code == 200, response.text
    assert "spades" in response.json()["text"].lower()
    assert response.json()["transcription_id"] is None


def _wav(samples: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    soundfile.write(buffer, samples, 16000, format="WAV")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("data", "file", "status", "code"),
    [
        ({"model_id": "scribe_v1"}, ("x.wav", b"not audio at all"), 400, "invalid_audio"),
        ({"model_id": "scribe_v1"}, ("x.wav", b""), 400, "invalid_audio"),
        ({"model_id": "scribe_v1"}, None, 400, "missing_file"),
        ({"model_id": "nope"}, ("x.wav", b"RIFF"), 400, "model_not_found"),
        ({"model_id": "scribe_v1", "num_speakers": "33"}, ("x.wav", b"RIFF"), 400, "invalid_parameters"),
        (
            {"model_id": "scribe_v1", "timestamps_granularity": "syllable"},
            ("x.wav", b"RIFF"),
            400,
            "invalid_parameters",
        ),
        (
            {"model_id": "scribe_v1", "cloud_storage_url": "https://example.com/a.mp3"},
            None,
            400,
            "remote_urls_disabled",
        ),
        ({"model_id": "scribe_v1", "webhook": "true"}, ("x.wav", b"RIFF"), 400, "webhook_not_configured"),
        (
            {"model_id": "scribe_v1", "additional_formats": '[{"format": "mp4"}]'},
            ("x.wav", b"RIFF"),
            400,
            "invalid_parameters",
        ),
        (
            {"model_id": "scribe_v1", "language_code": "en"},
            ("s.wav", _wav(np.zeros(48000, np.float32))),
            400,
            "no_speech_detected",
        ),
        ({}, ("x.wav", b"RIFF"), 422, "invalid_request"),
    ],
)
def test_bad_input_gets_clear_errors(client: TestClient, data, file, status, code):
    response = client.post("/v1/speech-to-text", data=data, files={"file": file} if file else None)
    assert response.status_code == status, response.text
    assert response.json()["detail"]["status"] == code


def test_openai_transcriptions(client: TestClient, corpus: Path):
    path = corpus / "stt_en" / "cmu_goforward.wav"

    def post(**fields):
        return client.post(
            "/v1/audio/transcriptions",
            data={"model": "whisper-1", **fields},
            files={"file": (path.name, path.read_bytes())},
        )

    assert "forward" in post().json()["text"].lower()
    assert "forward" in post(response_format="text").text.lower()
    assert post(response_format="srt").text.startswith("1\n00:00:")
    assert post(response_format="vtt").text.startswith("WEBVTT")
    verbose = post(
        response_format="verbose_json", **{"timestamp_granularities[]": ["word", "segment"]}
    ).json()
    assert verbose["language"] == "english" and verbose["segments"] and verbose["words"]
    assert post(response_format="xml").status_code == 400


def test_audio_events_are_tagged_in_non_speech_stretches(client: TestClient, corpus: Path):
    music = corpus / "music_mix" / "brahms_hungarian_dance5_us_army_strings.ogg"
    body = transcribe(client, music, language_code="en")
    events = [word for word in body["words"] if word["type"] == "audio_event"]
    assert events and any("music" in event["text"] or "applau" in event["text"] for event in events)
    assert all(event["text"].startswith("(") and event["text"].endswith(")") for event in events)
    untagged = client.post(
        "/v1/speech-to-text",
        data={"model_id": "scribe_v1", "language_code": "en", "tag_audio_events": "false"},
        files={"file": (music.name, music.read_bytes())},
    )
    assert untagged.status_code == 400 and untagged.json()["detail"]["status"] == "no_speech_detected"
    speech = transcribe(client, corpus / "stt_en" / "librispeech_1995-1837-0001.wav", language_code="en")
    assert not [word for word in speech["words"] if word["type"] == "audio_event"]
