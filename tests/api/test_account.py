"""Auth, error shapes, models, user, subscription, voices and settings through the ASGI app."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi.testclient import TestClient

from vocalis.app import create_app
from vocalis.config import Settings

PREMADE = json.loads(
    (Path(__file__).resolve().parents[2] / "src/vocalis/voices/premade_voices.json").read_text()
)


def test_healthz_and_request_id(client: TestClient):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert len(response.headers["request-id"]) >= 16


def test_missing_and_wrong_api_key_are_401_in_elevenlabs_shape(settings: Settings):
    with TestClient(create_app(settings)) as anonymous:
        missing = anonymous.get("/v1/voices")
        wrong = anonymous.get("/v1/voices", headers={"xi-api-key": "sk_wrong"})
        bearer = anonymous.get("/v1/models", headers={"authorization": f"Bearer {settings.api_key}"})
    assert missing.status_code == 401
    assert missing.json()["detail"]["status"] == "needs_authorization"
    assert wrong.status_code == 401
    assert wrong.json() == {"detail": {"status": "invalid_api_key", "message": "Invalid API key."}}
    assert bearer.status_code == 200


def test_no_key_configured_means_open_server(tmp_path: Path, model_cache: Path):
    with TestClient(create_app(Settings(home=tmp_path / "open", model_cache=model_cache))) as anonymous:
        assert anonymous.get("/v1/models").status_code == 200


def test_unknown_route_and_voice_errors(client: TestClient):
    response = client.get("/v1/voices/doesNotExist123")
    assert response.status_code == 404
    assert response.json()["detail"]["status"] == "voice_not_found"
    assert client.get("/v1/nothing-here").json()["detail"]["status"] == "not_found"


def test_models_report_installed_engines(client: TestClient):
    models = {model["model_id"]: model for model in client.get("/v1/models").json()}
    assert {"eleven_multilingual_v2", "eleven_flash_v2_5", "kokoro-82m", "piper"} <= set(models)
    flash = models["eleven_flash_v2_5"]
    assert flash["maximum_text_length_per_request"] == 40_000
    assert flash["concurrency_group"] == "turbo"
    assert flash["can_do_text_to_speech"] is True
    assert models["eleven_multilingual_v2"]["maximum_text_length_per_request"] == 10_000
    assert models["eleven_multilingual_v2"]["languages"] == [{"language_id": "en", "name": "English"}]


def test_every_premade_voice_is_listed_with_its_labels(client: TestClient):
    voices = {voice["voice_id"]: voice for voice in client.get("/v1/voices").json()["voices"]}
    for expected in PREMADE["voices"]:
        voice = voices[expected["voice_id"]]
        assert voice["name"] == expected["name"]
        assert voice["category"] == "premade"
        for key, value in expected["labels"].items():
            assert voice["labels"][key] == value
        assert voice["preview_url"].endswith(f"/v1/voices/{expected['voice_id']}/preview")
    without_legacy = client.get("/v1/voices", params={"show_legacy": False}).json()["voices"]
    assert len(without_legacy) == sum(1 for voice in PREMADE["voices"] if voice["set"] != "legacy")


def test_v2_voices_search_filter_sort_and_page(client: TestClient):
    first = client.get("/v2/voices", params={"page_size": 5, "sort": "name"}).json()
    assert len(first["voices"]) == 5 and first["has_more"] is True
    assert first["total_count"] == len(PREMADE["voices"])
    names = [voice["name"] for voice in first["voices"]]
    assert names == sorted(names, key=str.lower)
    second = client.get(
        "/v2/voices", params={"page_size": 5, "sort": "name", "next_page_token": first["next_page_token"]}
    ).json()
    assert not {v["voice_id"] for v in first["voices"]} & {v["voice_id"] for v in second["voices"]}
    found = client.get("/v2/voices", params={"search": "george"}).json()
    assert [voice["voice_id"] for voice in found["voices"]] == ["JBFqnCBsd6RMkjVDRZzb"]
    british = client.get("/v2/voices", params={"search": "british", "page_size": 100}).json()["voices"]
    assert british and all(voice["labels"]["accent"] == "british" for voice in british)
    assert client.get("/v2/voices", params={"voice_type": "personal"}).json()["total_count"] == 0
    assert client.get("/v2/voices", params={"page_size": 500}).status_code == 400


def test_voice_settings_roundtrip_and_validation(client: TestClient):
    default = client.get("/v1/voices/settings/default").json()
    assert default == {
        "stability": 0.5,
        "use_speaker_boost": True,
        "similarity_boost": 0.75,
        "style": 0.0,
        "speed": 1.0,
    }
    voice_id = "21m00Tcm4TlvDq8ikWAM"
    assert client.get(f"/v1/voices/{voice_id}/settings").json() == default
    edited = client.post(f"/v1/voices/{voice_id}/settings/edit", json={"stability": 0.9, "speed": 1.1})
    assert edited.json() == {"status": "ok"}
    settings = client.get(f"/v1/voices/{voice_id}/settings").json()
    assert settings["stability"] == 0.9 and settings["speed"] == 1.1 and settings["similarity_boost"] == 0.75
    assert client.get(f"/v1/voices/{voice_id}").json()["settings"]["stability"] == 0.9
    bad = client.post(f"/v1/voices/{voice_id}/settings/edit", json={"speed": 3})
    assert bad.status_code == 422
    assert "speed" in bad.json()["detail"]["message"]


def test_premade_voices_cannot_be_deleted(client: TestClient):
    response = client.delete("/v1/voices/JBFqnCBsd6RMkjVDRZzb")
    assert response.status_code == 400
    assert response.json()["detail"]["status"] == "voice_not_deletable"
    assert client.delete("/v1/voices/unknownVoiceId").status_code == 404


def test_user_and_subscription_are_unlimited(client: TestClient):
    user = client.get("/v1/user").json()
    assert user["subscription"]["tier"] == "self_hosted"
    subscription = client.get("/v1/user/subscription").json()
    assert subscription["character_count"] == 0
    assert subscription["character_limit"] >= 2**31 - 1
    assert subscription["status"] == "active"
