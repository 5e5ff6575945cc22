"""`POST /v1/similar-voices` through the ASGI app with real engines and real audio: a premade voice's own
speech finds that voice first, a corpus speaker finds a voice of their gender first, `top_k` and
`similarity_threshold` limit the list, voices that cannot speak are left out, and bad input is refused."""

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
GEORGE = "JBFqnCBsd6RMkjVDRZzb"  # Piper joe
ARIA = "9BWtsMINqrJLrRacOk9x"  # Kokoro jf_gongitsune, female
PREMADE_COUNT = 37
# About 8 s of speech: long enough for the speaker encoders to settle on the voice rather than the words.
TEXT = (
    "Good morning. Today we will walk through the harbour, look at the old ships, and then have lunch by the "
    "water before the rain comes."
)


@pytest.fixture(scope="module")
def similar_client(tmp_path_factory: pytest.TempPathFactory, model_cache: Path) -> Iterator[TestClient]:
    """One app for the module, so the voices are rendered and embedded once."""
    settings = Settings(
        home=tmp_path_factory.mktemp("similar-home"), model_cache=model_cache, api_key=TEST_API_KEY
    )
    with TestClient(create_app(settings), headers={"xi-api-key": TEST_API_KEY}) as client:
        yield client


@pytest.fixture(scope="module")
def speech_of(similar_client: TestClient) -> dict[str, bytes]:
    """Each premade voice's own MP3 speech of TEXT, rendered on first use."""

    class Rendered(dict):
        def __missing__(self, voice_id: str) -> bytes:
            response = similar_client.post(f"/v1/text-to-speech/{voice_id}", json={"text": TEXT, "seed": 1})
            assert response.status_code == 200, response.text
            self[voice_id] = response.content
            return response.content

    return Rendered()


def _search(client: TestClient, audio: bytes, name: str = "speech.mp3", **fields: object):
    return client.post(
        "/v1/similar-voices",
        files={"audio_file": (name, audio)},
        data={key: str(value) for key, value in fields.items()},
    )


def _distances(response) -> list[float]:
    header = response.headers["x-vocalis-distances"]
    return [float(value) for value in header.split(",")] if header else []


def _wav(samples: np.ndarray, rate: int = 16000) -> bytes:
    buffer = io.BytesIO()
    soundfile.write(buffer, samples, rate, format="WAV")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("voice_id", "alike"),
    [(GEORGE, "Rendered locally by Piper joe"), (ARIA, "female voice")],
    ids=["george-piper", "aria-kokoro"],
)
def test_a_premade_voices_own_speech_finds_it_first(
    similar_client: TestClient, speech_of: dict[str, bytes], voice_id: str, alike: str
):
    response = _search(similar_client, speech_of[voice_id], top_k=5)
    assert response.status_code == 200, response.text
    body = response.json()
    voices = body["voices"]
    assert [v["voice_id"] for v in voices][0] == voice_id
    # The runners-up sound alike too: the other Piper joe voices for George, female voices for Aria.
    assert all(alike in v["description"] for v in voices[:3])
    assert len(voices) == 5 and body["has_more"] is True and body["total_count"] == PREMADE_COUNT
    assert body["last_sort_id"] is None
    distances = _distances(response)
    assert distances == sorted(distances) and 0.0 < distances[0] < 0.2

    first = voices[0]
    own = similar_client.get(f"/v1/voices/{voice_id}").json()
    assert first["name"] == own["name"] and first["description"] == own["description"]
    assert first["category"] == "premade" and first["is_added_by_user"] is False
    assert {first[key] for key in ("gender", "age", "accent", "use_case")} <= set(own["labels"].values())
    assert first["descriptive"] == own["labels"]["description"]
    assert first["preview_url"] == own["preview_url"] and first["date_unix"] == 0
    assert first["language"] == "en" and first["usage_character_count_1y"] == 0
    assert len(first["public_owner_id"]) == 64 and first["cloned_by_count"] == 0
    assert similar_client.get(first["preview_url"]).headers["content-type"] == "audio/mpeg"


def test_a_corpus_speaker_finds_a_voice_of_their_gender(similar_client: TestClient, corpus: Path):
    recording = corpus / "voice_reference" / "ljspeech_LJ050-0131.wav"
    sidecar = json.loads(recording.with_name(recording.name + ".json").read_text())
    assert "female" in sidecar["ground_truth"]["speaker"]
    response = _search(similar_client, recording.read_bytes(), recording.name)
    assert response.status_code == 200, response.text
    voices = response.json()["voices"]
    assert len(voices) == 10  # the default top_k
    assert voices[0]["gender"] == "female"
    # A real speaker is further from every voice than a voice's own speech is from itself.
    assert 0.2 < _distances(response)[0] < 0.7


def test_top_k_and_threshold_limit_the_list(similar_client: TestClient, speech_of: dict[str, bytes]):
    audio = speech_of[GEORGE]
    everything = _search(similar_client, audio, top_k=100)
    ranked = [v["voice_id"] for v in everything.json()["voices"]]
    distances = _distances(everything)
    assert len(ranked) == PREMADE_COUNT and everything.json()["has_more"] is False

    one = _search(similar_client, audio, top_k=1).json()
    assert [v["voice_id"] for v in one["voices"]] == ranked[:1] and one["has_more"] is True

    # A threshold between the second and third distance keeps the two closest voices.
    threshold = (distances[1] + distances[2]) / 2
    two = _search(similar_client, audio, similarity_threshold=threshold, top_k=10)
    assert [v["voice_id"] for v in two.json()["voices"]] == ranked[:2]
    assert two.json()["has_more"] is False and two.json()["total_count"] == 2
    capped = _search(similar_client, audio, similarity_threshold=threshold, top_k=1).json()
    assert [v["voice_id"] for v in capped["voices"]] == ranked[:1] and capped["has_more"] is True

    # A threshold alone returns every voice within it; the widest one, all of them.
    widest = _search(similar_client, audio, similarity_threshold=2).json()
    assert [v["voice_id"] for v in widest["voices"]] == ranked
    nothing = _search(similar_client, audio, similarity_threshold=0)
    assert nothing.json()["voices"] == [] and nothing.json()["total_count"] == 0
    assert nothing.headers["x-vocalis-distances"] == ""


def test_the_users_cloned_voice_is_ranked_as_it_sounds(
    similar_client: TestClient, corpus: Path, monkeypatch: pytest.MonkeyPatch
):
    """A clone is found by its own sample at the distance its clone search measured (the same speech, the
    same rendering of its spec, the same encoders)."""
    # Which voice the search finds does not matter here: its anchors only, which the premade voices share.
    monkeypatch.setattr(cloning, "CLONING_EFFORT", 0.01)
    sample = corpus / "voice_reference" / "picovoice_eagle_speaker_1_utt_1.wav"
    added = similar_client.post(
        "/v1/voices/add", data={"name": "Eagle"}, files=[("files", (sample.name, sample.read_bytes()))]
    )
    assert added.status_code == 200, added.text
    voice_id = added.json()["voice_id"]
    own = similar_client.get(f"/v1/voices/{voice_id}").json()

    response = _search(similar_client, sample.read_bytes(), sample.name, top_k=100)
    body = response.json()
    assert body["total_count"] == PREMADE_COUNT + 1
    index = [v["voice_id"] for v in body["voices"]].index(voice_id)
    clone = body["voices"][index]
    assert _distances(response)[index] == pytest.approx(
        1 - float(own["labels"]["vocalis_similarity"]), abs=0.002
    )
    assert clone["category"] == "cloned" and clone["name"] == "Eagle" and clone["is_added_by_user"] is True
    assert clone["date_unix"] == own["created_at_unix"] > 0
    premade_owner = body["voices"][index - 1 if index else 1]["public_owner_id"]
    assert clone["public_owner_id"] == similar_client.get("/v1/user").json()["user_id"] != premade_owner
    similar_client.delete(f"/v1/voices/{voice_id}")


def test_voices_that_cannot_speak_are_left_out(similar_client: TestClient, speech_of: dict[str, bytes]):
    """A professional voice before its first training has no local rendering to compare with."""
    created = similar_client.post("/v1/voices/pvc", json={"name": "Untrained", "language": "en"})
    assert created.status_code == 200, created.text
    voice_id = created.json()["voice_id"]
    body = _search(similar_client, speech_of[GEORGE], top_k=100).json()
    assert voice_id not in {v["voice_id"] for v in body["voices"]}
    assert body["total_count"] == PREMADE_COUNT
    similar_client.delete(f"/v1/voices/{voice_id}")


def _short_speech(corpus: Path) -> bytes:
    speech = decode(corpus / "voice_reference" / "ljspeech_LJ050-0131.wav", 16000).samples
    silence = np.zeros(16000, np.float32)
    return _wav(np.concatenate([silence, speech[8000:18000], silence]))


@pytest.mark.parametrize(
    ("upload", "fields", "status", "code"),
    [
        (None, {}, 400, "invalid_parameters"),
        (("notes.txt", b"not audio at all", "text/plain"), {}, 400, "invalid_audio"),
        (("silence.wav", _wav(np.zeros(48000, np.float32)), "audio/wav"), {}, 400, "sample_too_short"),
        ("short speech", {}, 400, "sample_too_short"),
        ("short speech", {"similarity_threshold": "2.5"}, 400, "invalid_parameters"),
        ("short speech", {"similarity_threshold": "-0.1"}, 400, "invalid_parameters"),
        ("short speech", {"top_k": "0"}, 400, "invalid_parameters"),
        ("short speech", {"top_k": "101"}, 400, "invalid_parameters"),
        ("short speech", {"top_k": "many"}, 422, "invalid_request"),
    ],
    ids=[
        "no-audio-file",
        "not-audio",
        "silence",
        "under-a-second-of-speech",
        "threshold-above-2",
        "threshold-below-0",
        "top-k-0",
        "top-k-101",
        "top-k-not-a-number",
    ],
)
def test_bad_input_is_refused(
    similar_client: TestClient, corpus: Path, upload, fields: dict, status: int, code: str
):
    if upload == "short speech":
        upload = ("short.wav", _short_speech(corpus), "audio/wav")
    files = {"audio_file": upload} if upload else None
    response = similar_client.post("/v1/similar-voices", files=files, data=fields)
    assert response.status_code == status, response.text
    detail = response.json()["detail"]
    assert detail["status"] == code and detail["message"]
