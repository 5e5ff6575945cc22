"""Helpers of the SDK suite: a live uvicorn server, response validation against the SDK's models and the
OpenAPI spec, and small audio checks. Imported by tests/sdk/conftest.py and the test modules."""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import socket
import ssl
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any, TypeVar

import httpx
import numpy as np
import pydantic
import uvicorn

from vocalis.app import create_app
from vocalis.config import Settings

GEORGE = "JBFqnCBsd6RMkjVDRZzb"  # premade, rendered by Piper (fast)
RACHEL = "21m00Tcm4TlvDq8ikWAM"  # premade legacy voice, rendered by Kokoro
FAST_MODEL = "eleven_flash_v2_5"
SPEC_PATH = Path(
    os.environ.get(
        "VOCALIS_ELEVENLABS_OPENAPI",
        Path(__file__).resolve().parents[3] / "shared" / "spec" / "elevenlabs" / "api-openapi.json",
    )
)

M = TypeVar("M", bound=pydantic.BaseModel)


def _shared_conftest() -> ModuleType:
    """tests/conftest.py as a module: pytest imports conftests under names that test code cannot rely on."""
    name = "_vocalis_tests_shared_conftest"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            name, Path(__file__).resolve().parents[1] / "conftest.py"
        )
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


TEST_API_KEY: str = _shared_conftest().TEST_API_KEY


# Live server --------------------------------------------------------------------------------------------
@dataclass
class LiveServer:
    """A uvicorn server running `create_app(settings)` in a background thread."""

    settings: Settings
    port: int
    server: uvicorn.Server
    thread: threading.Thread

    @property
    def tls(self) -> bool:
        return self.settings.ssl_certfile is not None

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    @property
    def verify(self) -> ssl.SSLContext | bool:
        """What httpx's `verify` needs to trust this server: its own certificate when it serves TLS."""
        return ssl.create_default_context(cafile=self.settings.ssl_certfile) if self.tls else True

    def http(self, **kwargs: Any) -> httpx.Client:
        """A plain httpx client for the server, authenticated with the test key."""
        headers = {"xi-api-key": TEST_API_KEY, **kwargs.pop("headers", {})}
        return httpx.Client(
            base_url=self.url,
            headers=headers,
            timeout=kwargs.pop("timeout", 60.0),
            verify=kwargs.pop("verify", self.verify),
            **kwargs,
        )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def live_server(settings: Settings, *, startup_timeout: float = 30.0) -> Iterator[LiveServer]:
    """Start a real uvicorn server on a free port, wait for `GET /healthz` == 200, stop it on exit.

    With `settings.ssl_certfile` and `settings.ssl_keyfile` it serves https:// and wss://, as `vocalis serve`.
    """
    port = _free_port()
    config = uvicorn.Config(
        create_app(settings),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        lifespan="on",
        access_log=False,
        ssl_certfile=str(settings.ssl_certfile) if settings.ssl_certfile else None,
        ssl_keyfile=str(settings.ssl_keyfile) if settings.ssl_keyfile else None,
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
                if httpx.get(f"{running.url}/healthz", timeout=1.0, verify=running.verify).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(f"the server on port {port} did not become healthy in {startup_timeout} s")
            time.sleep(0.05)
        yield running
    finally:
        server.should_exit = True
        thread.join(timeout=15)


# Validation ---------------------------------------------------------------------------------------------
def validate(model: type[M], data: Any) -> M:
    """Strict validation with the SDK's own pydantic model (the SDK itself only `construct`s responses)."""
    return model.model_validate(data)


def validate_list(model: type[M], data: Any) -> list[M]:
    return pydantic.TypeAdapter(list[model]).validate_python(data)  # type: ignore[valid-type]


SPEC_URI = "urn:elevenlabs:api-openapi"


def spec_checks_unavailable() -> str | None:
    """Why OpenAPI checks cannot run here (no spec file, or `jsonschema` not installed), else None."""
    if not SPEC_PATH.is_file():
        return f"ElevenLabs OpenAPI spec not found at {SPEC_PATH}"
    if importlib.util.find_spec("jsonschema") is None:
        return "jsonschema is not installed"
    return None


@cache
def _spec_registry() -> Any:
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    spec = json.loads(SPEC_PATH.read_text())
    return Registry().with_resource(SPEC_URI, Resource.from_contents(spec, default_specification=DRAFT202012))


def _pointer(*parts: str) -> str:
    return "/".join(part.replace("~", "~0").replace("/", "~1") for part in parts)


def assert_matches_spec(
    path: str, method: str, body: Any, *, status: str = "200", media_type: str = "application/json"
) -> None:
    """Validate a JSON body against the response schema the OpenAPI spec declares for (path, method, status).

    A no-op where `spec_checks_unavailable()` (test_openapi_checks_are_available then reports the skip).
    """
    if spec_checks_unavailable():
        return
    import jsonschema

    ref = f"{SPEC_URI}#/" + _pointer(
        "paths", path, method, "responses", status, "content", media_type, "schema"
    )
    validator = jsonschema.Draft202012Validator({"$ref": ref}, registry=_spec_registry())
    errors = sorted(validator.iter_errors(body), key=lambda error: list(error.absolute_path))
    assert not errors, f"{method.upper()} {path} ({status}) does not match the OpenAPI schema:\n" + "\n".join(
        f"  at {'/'.join(map(str, error.absolute_path)) or '<root>'}: {error.message[:300]}"
        for error in errors[:10]
    )


def assert_elevenlabs_error(body: Any, status: str) -> None:
    """ElevenLabs' error body: `{"detail": {"status": <code>, "message": <text>}}`."""
    assert isinstance(body, dict) and isinstance(body.get("detail"), dict), body
    assert body["detail"]["status"] == status, body
    assert isinstance(body["detail"]["message"], str) and body["detail"]["message"], body


# Audio --------------------------------------------------------------------------------------------------
def pcm16(data: bytes) -> np.ndarray:
    assert len(data) % 2 == 0, "16-bit PCM must have an even number of bytes"
    return np.frombuffer(data, dtype="<i2").astype(np.float32) / 32768


def ulaw(data: bytes) -> np.ndarray:
    """G.711 mu-law bytes -> float samples."""
    value = ~np.frombuffer(data, dtype=np.uint8)
    exponent = ((value >> 4) & 0x07).astype(np.int32)
    magnitude = ((((value & 0x0F).astype(np.int32) << 3) + 0x84) << exponent) - 0x84
    return np.where(value & 0x80, -magnitude, magnitude).astype(np.float32) / 32768


def rms(samples: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(samples, dtype=np.float64)))) if len(samples) else 0.0
