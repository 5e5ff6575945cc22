"""Professional voice cloning over ASGI: voices, samples, speaker separation of a real two-speaker recording,
the captcha image, and every refusal (training itself runs in tests/sdk/test_sdk_voices_pvc.py)."""

from __future__ import annotations

import base64
import io
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import soundfile
from fastapi.testclient import TestClient
from PIL import Image

from vocalis.app import create_app
from vocalis.audio import decode
from vocalis.config import Settings
from vocalis.pvc.captcha import WORDS, WORDS_PER_CAPTCHA

pytestmark = pytest.mark.slow

GEORGE = "JBFqnCBsd6RMkjVDRZzb"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory, model_cache: Path) -> Iterator[TestClient]:
    settings = Settings(home=tmp_path_factory.mktemp("pvc-home"), model_cache=model_cache, api_key="sk_pvc")
    with TestClient(create_app(settings), headers={"xi-api-key": "sk_pvc"}) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def two_speakers(corpus: Path) -> tuple[bytes, list[float]]:
    """Eagle's speaker 1, speaker 2, speaker 1 again (real recordings, back to back) as one WAV, and the
    times (seconds) where the speakers change."""
    folder = corpus / "voice_reference"
    names = ["speaker_1_utt_1", "speaker_2_test_utt", "speaker_1_utt_2"]
    clips = [decode((folder / f"picovoice_eagle_{name}.wav").read_bytes(), 16000).samples for name in names]
    buffer = io.BytesIO()
    soundfile.write(buffer, np.concatenate(clips), 16000, format="WAV")
    edges = np.cumsum([len(clip) / 16000 for clip in clips])[:2].tolist()
    return buffer.getvalue(), edges


def _error(response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["detail"]["status"] == code, response.text


def _create(client: TestClient, name: str = "Narrator") -> str:
    response = client.post("/v1/voices/pvc", json={"name": name, "language": "en"})
    assert response.status_code == 200, response.text
    return response.json()["voice_id"]


def test_create_edit_and_show(client: TestClient):
    created = client.post(
        "/v1/voices/pvc",
        json={
            "name": "Narrator",
            "language": "en-US",
            "description": "Calm",
            "labels": {"accent": "us", "x": None},
        },
    )
    voice_id = created.json()["voice_id"]
    voice = client.get(f"/v1/voices/{voice_id}").json()
    assert voice["category"] == "professional" and voice["labels"] == {"accent": "us"}
    assert voice["fine_tuning"]["state"]["eleven_multilingual_v2"] == "not_started"
    assert voice["fine_tuning"]["language"] == "en" and voice["fine_tuning"]["progress"]["eleven_v3"] == 0.0
    assert voice["voice_verification"]["requires_verification"] is True
    assert not voice["voice_verification"]["is_verified"]

    edited = client.post(
        f"/v1/voices/pvc/{voice_id}", json={"name": "Reader", "language": "de", "labels": {}}
    )
    assert edited.json() == {"voice_id": voice_id}
    voice = client.get(f"/v1/voices/{voice_id}").json()
    assert (voice["name"], voice["fine_tuning"]["language"], voice["labels"]) == ("Reader", "de", {})
    listed = client.get("/v2/voices", params={"fine_tuning_state": "not_started", "category": "professional"})
    assert voice_id in [v["voice_id"] for v in listed.json()["voices"]]

    # It cannot speak before training, on any text-to-speech path.
    _error(
        client.post(f"/v1/text-to-speech/{voice_id}", json={"text": "Hello."}), 400, "voice_not_fine_tuned"
    )
    assert client.delete(f"/v1/voices/{voice_id}").json() == {"status": "ok"}
    _error(client.get(f"/v1/voices/pvc/{voice_id}/captcha"), 404, "voice_not_found")


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"name": " ", "language": "en"}, "invalid_parameters"),
        ({"name": "x" * 101, "language": "en"}, "invalid_parameters"),
        ({"name": "A", "language": "xx-nope"}, "invalid_language"),
        ({"name": "A", "language": "en", "description": "d" * 501}, "invalid_parameters"),
    ],
)
def test_bad_voice_fields_are_refused(client: TestClient, body: dict, code: str):
    _error(client.post("/v1/voices/pvc", json=body), 400, code)


def test_premade_and_unknown_voices_are_refused(client: TestClient):
    _error(client.post(f"/v1/voices/pvc/{GEORGE}", json={"name": "Mine"}), 400, "voice_not_editable")
    _error(client.post(f"/v1/voices/pvc/{GEORGE}/train", json={}), 400, "voice_not_editable")
    _error(client.get("/v1/voices/pvc/nope/captcha"), 404, "voice_not_found")
    assert client.post("/v1/voices/pvc", json={"name": "No language"}).status_code == 422


def test_samples_speakers_and_trims(client: TestClient, two_speakers: tuple[bytes, list[float]]):
    wav, (first_change, second_change) = two_speakers
    voice_id = _create(client)
    added = client.post(
        f"/v1/voices/pvc/{voice_id}/samples", files=[("files", ("three.wav", wav, "audio/wav"))]
    )
    [sample] = added.json()
    sample_id = sample["sample_id"]
    assert sample["duration_secs"] == pytest.approx(28.7, abs=0.01)
    assert sample["speaker_separation"]["status"] == "not_started" and sample["trim_start"] is None
    base = f"/v1/voices/pvc/{voice_id}/samples/{sample_id}"

    preview = client.get(base + "/audio").json()
    assert preview["media_type"] == "audio/mpeg" and preview["duration_secs"] == pytest.approx(28.7, abs=0.01)
    assert decode(base64.b64decode(preview["audio_base_64"])).duration_seconds == pytest.approx(28.7, abs=0.1)
    waveform = client.get(base + "/waveform").json()["visual_waveform"]
    assert len(waveform) == 1000 and 0.0 < max(waveform) <= 1.0

    _error(client.post(base, json={"selected_speaker_ids": ["speaker_0"]}), 400, "speakers_not_separated")
    assert client.post(base + "/separate-speakers").json() == {"status": "ok"}
    separation = _separated(client, base)
    assert separation["status"] == "completed" and sorted(separation["speakers"]) == [
        "speaker_0",
        "speaker_1",
    ]
    # Speaker 1 spoke first and last; speaker 2 in between (utterance edges within half a second).
    first, second = separation["speakers"]["speaker_0"], separation["speakers"]["speaker_1"]
    assert all(
        u["end"] <= first_change + 0.5 or u["start"] >= second_change - 0.5 for u in first["utterances"]
    )
    assert all(
        first_change - 0.5 <= u["start"] and u["end"] <= second_change + 0.5 for u in second["utterances"]
    )
    assert first["duration_secs"] > 15 and 7 < second["duration_secs"] < 11
    audio = client.get(base + "/speakers/speaker_1/audio").json()
    assert audio["duration_secs"] == pytest.approx(second["duration_secs"], abs=0.01)
    _error(client.get(base + "/speakers/speaker_7/audio"), 404, "speaker_not_found")

    assert (
        client.post(base, json={"selected_speaker_ids": ["speaker_0"], "trim_start_time": 500}).status_code
        == 200
    )
    _error(client.post(base, json={"selected_speaker_ids": ["speaker_9"]}), 400, "speaker_not_found")
    _error(client.post(base, json={"trim_start_time": 5000, "trim_end_time": 4000}), 400, "invalid_trim")
    _error(client.post(base, json={"trim_end_time": 99_000}), 400, "invalid_trim")
    assert client.post(base, json={"file_name": "renamed.wav"}).status_code == 200
    [shown] = client.get(f"/v1/voices/{voice_id}").json()["samples"]
    assert shown["file_name"] == "renamed.wav" and (shown["trim_start"], shown["trim_end"]) == (500, 28700)
    assert shown["speaker_separation"]["selected_speaker_ids"] == ["speaker_0"]

    blobs = client.app.state.services.blobs
    assert client.delete(base).json() == {"status": "ok"}
    assert not blobs.exists(f"voices/{voice_id}/{sample_id}")
    _error(client.get(base + "/audio"), 404, "sample_not_found")
    _error(client.delete(base), 404, "sample_not_found")


def _separated(client: TestClient, base: str) -> dict:
    for _ in range(600):
        separation = client.get(base + "/speakers").json()
        if separation["status"] in ("completed", "failed"):
            return separation
        time.sleep(0.1)
    raise AssertionError("speaker separation did not finish in 60 s")


def test_bad_samples_are_refused(client: TestClient):
    voice_id = _create(client)
    path = f"/v1/voices/pvc/{voice_id}/samples"
    _error(client.post(path, data={"remove_background_noise": "false"}), 400, "no_samples")
    _error(
        client.post(path, files=[("files", ("notes.txt", b"not audio", "text/plain"))]), 400, "invalid_audio"
    )
    silence = io.BytesIO()
    soundfile.write(silence, np.zeros(48000, dtype=np.float32), 16000, format="WAV")
    refused = client.post(path, files=[("files", ("quiet.wav", silence.getvalue(), "audio/wav"))])
    _error(refused, 400, "sample_too_short")
    assert client.get(f"/v1/voices/{voice_id}").json()["samples"] is None


def test_captcha_training_and_verification_refusals(client: TestClient, corpus: Path):
    voice_id = _create(client)
    recording = (corpus / "voice_reference" / "picovoice_eagle_speaker_1_test_utt.wav").read_bytes()
    captcha_path = f"/v1/voices/pvc/{voice_id}/captcha"
    no_captcha = client.post(captcha_path, files={"recording": ("me.wav", recording, "audio/wav")})
    _error(no_captcha, 400, "captcha_not_requested")
    _error(client.post(f"/v1/voices/pvc/{voice_id}/train", json={}), 400, "no_samples")

    shown = client.get(captcha_path)
    words = shown.headers["x-vocalis-captcha-text"].split()
    assert len(words) == WORDS_PER_CAPTCHA and set(words) <= set(WORDS)
    image = Image.open(io.BytesIO(base64.b64decode(shown.json())))
    assert image.format == "PNG" and image.width > 300
    refused = client.post(captcha_path, files={"recording": ("me.wav", recording, "audio/wav")})
    _error(refused, 400, "no_samples")

    folder = corpus / "voice_reference"
    files = [
        ("files", (name, (folder / name).read_bytes(), "audio/wav"))
        for name in ["picovoice_eagle_speaker_1_utt_1.wav"]
    ]
    assert client.post(f"/v1/voices/pvc/{voice_id}/samples", files=files).status_code == 200
    _error(client.post(f"/v1/voices/pvc/{voice_id}/train", json={"model_id": "nope"}), 400, "model_not_found")
    _error(client.post(f"/v1/voices/pvc/{voice_id}/train", json={}), 400, "voice_not_verified")
    _error(
        client.post(captcha_path, files={"recording": ("x.txt", b"text", "text/plain")}), 400, "invalid_audio"
    )

    manual = client.post(
        f"/v1/voices/pvc/{voice_id}/verification",
        files=[("files", ("id.pdf", b"%PDF-1.4", "application/pdf"))],
        data={"extra_text": "I cannot see the captcha."},
    )
    assert manual.json() == {"status": "ok"}
    fine_tuning = client.get(f"/v1/voices/{voice_id}").json()["fine_tuning"]
    assert fine_tuning["manual_verification_requested"] is True
    assert fine_tuning["manual_verification"]["files"][0]["file_name"] == "id.pdf"
    _error(client.post(f"/v1/voices/pvc/{voice_id}/verification", data={"extra_text": "x"}), 400, "no_files")


def test_a_sample_of_several_speakers_needs_a_chosen_one(
    client: TestClient, two_speakers: tuple[bytes, list[float]]
):
    voice_id = _create(client)
    wav, _ = two_speakers
    [sample] = client.post(
        f"/v1/voices/pvc/{voice_id}/samples", files=[("files", ("three.wav", wav, "audio/wav"))]
    ).json()
    base = f"/v1/voices/pvc/{voice_id}/samples/{sample['sample_id']}"
    client.post(base + "/separate-speakers")
    assert _separated(client, base)["status"] == "completed"
    _error(client.post(f"/v1/voices/pvc/{voice_id}/train", json={}), 400, "no_speaker_selected")
    # The instant-cloning sample route deletes a professional voice's sample without re-cloning the voice.
    assert client.delete(f"/v1/voices/{voice_id}/samples/{sample['sample_id']}").json() == {"status": "ok"}
    assert client.get(f"/v1/voices/{voice_id}").json()["samples"] is None
