"""The `vocalis` command line, run in-process on a temporary home."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from vocalis.audio import decode
from vocalis.cli import app

runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path, model_cache: Path) -> dict[str, str]:
    return {"VOCALIS_HOME": str(tmp_path / "home"), "VOCALIS_MODEL_CACHE": str(model_cache), "COLUMNS": "200"}


@pytest.mark.slow
def test_tts_writes_audio_and_history(env: dict[str, str], tmp_path: Path):
    output = tmp_path / "hello.mp3"
    result = runner.invoke(
        app, ["tts", "Hello from the command line.", "--voice", "George", "-o", str(output)], env=env
    )
    assert result.exit_code == 0, result.output
    assert "George" in result.output
    assert decode(output.read_bytes()).duration_seconds > 1


def test_tts_unknown_voice_fails_cleanly(env: dict[str, str], tmp_path: Path):
    result = runner.invoke(app, ["tts", "Hi", "--voice", "Nobody", "-o", str(tmp_path / "x.mp3")], env=env)
    assert result.exit_code != 0
    assert "No voice named" in result.output


def test_voices_and_models_list(env: dict[str, str]):
    voices = runner.invoke(app, ["voices"], env=env)
    assert voices.exit_code == 0
    assert "JBFqnCBsd6RMkjVDRZzb" in voices.output and "Rachel" in voices.output
    models = runner.invoke(app, ["models"], env=env)
    assert models.exit_code == 0
    assert "eleven_multilingual_v2" in models.output and "kokoro" in models.output


def test_keys_create_list_revoke(env: dict[str, str]):
    created = runner.invoke(app, ["keys", "create", "--name", "laptop"], env=env)
    assert created.exit_code == 0
    key_id = re.search(r"key_id: (\w+)", created.output).group(1)
    assert re.search(r"api key: sk_\w+", created.output)
    listed = runner.invoke(app, ["keys", "list"], env=env)
    assert key_id in listed.output and "active" in listed.output
    assert runner.invoke(app, ["keys", "revoke", key_id], env=env).exit_code == 0
    assert "revoked" in runner.invoke(app, ["keys", "list"], env=env).output
    assert runner.invoke(app, ["keys", "revoke", key_id], env=env).exit_code == 1


def test_serve_starts_and_answers_healthz(env: dict[str, str]):
    import os
    import socket
    import subprocess
    import sys
    import time

    import httpx

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "vocalis", "serve", "--port", str(port), "--log-level", "warning"],
        env={**os.environ, **env, "VOCALIS_API_KEY": "sk_cli_test"},
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "server did not start"
                assert server.poll() is None, "server exited"
                time.sleep(0.2)
        assert response.status_code == 200
        assert httpx.get(f"http://127.0.0.1:{port}/v1/voices").status_code == 401
        voices = httpx.get(f"http://127.0.0.1:{port}/v1/voices", headers={"xi-api-key": "sk_cli_test"})
        assert len(voices.json()["voices"]) >= 16
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.mark.slow
def test_stt_writes_subtitles(env: dict[str, str], tmp_path: Path, corpus: Path):
    output = tmp_path / "cards.srt"
    result = runner.invoke(
        app,
        [
            "stt",
            str(corpus / "stt_en" / "cmu_cards_005.wav"),
            "--language",
            "en",
            "--format",
            "srt",
            "-o",
            str(output),
        ],
        env=env,
    )
    assert result.exit_code == 0, result.output
    subtitles = output.read_text()
    assert subtitles.startswith("1\n00:00:0") and "spades" in subtitles.lower()
    printed = runner.invoke(
        app, ["stt", str(corpus / "stt_en" / "cmu_goforward.wav"), "--format", "txt"], env=env
    )
    assert printed.exit_code == 0 and "forward" in printed.output.lower()


def test_stt_rejects_a_file_that_is_not_audio(env: dict[str, str], tmp_path: Path):
    bogus = tmp_path / "notes.wav"
    bogus.write_text("not audio")
    result = runner.invoke(app, ["stt", str(bogus)], env=env)
    assert result.exit_code != 0
    assert "not readable audio" in result.output
