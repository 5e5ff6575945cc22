"""Settings for a Vocalis server, read from `VOCALIS_*` environment variables (or keyword arguments)."""

from __future__ import annotations

from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="VOCALIS_", extra="ignore")

    home: Path = Field(default=Path("~/.vocalis"), description="Data folder: database, blobs, model cache.")
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; SQLite under `home` if unset."
    )
    blob_url: str | None = Field(default=None, description="file:///path (default `home`/blobs).")
    api_key: str | None = Field(default=None, description="Registered as an API key at start.")
    require_api_key: bool | None = Field(
        default=None, description="Force auth on/off; by default it is on as soon as any key exists."
    )
    engine_threads: int = Field(default=2, ge=1, description="Threads per model inference.")
    engine_concurrency: int = Field(default=2, ge=1, description="Requests one engine runs at once.")
    engine_queue_size: int = Field(default=32, ge=0, description="Requests that may wait per engine.")
    engine_idle_unload_seconds: float = Field(default=600.0, gt=0, description="Unload an idle engine.")
    model_cache: Path | None = Field(
        default=None, description="Assembled model weights (default `home`/models)."
    )
    hub_url: str = Field(
        default="https://huggingface.co", description="Model hub `vocalis models pull` downloads from."
    )
    hub_token: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("VOCALIS_HUB_TOKEN", "HF_TOKEN", "hub_token"),
        description="Hub access token for gated models (Stable Audio Open); HF_TOKEN is read too.",
    )
    openvoice_path: Path | None = Field(
        default=None, description="Own OpenVoice converter folder (config.json + checkpoint.pth)."
    )
    chatterbox_path: Path | None = Field(
        default=None, description="Own Chatterbox checkpoint folder (as ChatterboxTTS.from_local reads it)."
    )
    parler_path: Path | None = Field(
        default=None,
        description="Own Parler-TTS folder (config.json, model.safetensors, tokenizer.json): voice design.",
    )
    isolation_engine: str = Field(
        default="deepfilternet3", description="Voice isolator: deepfilternet3 (best) or rnnoise (fastest)."
    )
    sound_effects_model_path: Path | None = Field(
        default=None, description="Stable Audio Open pipeline folder (diffusers layout) for sound effects."
    )
    sound_effects_steps: int = Field(default=100, ge=1, description="Diffusion steps per sound effect.")
    pvc_training_effort: float = Field(
        default=4.0, gt=0, description="Professional voice training's search budget (instant cloning: 1)."
    )
    pvc_require_verification: bool = Field(
        default=True, description="Professional voices must pass the voice captcha before training."
    )
    max_upload_bytes: int = Field(default=1 << 30, description="Largest accepted upload (1 GiB).")
    allow_remote_urls: bool = Field(
        default=False, description="Let requests name audio by URL (`cloud_storage_url`); off by default."
    )
    websocket_send_timeout_seconds: float = Field(
        default=30.0, gt=0, description="Close a socket whose client has not read a message for this long."
    )
    ssl_certfile: Path | None = Field(
        default=None, description="PEM certificate: `vocalis serve` speaks https:// and wss:// with it."
    )
    ssl_keyfile: Path | None = Field(default=None, description="PEM private key of `ssl_certfile`.")

    @property
    def home_dir(self) -> Path:
        return self.home.expanduser()

    @property
    def models_dir(self) -> Path:
        return (self.model_cache or self.home_dir / "models").expanduser()

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.home_dir / 'vocalis.db'}"

    @property
    def resolved_blob_url(self) -> str:
        return self.blob_url or f"file://{self.home_dir / 'blobs'}"
