"""Instant voice cloning through the ASGI app with real corpus recordings: add, get with samples, speak with
the clone at once, sample audio, edit, delete a sample, delete the voice; and every refusal of bad input."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import soundfile
from fastapi.testclient import TestClient

from vocalis.app import create_app
from vocalis.audio import decode
from vocalis.config import Settings
from vocalis.voices import cloning

pytestmark = pytest.mark.slow

TEST_API_KEY = "sk_test_0123456789abcdef"
GEORGE = "JBFqnCBsd6RMkjVDRZzb"


@pytest.fixture(scope="module")
def cloning_client(tmp_path_factory: pytest.TempPathFactory, model_cache: Path) -> Iterator[TestClient]:
    """One app for the module, so the clone search's probe renders are made once."""
    settings = Settings(
        home=tmp_path_factory.mktemp("cloning-home"), model_cache=model_cache, api_key=TEST_API_KEY
    )
    with TestClient(create_app(settings), headers={"xi-api-key": TEST_API_KEY}) as client:
        yield client


def _file(path: Path, name: str | None = None, media_type: str = "audio/wav") -> tuple[str, tuple]:
    return ("files", (name or path.name, path.read_bytes(), media_type))


def _wav(samples: np.ndarray, rate: int = 16000) -> bytes:
    buffer = io.BytesIO()
    soundfile.write(buffer, samples, rate, format="WAV")
    return buffer.getvalue()


@pytest.fixture
def quick_search(monkeypatch: pytest.MonkeyPatch) -> None:
    """The flow, not the clone's quality, is tested here (tests/e2e and the SDK flow search at full effort):
    the search scores its anchors only."""
    monkeypatch.setattr(cloning, "CLONING_EFFORT", 0.01)


@pytest.mark.usefixtures("quick_search")
def test_clone_is_listed_spoken_edited_and_deleted(cloning_client: TestClient, corpus: Path):
    references = corpus / "voice_reference"
    first = references / "picovoice_eagle_speaker_1_utt_1.wav"
    response = cloning_client.post(
        "/v1/voices/add",
        data={"name": "Eagle", "description": "Read prompts", "labels": json.dumps({"accent": "american"})},
        files=[_file(first)],
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["requires_verification"] is False
    voice_id = body["voice_id"]

    voice = cloning_client.get(f"/v1/voices/{voice_id}").json()
    assert voice["category"] == "cloned" and voice["name"] == "Eagle" and voice["is_owner"] is True
    assert voice["labels"]["accent"] == "american"
    assert voice["labels"]["vocalis_clone_method"] == "nearest-voice"
    assert 0.3 < float(voice["labels"]["vocalis_similarity"]) <= 1.0
    [sample] = voice["samples"]
    assert sample["file_name"] == first.name and sample["mime_type"] == "audio/wav"
    assert sample["size_bytes"] == first.stat().st_size and sample["duration_secs"] == pytest.approx(
        9.74, abs=0.01
    )
    assert len(sample["hash"]) == 64 and sample["remove_background_noise"] is False
    listed = cloning_client.get("/v2/voices", params={"category": "cloned"}).json()
    assert [v["voice_id"] for v in listed["voices"]] == [voice_id]

    # Usable at once by every TTS path: the engine the search chose renders it.
    speech = cloning_client.post(f"/v1/text-to-speech/{voice_id}", json={"text": "Good morning, everyone."})
    assert speech.status_code == 200
    assert speech.headers["x-vocalis-engine"] in {"kokoro", "piper"}
    assert decode(speech.content).duration_seconds > 0.8

    audio = cloning_client.get(f"/v1/voices/{voice_id}/samples/{sample['sample_id']}/audio")
    assert audio.status_code == 200 and audio.content == first.read_bytes()
    assert audio.headers["content-type"] == "audio/wav"

    # Edit: new name and labels; a second recording is added and the voice is made again from both.
    second = references / "picovoice_eagle_speaker_1_utt_2.wav"
    edited = cloning_client.post(
        f"/v1/voices/{voice_id}/edit",
        data={"name": "Eagle two", "labels": json.dumps({"accent": "british"})},
        files=[_file(second)],
    )
    assert edited.json() == {"status": "ok"}
    voice = cloning_client.get(f"/v1/voices/{voice_id}").json()
    assert voice["name"] == "Eagle two" and voice["description"] == "Read prompts"
    assert voice["labels"]["accent"] == "british" and "vocalis_clone_method" in voice["labels"]
    assert [s["file_name"] for s in voice["samples"]] == [first.name, second.name]

    deleted = cloning_client.delete(f"/v1/voices/{voice_id}/samples/{sample['sample_id']}")
    assert deleted.json() == {"status": "ok"}
    voice = cloning_client.get(f"/v1/voices/{voice_id}").json()
    assert [s["file_name"] for s in voice["samples"]] == [second.name]
    gone = cloning_client.get(f"/v1/voices/{voice_id}/samples/{sample['sample_id']}/audio")
    assert gone.status_code == 404 and gone.json()["detail"]["status"] == "sample_not_found"

    assert cloning_client.delete(f"/v1/voices/{voice_id}").json() == {"status": "ok"}
    assert cloning_client.get(f"/v1/voices/{voice_id}").status_code == 404
    assert cloning_client.post(f"/v1/text-to-speech/{voice_id}", json={"text": "Hi."}).status_code == 404


@pytest.mark.usefixtures("quick_search")
def test_background_noise_is_removed_by_the_voice_isolator(cloning_client: TestClient, corpus: Path):
    noisy = corpus / "noisy_speech" / "mix_librispeech_61-70968-0000_noise573577_snr5.wav"
    response = cloning_client.post(
        "/v1/voices/add", data={"name": "Noisy", "remove_background_noise": "true"}, files=[_file(noisy)]
    )
    assert response.status_code == 200, response.text
    voice = cloning_client.get(f"/v1/voices/{response.json()['voice_id']}").json()
    assert voice["samples"][0]["remove_background_noise"] is True


@pytest.mark.parametrize(
    ("files", "status", "code"),
    [
        ([], 400, "no_samples"),
        ([("files", ("notes.txt", b"not audio at all", "text/plain"))], 400, "invalid_audio"),
        (
            [("files", ("silence.wav", _wav(np.zeros(48000, np.float32)), "audio/wav"))],
            400,
            "sample_too_short",
        ),
    ],
)
def test_bad_samples_are_refused(cloning_client: TestClient, files, status: int, code: str):
    response = cloning_client.post("/v1/voices/add", data={"name": "Bad"}, files=files)
    assert response.status_code == status
    assert response.json()["detail"]["status"] == code


def test_short_speech_and_several_speakers_are_refused(cloning_client: TestClient, corpus: Path):
    speech = decode(corpus / "voice_reference" / "ljspeech_LJ050-0131.wav", 16000).samples
    short = _wav(
        np.concatenate([np.zeros(16000, np.float32), speech[8000:18000], np.zeros(16000, np.float32)])
    )
    response = cloning_client.post(
        "/v1/voices/add", data={"name": "Short"}, files=[("files", ("s.wav", short))]
    )
    assert response.status_code == 400 and response.json()["detail"]["status"] == "sample_too_short"
    assert "s.wav" in response.json()["detail"]["message"]

    meeting = corpus / "diarization" / "picovoice_falcon_3speakers.wav"
    response = cloning_client.post("/v1/voices/add", data={"name": "Many"}, files=[_file(meeting)])
    assert response.status_code == 400 and response.json()["detail"]["status"] == "multiple_speakers"


def test_premade_voices_and_bad_fields_are_refused(cloning_client: TestClient, corpus: Path):
    edit = cloning_client.post(f"/v1/voices/{GEORGE}/edit", data={"name": "Mine now"})
    assert edit.status_code == 400 and edit.json()["detail"]["status"] == "voice_not_editable"
    sample = cloning_client.delete(f"/v1/voices/{GEORGE}/samples/abc")
    assert sample.status_code == 400
    missing = cloning_client.post("/v1/voices/nope/edit", data={"name": "x"})
    assert missing.status_code == 404 and missing.json()["detail"]["status"] == "voice_not_found"
    labels = cloning_client.post(
        "/v1/voices/add",
        data={"name": "x", "labels": "{not json"},
        files=[_file(corpus / "voice_reference" / "ljspeech_LJ050-0131.wav")],
    )
    assert labels.status_code == 400 and labels.json()["detail"]["status"] == "invalid_labels"
    unnamed = cloning_client.post(
        "/v1/voices/add", files=[_file(corpus / "voice_reference" / "ljspeech_LJ050-0131.wav")]
    )
    assert unnamed.status_code == 422
