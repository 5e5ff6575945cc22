"""One real Vocalis server (uvicorn, free local port) for the whole SDK suite, and the official ElevenLabs
client pointed at it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from elevenlabs.client import AsyncElevenLabs, ElevenLabs
from sdk_support import TEST_API_KEY, LiveServer, live_server

from vocalis.config import Settings
from vocalis.tls import LOOPBACK_HOSTS, write_self_signed


@pytest.fixture(scope="session")
def api_key() -> str:
    return TEST_API_KEY


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory, model_cache: Path) -> Iterator[LiveServer]:
    """The one shared server of the SDK suite."""
    home = tmp_path_factory.mktemp("sdk-home")
    with live_server(Settings(home=home, model_cache=model_cache, api_key=TEST_API_KEY)) as running:
        yield running


@pytest.fixture(scope="session")
def tls_server(tmp_path_factory: pytest.TempPathFactory, model_cache: Path) -> Iterator[LiveServer]:
    """A second server speaking https:// and wss:// with a fresh `vocalis certs` certificate for loopback."""
    home = tmp_path_factory.mktemp("sdk-tls-home")
    files = write_self_signed(home / "tls", LOOPBACK_HOSTS, days=1)
    settings = Settings(
        home=home,
        model_cache=model_cache,
        api_key=TEST_API_KEY,
        ssl_certfile=files.certfile,
        ssl_keyfile=files.keyfile,
    )
    with live_server(settings) as running:
        yield running


@pytest.fixture(scope="session")
def base_url(server: LiveServer) -> str:
    return server.url


@pytest.fixture(scope="session")
def sdk(base_url: str) -> ElevenLabs:
    return ElevenLabs(api_key=TEST_API_KEY, base_url=base_url, timeout=120)


@pytest.fixture
def async_sdk(base_url: str) -> AsyncElevenLabs:
    # Function-scoped: an async httpx client belongs to the event loop of the test that made it.
    return AsyncElevenLabs(api_key=TEST_API_KEY, base_url=base_url, timeout=120)


@pytest.fixture(scope="session")
def http(server: LiveServer) -> Iterator[httpx.Client]:
    """Plain httpx for what the SDK does not expose (raw stream control, raw JSON)."""
    with server.http() as client:
        yield client
