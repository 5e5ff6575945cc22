"""Shared fixtures: isolated Vocalis homes, a shared model cache, the ASGI app and corpus paths."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from vocalis.app import create_app
from vocalis.config import Settings

REPO_ROOT = Path(__file__).resolve().parents[1]
CORPUS = Path(os.environ.get("VOCALIS_CORPUS", REPO_ROOT.parent / "shared" / "corpus"))
TEST_API_KEY = "sk_test_0123456789abcdef"


@pytest.fixture(scope="session")
def model_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Assembled weights are reused by every test of the session (assembly takes a second or two)."""
    shared = os.environ.get("VOCALIS_TEST_MODEL_CACHE")
    return Path(shared) if shared else tmp_path_factory.mktemp("models")


@pytest.fixture
def settings(tmp_path: Path, model_cache: Path) -> Settings:
    return Settings(home=tmp_path / "home", model_cache=model_cache, api_key=TEST_API_KEY)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings), headers={"xi-api-key": TEST_API_KEY}) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def corpus() -> Path:
    if not CORPUS.is_dir():
        pytest.skip(f"corpus not found at {CORPUS}")
    return CORPUS
