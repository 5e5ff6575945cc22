"""`vocalis models pull`: downloads from a real HTTP server on loopback playing the model hub (its resolve,
tree and revision endpoints, and a gated repository's token check), serving a tiny OpenVoice converter and
a tiny Stable Audio pipeline built here; resume, digest checks, nested folders and install."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest
from openvoice_support import TINY_CONFIG, write_converter
from typer.testing import CliRunner

from vocalis.cli import app
from vocalis.config import Settings
from vocalis.engines import downloads
from vocalis.engines.downloads import HubFile, PullError
from vocalis.engines.protocols import ConversionOptions, SoundOptions
from vocalis.engines.weights import WeightsError, file_sha256
from vocalis.errors import InvalidRequest
from vocalis.services import Services

runner = CliRunner()
GATED_TOKEN = "hf_test_token"


@dataclass
class Hub:
    """What the loopback hub serves and what it saw."""

    url: str
    files: dict[str, bytes]  # path in the repository → content
    revisions: set[str] = field(default_factory=set)
    repo: str = downloads.OPENVOICE_V2.repo
    branches: dict[str, str] = field(default_factory=dict)  # branch → commit
    token: str | None = None  # a gated repository answers 401 without this bearer token
    cut_after: int | None = None  # drop the connection after this many bytes of the next longer download
    corrupt: bool = False
    ranges: list[str] = field(default_factory=list)


class _Handler(BaseHTTPRequestHandler):
    hub: Hub

    def log_message(self, *args: object) -> None:  # keep test output quiet
        pass

    def do_GET(self) -> None:
        hub = self.hub
        resolve, tree = f"/{hub.repo}/resolve/", f"/api/models/{hub.repo}/tree/"
        branch = f"/api/models/{hub.repo}/revision/"
        if hub.token is not None and self.headers.get("Authorization") != f"Bearer {hub.token}":
            return self._send(401, b'{"error": "Access to model is restricted."}')
        if self.path.startswith(branch):
            commit = hub.branches.get(self.path[len(branch) :])
            return self._send(200, json.dumps({"sha": commit}).encode()) if commit else self._send(404, b"{}")
        if self.path.startswith(tree):
            revision, _, folder = self.path[len(tree) :].partition("/")
            if revision not in hub.revisions:
                return self._send(404, b"{}")
            listing = [_tree_entry(path, data) for path, data in hub.files.items() if path.startswith(folder)]
            return self._send(200, json.dumps(listing).encode())
        if not self.path.startswith(resolve):
            return self._send(404, b"")
        revision, _, path = self.path[len(resolve) :].partition("/")
        if revision not in hub.revisions or path not in hub.files:
            return self._send(404, b"Entry not found")
        data = hub.files[path]
        if hub.corrupt:
            data = bytes([data[0] ^ 0xFF]) + data[1:]
        start = 0
        if (wanted := self.headers.get("Range")) is not None:
            hub.ranges.append(wanted)
            start = int(wanted.removeprefix("bytes=").rstrip("-"))
            if start >= len(data):
                return self._send(416, b"")
        self.send_response(206 if start else 200)
        self.send_header("Content-Length", str(len(data) - start))
        self.end_headers()
        body = data[start:]
        if hub.cut_after is not None and len(body) > hub.cut_after:
            body, hub.cut_after = body[: hub.cut_after], None
            self.wfile.write(body)
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(body)

    def _send(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def _tree_entry(path: str, data: bytes) -> dict:
    """The hub's listing: large files carry their LFS SHA-256, small ones only their git blob id."""
    blob = hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()
    entry = {"type": "file", "path": path, "oid": blob, "size": len(data)}
    if path.endswith((".pth", ".safetensors")):
        entry["lfs"] = {"oid": hashlib.sha256(data).hexdigest(), "size": len(data), "pointerSize": 134}
    return entry


@pytest.fixture(scope="module")
def tiny_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    directory = write_converter(tmp_path_factory.mktemp("hub") / "converter", TINY_CONFIG)
    return {
        f"converter/{name}": (directory / name).read_bytes() for name in ("config.json", "checkpoint.pth")
    }


@contextmanager
def _serving(state: Hub) -> Iterator[Hub]:
    handler = type("Handler", (_Handler,), {"hub": state})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def hub(tiny_files: dict[str, bytes]) -> Iterator[Hub]:
    with _serving(Hub("", dict(tiny_files), {downloads.OPENVOICE_V2.revision, "dev"})) as state:
        yield state


@pytest.fixture
def tiny_model(tiny_files: dict[str, bytes]) -> downloads.PullableModel:
    """openvoice-v2 with the digests of the tiny converter recorded instead of the real one's."""
    files = tuple(
        HubFile(path, hashlib.sha256(data).hexdigest(), len(data)) for path, data in tiny_files.items()
    )
    return dataclasses.replace(downloads.OPENVOICE_V2, files=files)


def test_pull_downloads_verifies_and_installs(hub: Hub, tiny_model, tmp_path: Path):
    seen: list[tuple[str, int, int | None]] = []
    directory = downloads.pull(
        tiny_model,
        tmp_path,
        hub_url=hub.url,
        progress=lambda f, done, total: seen.append((f.name, done, total)),
    )
    assert directory == tmp_path / "openvoice-v2"
    for path, data in hub.files.items():
        assert (directory / Path(path).name).read_bytes() == data
    assert not list(directory.glob("*.part"))
    assert downloads.installed_dir(tmp_path, tiny_model) == directory
    size = len(hub.files["converter/checkpoint.pth"])
    assert ("checkpoint.pth", size, size) in seen and ("checkpoint.pth", 0, size) in seen
    located = downloads.located(tiny_model, None, tmp_path)
    assert located.digests == {f.name: f.sha256 for f in tiny_model.files}
    # A second pull finds everything in place and downloads nothing.
    hub.corrupt = True
    assert downloads.pull(tiny_model, tmp_path, hub_url=hub.url) == directory


def test_an_interrupted_pull_resumes(hub: Hub, tiny_model, tmp_path: Path):
    hub.cut_after = 5000
    with pytest.raises(PullError, match="resumes"):
        downloads.pull(tiny_model, tmp_path, hub_url=hub.url)
    part = tmp_path / "openvoice-v2" / "checkpoint.pth.part"
    assert part.stat().st_size == 5000
    assert downloads.installed_dir(tmp_path, tiny_model) is None
    downloads.pull(tiny_model, tmp_path, hub_url=hub.url)
    assert hub.ranges == ["bytes=5000-"]
    assert (tmp_path / "openvoice-v2" / "checkpoint.pth").read_bytes() == hub.files[
        "converter/checkpoint.pth"
    ]
    assert not part.exists()


def test_a_download_that_fails_its_digest_is_removed(hub: Hub, tiny_model, tmp_path: Path):
    hub.corrupt = True
    with pytest.raises(PullError, match="does not match its digest"):
        downloads.pull(tiny_model, tmp_path, hub_url=hub.url)
    assert list((tmp_path / "openvoice-v2").iterdir()) == []
    assert downloads.located(tiny_model, None, tmp_path) is None


def test_another_revision_is_checked_against_the_hubs_listing(hub: Hub, tmp_path: Path):
    # The real model's recorded digests cannot match the tiny files, but at another revision the hub's own
    # SHA-256 (LFS) and git blob id (config.json) are the check.
    model = downloads.OPENVOICE_V2
    with pytest.raises(PullError, match="does not match"):
        downloads.pull(model, tmp_path, hub_url=hub.url)
    directory = downloads.pull(model, tmp_path, hub_url=hub.url, revision="dev")
    located = downloads.located(model, None, tmp_path)
    assert located.directory == directory
    assert located.digests["checkpoint.pth"] == file_sha256(directory / "checkpoint.pth")
    with pytest.raises(PullError, match="no revision 'gone'"):
        downloads.pull(model, tmp_path / "other", hub_url=hub.url, revision="gone")


def test_install_from_a_local_copy(tiny_files: dict[str, bytes], tiny_model, tmp_path: Path):
    clone = tmp_path / "clone"
    for path, data in tiny_files.items():
        (clone / path).parent.mkdir(parents=True, exist_ok=True)
        (clone / path).write_bytes(data)
    directory = downloads.install_from(tiny_model, clone, tmp_path / "cache")
    assert downloads.installed_dir(tmp_path / "cache", tiny_model) == directory
    with pytest.raises(PullError, match="SHA-256 differs"):
        downloads.install_from(downloads.OPENVOICE_V2, clone, tmp_path / "cache2")
    with pytest.raises(PullError, match="neither"):
        downloads.install_from(tiny_model, tmp_path / "cache2", tmp_path / "cache3")


def test_cli_pull_list_and_serve(hub: Hub, tmp_path: Path):
    env = {"VOCALIS_HOME": str(tmp_path / "home"), "VOCALIS_MODEL_CACHE": str(tmp_path / "models")}
    env |= {"VOCALIS_HUB_URL": hub.url, "COLUMNS": "250"}
    assert "not installed" in runner.invoke(app, ["models", "list"], env=env).output
    refused = runner.invoke(app, ["models", "pull", "openvoice-v2"], env=env)
    assert refused.exit_code == 1 and "does not match its digest" in refused.output
    unknown = runner.invoke(app, ["models", "pull", "nonsense"], env=env)
    assert unknown.exit_code == 1 and "no model named 'nonsense'" in unknown.output
    pulled = runner.invoke(app, ["models", "pull", "openvoice-v2", "--revision", "dev"], env=env)
    assert pulled.exit_code == 0, pulled.output
    assert "Installed openvoice-v2" in pulled.output
    listed = runner.invoke(app, ["models", "list"], env=env).output
    assert "installed in" in listed and "openvoice-v2" in listed

    # The pulled converter is now an engine of the server, listed by GET /v1/models as a converter.
    services = Services.open(Settings(home=tmp_path / "home", model_cache=tmp_path / "models"))
    try:
        model = next(m for m in services.registry.models() if m.model_id == "openvoice-v2")
        assert model.can_do_voice_conversion and not model.can_do_text_to_speech
        with pytest.raises(InvalidRequest, match="cannot speak text"):
            services.registry.model("openvoice-v2")  # the lookup every TTS path makes
        converter = services.registry.engine("openvoice-v2")
        speech = np.sin(np.arange(22050) * 0.05).astype(np.float32) * 0.3
        target = converter.reference(speech, 22050)
        assert converter.convert(speech, 22050, target, ConversionOptions(seed=0)).shape == speech.shape
    finally:
        services.close()


def test_stable_audio_open_pulls_into_its_folders_with_a_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    pytest.importorskip("diffusers", reason="the text-to-audio extra (diffusers) is absent")
    from stable_audio_support import write_tiny_pipeline

    pipeline = write_tiny_pipeline(tmp_path / "tiny")
    files = {str(p.relative_to(pipeline)): p.read_bytes() for p in sorted(pipeline.rglob("*")) if p.is_file()}
    real = downloads.STABLE_AUDIO_OPEN
    # The tiny pipeline is saved in the real repository's layout (minus the slow tokenizer's extra files).
    assert set(files) <= {file.path for file in real.files}
    model = dataclasses.replace(real, files=tuple(HubFile(path, None) for path in files))
    monkeypatch.setattr(downloads, "STABLE_AUDIO_OPEN", model)
    commit = "0123456789abcdef0123456789abcdef01234567"
    with _serving(Hub("", files, {commit}, real.repo, {"main": commit}, GATED_TOKEN)) as hub:
        with pytest.raises(PullError, match="gated: accept its licence"):
            downloads.pull(model, tmp_path / "models", hub_url=hub.url)
        directory = downloads.pull(model, tmp_path / "models", hub_url=hub.url, token=GATED_TOKEN)
    for path, data in files.items():
        assert (directory / path).read_bytes() == data
    record = json.loads((directory / "pulled.json").read_text())
    assert record["revision"] == commit  # the branch is pinned to the commit every file came from
    located = downloads.located(model, None, tmp_path / "models")
    assert (
        located.digests["transformer/diffusion_pytorch_model.safetensors"]
        == hashlib.sha256(files["transformer/diffusion_pytorch_model.safetensors"]).hexdigest()
    )

    # The pulled pipeline is the sound-effects engine of a server on that cache, and generates.
    settings = Settings(home=tmp_path / "home", model_cache=tmp_path / "models", sound_effects_steps=2)
    services = Services.open(settings)
    try:
        generator = services.registry.engine("stable-audio-open")
        sound = generator.generate("rain on the glass", SoundOptions(duration_seconds=1.0, seed=1))
        assert sound.audio.shape == (sound.sample_rate,) and np.all(np.isfinite(sound.audio))
    finally:
        services.close()
    # A weight file changed after the pull is refused when the engine loads.
    weights_file = directory / "vae/diffusion_pytorch_model.safetensors"
    weights_file.write_bytes(weights_file.read_bytes()[:-1])
    services = Services.open(settings)
    try:
        with pytest.raises(WeightsError, match="corrupted"):
            services.registry.engine("stable-audio-open").generate("rain", SoundOptions(duration_seconds=1.0))
    finally:
        services.close()


def test_hub_token_is_read_from_hf_token(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("HF_TOKEN", "hf_from_env")
    assert Settings().hub_token.get_secret_value() == "hf_from_env"
    monkeypatch.setenv("VOCALIS_HUB_TOKEN", "hf_vocalis")
    assert Settings().hub_token.get_secret_value() == "hf_vocalis"
