"""A real Vocalis server on a free local port, and the official ElevenLabs / OpenAI clients pointed at it."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from elevenlabs.client import AsyncElevenLabs, ElevenLabs

from tests.conftest import TEST_API_KEY
from vocalis.app import create_app
from vocalis.config import Settings

SPEC_PATH = Path(__file__).resolve().parents[3] / "shared" / "spec" / "elevenlabs" / "api-openapi.json"


@dataclass
class LiveServer:
    """A uvicorn server running `create_app(settings)` in a background thread."""

    settings: Settings
    port: int
    server: uvicorn.Server
    thread: threading.Thread

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def http(self, **kwargs: Any) -> httpx.Client:
        """A plain httpx client for the server, authenticated with the test key."""
        headers = {"xi-api-key": TEST_API_KEY, **kwargs.pop("headers", {})}
        return httpx.Client(base_url=self.url, headers=headers, timeout=kwargs.pop("timeout", 60.0), **kwargs)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def live_server(settings: Settings, *, startup_timeout: float = 30.0) -> Iterator[LiveServer]:
    """Start a real uvicorn server, wait for `GET /healthz` == 200, and stop it on exit."""
    port = _free_port()
    config = uvicorn.Config(
        create_app(settings),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        lifespan="on",
        access_log=False,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    running = LiveServer(settings=settings, port=port, server=server, thread=thread)
    deadline = time.monotonic() + startup_timeout
    try:
        while True:
            if not thread.is_alive():
                raise RuntimeError("the uvicorn server thread exited during start-up")
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{running.url}/healthz", timeout=1.0).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(f"the server on port {port} did not become healthy in {startup_timeout} s")
            time.sleep(0.05)
        yield running
    finally:
        server.should_exit = True
        thread.join(timeout=15)


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory, model_cache: Path) -> Iterator[LiveServer]:
    """The one shared server of the SDK suite."""
    home = tmp_path_factory.mktemp("sdk-home")
    with live_server(Settings(home=home, model_cache=model_cache, api_key=TEST_API_KEY)) as running:
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
    with server.http() as client:
        yield client


@pytest.fixture(scope="session")
def openapi_spec() -> dict:
    if not SPEC_PATH.is_file():
        pytest.skip(f"ElevenLabs OpenAPI spec not found at {SPEC_PATH}")
    return json.loads(SPEC_PATH.read_text())
