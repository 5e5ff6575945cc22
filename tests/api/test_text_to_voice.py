"""`/v1/text-to-voice` through the ASGI app on the real engines: previews that follow their description
(pitch, pace), differ from each other, repeat with their seed and are intelligible; streaming; saving one as
a voice that every TTS endpoint speaks with; expiry; and the errors of bad requests."""

from __future__ import annotations

import base64
import itertools
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from tests.e2e.quality import transcribe, word_errors
from tests.unit.test_premade_voices import median_f0
from vocalis.app import create_app
from vocalis.audio import decode, resample
from vocalis.config import Settings
from vocalis.engines.speaker import SpeakerEmbedder
from vocalis.sound_effects.dsp import loudness_lufs
from vocalis.store.tables import VoicePreview
from vocalis.voice_design.candidates import semitones
from vocalis.voice_design.service import PREVIEW_TTL_SECONDS
from vocalis.voice_design.texts import TEXTS

KEY = "sk_test_0123456789abcdef"
# Near the spec's example preview text, and near the 100-character minimum: previews take time to render.
TEXT = "Every act of kindness, no matter how small, carries value and can make a difference in someone's day."
DEEP_MAN = "A deep-voiced middle-aged man with a calm, low voice"
HIGH_WOMAN = "A young woman with a high, bright voice, cheerful and friendly"


@pytest.fixture(scope="module")
def ttv_client(tmp_path_factory: pytest.TempPathFactory, model_cache: Path) -> Iterator[TestClient]:
    """One app for the module: engines and the description reader's embeddings load once."""
    settings = Settings(home=tmp_path_factory.mktemp("ttv-home"), model_cache=model_cache, api_key=KEY)
    with TestClient(create_app(settings), headers={"xi-api-key": KEY}) as client:
        yield client


def design(client: TestClient, output_format: str = "mp3_44100_192", **body) -> tuple[dict, dict]:
    response = client.post("/v1/text-to-voice/design", params={"output_format": output_format}, json=body)
    assert response.status_code == 200, response.text
    return response.json(), dict(response.headers)


def audio_16k(preview: dict) -> np.ndarray:
    decoded = decode(base64.b64decode(preview["audio_base_64"]))
    return resample(decoded.samples, decoded.sample_rate, 16000)


@pytest.fixture(scope="module")
def deep_man(ttv_client: TestClient) -> tuple[dict, dict]:
    return design(ttv_client, voice_description=DEEP_MAN, text=TEXT, seed=1)


@pytest.fixture(scope="module")
def high_woman(ttv_client: TestClient) -> tuple[dict, dict]:
    return design(ttv_client, voice_description=HIGH_WOMAN, text=TEXT, seed=21)


def test_three_previews_in_elevenlabs_shape(deep_man: tuple[dict, dict]):
    body, headers = deep_man
    assert body["text"] == TEXT
    assert len(body["previews"]) == 3
    assert len({preview["generated_voice_id"] for preview in body["previews"]}) == 3
    for preview in body["previews"]:
        assert preview["media_type"] == "audio/mpeg" and preview["language"] == "en"
        decoded = decode(base64.b64decode(preview["audio_base_64"]))
        # MP3 priming and padding add a few tens of milliseconds to the decoded length.
        assert decoded.duration_seconds == pytest.approx(preview["duration_secs"], abs=0.1)
        # `loudness` 0.5 (the default) is -19 LUFS.
        assert loudness_lufs(decoded.samples.astype(np.float64), decoded.sample_rate) == pytest.approx(
            -19, abs=1.5
        )
    assert headers["character-cost"] == str(len(TEXT))
    assert headers["x-vocalis-engine"] == "description-blend"
    assert headers["x-vocalis-seed"] == "1"
    assert "gender=male" in headers["x-vocalis-traits"] and "pitch=-" in headers["x-vocalis-traits"]


def test_deep_man_sounds_lower_than_a_high_young_woman(
    deep_man: tuple[dict, dict], high_woman: tuple[dict, dict]
):
    low = [median_f0(audio_16k(preview), 16000) for preview in deep_man[0]["previews"]]
    high = [median_f0(audio_16k(preview), 16000) for preview in high_woman[0]["previews"]]
    assert max(low) < 110, low
    assert min(high) > 230, high
    assert semitones(max(low), min(high)) > 12, (low, high)


def test_the_three_previews_of_a_request_differ(deep_man: tuple[dict, dict], high_woman: tuple[dict, dict]):
    """Every pair differs audibly: in pitch by half a semitone or more, or in timbre (speaker embeddings
    further apart than two sentences of one voice, which measured 0.91)."""
    encoder = SpeakerEmbedder()
    for body, _ in (deep_man, high_woman):
        clips = [audio_16k(preview) for preview in body["previews"]]
        pitches = [median_f0(clip, 16000) for clip in clips]
        embeddings = [encoder.embed(clip) for clip in clips]
        for one, other in itertools.combinations(range(3), 2):
            apart = abs(semitones(pitches[one], pitches[other]))
            similarity = float(embeddings[one] @ embeddings[other])
            assert apart >= 0.5 or similarity < 0.85, (one, other, apart, similarity)


def test_previews_are_intelligible(deep_man: tuple[dict, dict], high_woman: tuple[dict, dict]):
    errors = words = 0
    for body, _ in (deep_man, high_woman):
        for preview in body["previews"]:
            wrong, total = word_errors(TEXT, transcribe(audio_16k(preview)))
            errors, words = errors + wrong, words + total
            assert wrong / total < 0.15, (preview["generated_voice_id"], wrong)
    assert errors / words < 0.05, (errors, words)


def test_fast_talkers_talk_faster_and_seeds_repeat(ttv_client: TestClient):
    """`stream_previews` returns the ids at once; each preview renders when first streamed, then is kept."""
    voice = "A middle-aged man who talks {} and clearly"

    def one_preview(pace: str) -> tuple[str, bytes]:
        body, _ = design(
            ttv_client, voice_description=voice.format(pace), text=TEXT, seed=1, stream_previews=True
        )
        assert [preview["audio_base_64"] for preview in body["previews"]] == ["", "", ""]
        # With this seed the first voice is Piper's, the quickest to render.
        generated_voice_id = body["previews"][0]["generated_voice_id"]
        response = ttv_client.get(f"/v1/text-to-voice/{generated_voice_id}/stream")
        assert response.status_code == 200 and response.headers["content-type"] == "audio/mpeg"
        return generated_voice_id, response.content

    _, fast = one_preview("very fast")
    slow_id, slow = one_preview("slowly")
    # The same text, seed and voice: only the pace differs.
    assert decode(slow).duration_seconds / decode(fast).duration_seconds > 1.3
    again_id, again = one_preview("slowly")
    assert again_id != slow_id and again == slow
    assert ttv_client.get(f"/v1/text-to-voice/{slow_id}/stream").content == slow


def test_auto_generated_text_suits_the_voice(ttv_client: TestClient):
    body, headers = design(
        ttv_client,
        voice_description="A soothing meditation guide with a calm, gentle voice",
        auto_generate_text=True,
        stream_previews=True,
    )
    assert body["text"] in TEXTS["meditation"]
    assert headers["character-cost"] == str(len(body["text"]))


def test_a_saved_preview_is_a_voice_for_every_tts_endpoint(
    ttv_client: TestClient, high_woman: tuple[dict, dict]
):
    preview = high_woman[0]["previews"][1]
    response = ttv_client.post(
        "/v1/text-to-voice",
        json={
            "voice_name": "Sunny",
            "voice_description": HIGH_WOMAN,
            "generated_voice_id": preview["generated_voice_id"],
            "labels": {"accent": "american", "language": "en"},
            "played_not_selected_voice_ids": [high_woman[0]["previews"][0]["generated_voice_id"]],
        },
    )
    assert response.status_code == 200, response.text
    voice = response.json()
    assert voice["category"] == "generated" and voice["name"] == "Sunny"
    # Labels read from the description, then the request's own (which win).
    assert voice["labels"] == {
        "gender": "female",
        "age": "young",
        "description": "bright",
        "use_case": "conversational",
        "accent": "american",
        "language": "en",
    }
    voice_id = voice["voice_id"]
    assert ttv_client.get(f"/v1/voices/{voice_id}").json()["description"] == HIGH_WOMAN
    assert voice_id in {listed["voice_id"] for listed in ttv_client.get("/v1/voices").json()["voices"]}
    # The cheerful description made a lively voice: its saved stability is below the default 0.5.
    assert ttv_client.get(f"/v1/voices/{voice_id}/settings").json()["stability"] < 0.5

    speaks_like_its_preview(
        ttv_client, voice_id, "Thanks for calling, I am happy to help you with your booking today.", preview
    )
    assert ttv_client.delete(f"/v1/voices/{voice_id}").status_code == 200


def speaks_like_its_preview(client: TestClient, voice_id: str, sentence: str, preview: dict) -> None:
    """The saved voice says `sentence` intelligibly, at its preview's pitch."""
    spoken = client.post(
        f"/v1/text-to-speech/{voice_id}",
        params={"output_format": "pcm_16000"},
        json={"text": sentence, "seed": 3},
    )
    assert spoken.status_code == 200, spoken.text
    audio = np.frombuffer(spoken.content, dtype="<i2").astype(np.float32) / 32768
    wrong, total = word_errors(sentence, transcribe(audio))
    assert wrong / total < 0.1, transcribe(audio)
    assert abs(semitones(median_f0(audio_16k(preview), 16000), median_f0(audio, 16000))) < 1.5


def test_expired_previews_are_gone_with_their_audio(ttv_client: TestClient):
    services = ttv_client.app.state.services
    repository = services.voice_design.previews
    old = int(time.time()) - PREVIEW_TTL_SECONDS - 60
    row = VoicePreview(
        generated_voice_id="ExpiredPreview000001",
        created_at_unix=old,
        voice_description=DEEP_MAN,
        text=TEXT,
        design={},
        output_format="mp3_44100_192",
        audio_blob_key="voice-design/ExpiredPreview000001.mp3",
        duration_secs=1.0,
    )
    repository.add([row], {row.audio_blob_key: b"an expired preview"})
    for response in (
        ttv_client.get("/v1/text-to-voice/ExpiredPreview000001/stream"),
        ttv_client.post(
            "/v1/text-to-voice",
            json={
                "voice_name": "Old",
                "voice_description": DEEP_MAN,
                "generated_voice_id": "ExpiredPreview000001",
            },
        ),
    ):
        assert response.status_code == 404
        assert response.json()["detail"]["status"] == "generated_voice_not_found"
    # Every new design request clears what has expired.
    design(ttv_client, voice_description=DEEP_MAN, text=TEXT, stream_previews=True)
    assert not services.blobs.exists("voice-design/ExpiredPreview000001.mp3")
    assert repository.get("ExpiredPreview000001", 0) is None


@pytest.mark.parametrize(
    ("path", "body", "params", "status", "code"),
    [
        ("design", {"voice_description": "too short", "text": TEXT}, {}, 422, "invalid_request"),
        ("design", {"voice_description": "x" * 1001, "text": TEXT}, {}, 422, "invalid_request"),
        (
            "create-previews",
            {"voice_description": DEEP_MAN, "text": "Too short."},
            {},
            422,
            "invalid_request",
        ),
        ("create-previews", {"voice_description": DEEP_MAN, "text": "y" * 1001}, {}, 422, "invalid_request"),
        ("design", {"voice_description": DEEP_MAN}, {}, 400, "invalid_parameters"),
        ("design", {"voice_description": DEEP_MAN, "text": TEXT, "loudness": 2}, {}, 422, "invalid_request"),
        ("design", {"voice_description": DEEP_MAN, "text": TEXT, "seed": -1}, {}, 422, "invalid_request"),
        (
            "design",
            {"voice_description": DEEP_MAN, "text": TEXT, "model_id": "x"},
            {},
            422,
            "invalid_request",
        ),
        (
            "design",
            {"voice_description": DEEP_MAN, "text": TEXT},
            {"output_format": "wav"},
            400,
            "invalid_output_format",
        ),
        (
            "design",
            {"voice_description": DEEP_MAN, "text": TEXT, "reference_audio_base64": "AAAA"},
            {},
            400,
            "unsupported_parameter",
        ),
    ],
)
def test_bad_design_requests(
    ttv_client: TestClient, path: str, body: dict, params: dict, status: int, code: str
):
    response = ttv_client.post(f"/v1/text-to-voice/{path}", json=body, params=params)
    assert response.status_code == status, response.text
    assert response.json()["detail"]["status"] == code
    assert response.json()["detail"]["message"]


def test_unknown_previews_and_bad_saves(ttv_client: TestClient):
    response = ttv_client.get("/v1/text-to-voice/NoSuchPreview/stream")
    assert response.status_code == 404
    assert "NoSuchPreview" in response.json()["detail"]["message"]
    save = {"voice_name": "X", "voice_description": DEEP_MAN, "generated_voice_id": "NoSuchPreview"}
    assert ttv_client.post("/v1/text-to-voice", json=save).status_code == 404
    assert (
        ttv_client.post("/v1/text-to-voice", json={**save, "voice_description": "short"}).status_code == 422
    )
    assert ttv_client.post("/v1/text-to-voice", json={**save, "voice_name": ""}).status_code == 422
    unauthenticated = ttv_client.post(
        "/v1/text-to-voice/design",
        json={"voice_description": DEEP_MAN, "text": TEXT},
        headers={"xi-api-key": ""},
    )
    assert unauthenticated.status_code == 401


# Remixing an existing voice (`text_to_voice.remix`). George is a Piper voice: his remixes render fast.
GEORGE = "JBFqnCBsd6RMkjVDRZzb"


def remix(client: TestClient, voice_id: str, **body) -> tuple[dict, dict]:
    response = client.post(f"/v1/text-to-voice/{voice_id}/remix", json=body)
    assert response.status_code == 200, response.text
    return response.json(), dict(response.headers)


@pytest.fixture(scope="module")
def george_speech(ttv_client: TestClient) -> np.ndarray:
    spoken = ttv_client.post(
        f"/v1/text-to-speech/{GEORGE}", params={"output_format": "pcm_16000"}, json={"text": TEXT, "seed": 3}
    )
    assert spoken.status_code == 200, spoken.text
    return np.frombuffer(spoken.content, dtype="<i2").astype(np.float32) / 32768


def test_a_remix_moves_the_voice_as_asked(ttv_client: TestClient, george_speech: np.ndarray):
    asked = {"voice_description": "Make him deeper and slower", "text": TEXT, "seed": 3}
    body, headers = remix(ttv_client, GEORGE, **asked)
    assert headers["x-vocalis-engine"] == "description-remix"
    assert headers["character-cost"] == str(len(TEXT))
    assert len({preview["generated_voice_id"] for preview in body["previews"]}) == 3
    george_f0 = median_f0(george_speech, 16000)
    for preview in body["previews"]:
        audio = audio_16k(preview)
        assert semitones(george_f0, median_f0(audio, 16000)) < -1.5
        assert len(audio) > 1.08 * len(george_speech)
    again, _ = remix(ttv_client, GEORGE, **asked)
    assert [p["audio_base_64"] for p in again["previews"]] == [p["audio_base_64"] for p in body["previews"]]
    # With no strength the prompt changes nothing: the previews are George, a little apart.
    unchanged, _ = remix(ttv_client, GEORGE, **asked, prompt_strength=0.0)
    for preview in unchanged["previews"]:
        audio = audio_16k(preview)
        assert abs(semitones(george_f0, median_f0(audio, 16000))) < 1.2
        assert len(audio) == pytest.approx(len(george_speech), rel=0.08)


def test_a_saved_remix_is_a_voice_with_its_changes(ttv_client: TestClient):
    older = "make him sound older, with a raspier voice"
    body, _ = remix(ttv_client, GEORGE, voice_description=older, text=TEXT, seed=8)
    preview = body["previews"][0]
    response = ttv_client.post(
        "/v1/text-to-voice",
        json={
            "voice_name": "Old George",
            "voice_description": older,
            "generated_voice_id": preview["generated_voice_id"],
        },
    )
    assert response.status_code == 200, response.text
    voice = response.json()
    assert voice["category"] == "generated"
    george = ttv_client.get(f"/v1/voices/{GEORGE}").json()["labels"]
    assert voice["labels"] == {**george, "age": "old", "description": "raspy"}

    # Piper's median pitch differs more from sentence to sentence than Kokoro's: the preview's text.
    speaks_like_its_preview(ttv_client, voice["voice_id"], TEXT, preview)
    assert ttv_client.delete(f"/v1/voices/{voice['voice_id']}").status_code == 200


def test_a_remix_to_another_gender_designs_new_voices(ttv_client: TestClient):
    body, _ = remix(
        ttv_client,
        GEORGE,
        voice_description="Turn it into a woman's voice",
        text=TEXT,
        seed=2,
        stream_previews=True,
    )
    assert all(preview["audio_base_64"] == "" for preview in body["previews"])
    streamed = ttv_client.get(f"/v1/text-to-voice/{body['previews'][0]['generated_voice_id']}/stream")
    assert streamed.status_code == 200
    decoded = decode(streamed.content)
    assert median_f0(resample(decoded.samples, decoded.sample_rate, 16000), 16000) > 160


def test_bad_remix_requests(ttv_client: TestClient):
    def refused(voice_id: str, body: dict, status: int, code: str) -> None:
        response = ttv_client.post(f"/v1/text-to-voice/{voice_id}/remix", json=body)
        assert response.status_code == status, response.text
        assert response.json()["detail"]["status"] == code and response.json()["detail"]["message"]

    deeper = {"voice_description": "deeper", "text": TEXT}
    refused("NoSuchVoice", deeper, 404, "voice_not_found")
    refused(GEORGE, {**deeper, "voice_description": "   "}, 422, "invalid_request")
    refused(GEORGE, {**deeper, "text": "Too short."}, 422, "invalid_request")
    refused(GEORGE, {**deeper, "prompt_strength": 2}, 422, "invalid_request")
    refused(GEORGE, {"voice_description": "deeper"}, 400, "invalid_parameters")
    untrained = ttv_client.post("/v1/voices/pvc", json={"name": "Not trained", "language": "en"}).json()
    refused(untrained["voice_id"], deeper, 400, "voice_not_fine_tuned")
    assert ttv_client.delete(f"/v1/voices/{untrained['voice_id']}").status_code == 200
