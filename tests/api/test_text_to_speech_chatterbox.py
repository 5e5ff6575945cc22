"""Text to speech with `model_id="chatterbox"`: the zero-shot engine speaks any voice from a clip of it (a
cloned voice's own samples, any other voice's rendering), on a tiny random Chatterbox of the real
architecture (tests/unit/chatterbox_support.py)."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from vocalis.app import create_app
from vocalis.config import Settings

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        importlib.util.find_spec("chatterbox") is None,
        reason="chatterbox-tts is not installed (pip install --no-deps -r requirements/chatterbox.txt)",
    ),
]

KEY = "sk_chatterbox_tts"
GEORGE, RACHEL = "JBFqnCBsd6RMkjVDRZzb", "21m00Tcm4TlvDq8ikWAM"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory, corpus: Path, model_cache: Path) -> Iterator[TestClient]:
    import torch

    from tests.unit.chatterbox_support import tiny_architecture, write_checkpoint

    threads = torch.get_num_threads()
    with tiny_architecture():
        checkpoint = write_checkpoint(
            tmp_path_factory.mktemp("chatterbox") / "tiny",
            corpus / "voice_reference" / "ljspeech_LJ050-0131.wav",
        )
    settings = Settings(
        home=tmp_path_factory.mktemp("home"),
        model_cache=model_cache,
        api_key=KEY,
        chatterbox_path=checkpoint,
        engine_threads=1,
    )
    with TestClient(create_app(settings), headers={"xi-api-key": KEY}) as test_client:
        with tiny_architecture():  # the package's constructors take no sizes: load while they build tiny
            test_client.app.state.services.registry.engine("chatterbox").load()
        yield test_client
    torch.set_num_threads(threads)


def _speak(client: TestClient, voice_id: str, seed: int = 3) -> np.ndarray:
    response = client.post(
        f"/v1/text-to-speech/{voice_id}",
        params={"output_format": "pcm_24000"},
        json={"text": "Hello there.", "model_id": "chatterbox", "seed": seed},
    )
    assert response.status_code == 200, response.text
    assert response.headers["x-vocalis-engine"] == "chatterbox"
    audio = np.frombuffer(response.content, dtype="<i2").astype(np.float32) / 32768
    assert len(audio) > 0.2 * 24000 and np.isfinite(audio).all()
    return audio


def test_premade_voices_speak_from_their_renderings(client: TestClient):
    george, rachel = _speak(client, GEORGE), _speak(client, RACHEL)
    assert np.array_equal(george, _speak(client, GEORGE))  # the seed repeats it, the clip is kept
    assert not (len(george) == len(rachel) and np.allclose(george, rachel))  # another voice, another clip
    speakers = client.app.state.services.registry.engine("chatterbox")._speakers
    assert {name for name, _ in speakers} >= {GEORGE, RACHEL}


def test_a_cloned_voice_speaks_from_its_own_samples(client: TestClient, corpus: Path):
    sample = corpus / "voice_reference" / "picovoice_eagle_speaker_1_utt_1.wav"
    added = client.post(
        "/v1/voices/add",
        data={"name": "Eagle one"},
        files=[("files", (sample.name, sample.read_bytes(), "audio/wav"))],
    )
    assert added.status_code == 200, added.text
    voice_id = added.json()["voice_id"]
    _speak(client, voice_id)
    references = client.app.state.services.voice_references
    clip, rate = references.clip(voice_id)
    assert rate == 16000 and 3.0 < len(clip) / rate <= 10.0  # the sample's speech, not a rendering
    # Other models keep rendering the clone with its local engine.
    local = client.post(
        f"/v1/text-to-speech/{voice_id}", json={"text": "Hello there.", "model_id": "eleven_multilingual_v2"}
    )
    assert local.status_code == 200 and local.headers["x-vocalis-engine"] != "chatterbox"
