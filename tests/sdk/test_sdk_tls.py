"""The server over https:// with a `vocalis certs` certificate: plain httpx and the official SDK, given the
certificate either explicitly or through SSL_CERT_FILE as the README tells users."""

from __future__ import annotations

import ssl

import httpx
import pytest
from elevenlabs.client import ElevenLabs
from elevenlabs.types import Model
from sdk_support import FAST_MODEL, GEORGE, TEST_API_KEY, LiveServer, rms, validate_list

from vocalis.audio import decode


def test_models_over_https_with_httpx(tls_server: LiveServer):
    assert tls_server.url.startswith("https://127.0.0.1:")
    trusted = ssl.create_default_context(cafile=tls_server.settings.ssl_certfile)
    response = httpx.get(f"{tls_server.url}/v1/models", headers={"xi-api-key": TEST_API_KEY}, verify=trusted)
    assert response.status_code == 200
    assert FAST_MODEL in {model.model_id for model in validate_list(Model, response.json())}


def test_sdk_with_an_httpx_client_that_trusts_the_certificate(tls_server: LiveServer):
    trusted = ssl.create_default_context(cafile=tls_server.settings.ssl_certfile)
    with httpx.Client(verify=trusted, timeout=60) as http:
        client = ElevenLabs(api_key=TEST_API_KEY, base_url=tls_server.url, httpx_client=http)
        assert FAST_MODEL in {model.model_id for model in client.models.list()}
        assert GEORGE in {voice.voice_id for voice in client.voices.get_all().voices}


@pytest.mark.slow
def test_sdk_through_ssl_cert_file_streams_speech(tls_server: LiveServer, monkeypatch: pytest.MonkeyPatch):
    # Exactly the README's recipe: the SDK's own httpx client picks the certificate up from the environment.
    monkeypatch.setenv("SSL_CERT_FILE", str(tls_server.settings.ssl_certfile))
    client = ElevenLabs(api_key=TEST_API_KEY, base_url=f"https://localhost:{tls_server.port}", timeout=60)
    audio = b"".join(
        client.text_to_speech.convert(
            voice_id=GEORGE, text="Speech over a secure connection.", model_id=FAST_MODEL
        )
    )
    decoded = decode(audio)
    assert decoded.duration_seconds > 1 and rms(decoded.samples) > 0.01


def test_sdk_without_the_certificate_is_refused(tls_server: LiveServer):
    client = ElevenLabs(api_key=TEST_API_KEY, base_url=tls_server.url, timeout=10)
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        client.models.list()
