"""Body of `POST /v1/sound-generation` (`Body_Sound_Generation_v1_sound_generation_post`, plus the `loop`
and `model_id` fields the SDK sends)."""

from __future__ import annotations

from pydantic import BaseModel, Field

MIN_DURATION_SECONDS = 0.5
MAX_DURATION_SECONDS = 30.0
DEFAULT_PROMPT_INFLUENCE = 0.3


class SoundGenerationRequest(BaseModel):
    text: str
    duration_seconds: float | None = Field(default=None, ge=MIN_DURATION_SECONDS, le=MAX_DURATION_SECONDS)
    prompt_influence: float | None = Field(default=DEFAULT_PROMPT_INFLUENCE, ge=0.0, le=1.0)
    loop: bool | None = None
    model_id: str | None = None
    # Vocalis extension: the same seed, prompt and settings give the same audio (the response's
    # `x-vocalis-seed` header tells the seed a request without one got).
    seed: int | None = Field(default=None, ge=0, le=4294967295)
