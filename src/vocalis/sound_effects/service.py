"""Sound-generation requests: checks, the engine for a model id, the automatic duration, and one finish
for every engine (exact length, seamless loop, loudness, encoding).

The procedural engine always plans the request, whichever engine renders it: its recipe match sizes an
automatic duration and sets the loudness a sound of that kind and distance should have.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

import numpy as np

from vocalis.audio import OutputFormat, encode, parse_output_format, resample
from vocalis.engines.protocols import GeneratedSound, SoundOptions
from vocalis.engines.registry import EngineRegistry
from vocalis.errors import InvalidRequest
from vocalis.schemas.sound_generation import (
    DEFAULT_PROMPT_INFLUENCE,
    MAX_DURATION_SECONDS,
    MIN_DURATION_SECONDS,
    SoundGenerationRequest,
)
from vocalis.sound_effects import dsp
from vocalis.sound_effects.procedural import NAME as PROCEDURAL
from vocalis.sound_effects.procedural import EffectPlan, ProceduralSoundGenerator
from vocalis.store.history import HistoryRepository

NEURAL = "stable-audio-open"
# ElevenLabs' ids resolve to the best installed engine; native ids name one.
ELEVENLABS_MODELS = ("eleven_text_to_sound_v2", "eleven_text_to_sound_v3")
NATIVE_MODELS = (PROCEDURAL, NEURAL)
OUTPUT_RATE = dsp.SAMPLE_RATE
LOOP_CROSSFADE_SECONDS = 0.5
# What ElevenLabs bills: 40 credits a second when a duration is given, a flat 200 when it picks one.
CREDITS_PER_SECOND = 40
AUTOMATIC_DURATION_CREDITS = 200
MAX_TEXT_CHARACTERS = 1000


@dataclass
class SoundEffect:
    """A finished sound, encoded, with what the response headers report about it."""

    audio: bytes
    output_format: OutputFormat
    duration_seconds: float
    engine: str
    seed: int
    character_cost: int
    details: dict[str, str] = field(default_factory=dict)


class SoundEffectsService:
    def __init__(self, registry: EngineRegistry, history: HistoryRepository):
        self.registry = registry
        self.history = history

    def engine_for(self, model_id: str | None) -> str:
        if model_id is None or model_id in ELEVENLABS_MODELS:
            return NEURAL if self.registry.has_engine(NEURAL) else PROCEDURAL
        if model_id in NATIVE_MODELS and self.registry.has_engine(model_id):
            return model_id
        installed = [m for m in NATIVE_MODELS if self.registry.has_engine(m)]
        raise InvalidRequest(
            f"A sound model with model ID {model_id!r} does not exist or is not installed. "
            f"Available: {', '.join([*ELEVENLABS_MODELS, *installed])}.",
            code="model_not_found",
        )

    async def generate(
        self, body: SoundGenerationRequest, output_format: str, key_id: str | None
    ) -> SoundEffect:
        text = body.text.strip()
        if not text:
            raise InvalidRequest("text must not be empty: describe the sound to generate.", code="empty_text")
        if len(text) > MAX_TEXT_CHARACTERS:
            raise InvalidRequest(
                f"text is longer than {MAX_TEXT_CHARACTERS} characters.", code="text_too_long"
            )
        try:
            fmt = parse_output_format(output_format)
        except ValueError as error:
            raise InvalidRequest(str(error), code="invalid_output_format") from error
        engine_name = self.engine_for(body.model_id)
        planner: ProceduralSoundGenerator = await self.registry.run(self.registry.engine, PROCEDURAL)
        plan = await self.registry.run(planner.plan, text)
        seconds = body.duration_seconds or _clamp(plan.automatic_seconds)
        loop = plan.modifiers.loop if body.loop is None else body.loop
        fade = min(LOOP_CROSSFADE_SECONDS, seconds / 4) if loop else 0.0
        influence = DEFAULT_PROMPT_INFLUENCE if body.prompt_influence is None else body.prompt_influence
        seed = body.seed if body.seed is not None else secrets.randbelow(2**32)
        options = SoundOptions(duration_seconds=seconds + fade, prompt_influence=influence, seed=seed)

        async with self.registry.reserve(engine_name) as engine:
            longest = await self.registry.run(getattr, engine, "max_seconds")
            if options.duration_seconds > longest:
                raise InvalidRequest(
                    f"duration_seconds {seconds} is longer than the {longest:.2f} s {engine_name} makes "
                    "at once.",
                    code="invalid_duration",
                )
            sound = await self.registry.run(engine.generate, text, options)
        samples = await self.registry.run(finish, sound, seconds, fade, plan, loop)
        audio = await self.registry.run(encode, samples, OUTPUT_RATE, fmt)

        cost = round(CREDITS_PER_SECOND * seconds) if body.duration_seconds else AUTOMATIC_DURATION_CREDITS
        await self.registry.run(
            self.history.record_usage, cost, body.model_id or ELEVENLABS_MODELS[0], None, key_id
        )
        details = {**sound.details, "matcher": plan.match.matcher}
        return SoundEffect(audio, fmt, seconds, engine_name, seed, cost, details)


def finish(sound: GeneratedSound, seconds: float, fade: float, plan: EffectPlan, loop: bool) -> np.ndarray:
    """The engine's audio at the output rate, exactly `seconds` long (looped seamlessly if asked), at the
    plan's loudness with peaks below -1 dBFS."""
    audio = resample(sound.audio, sound.sample_rate, OUTPUT_RATE).astype(np.float64)
    n = round(seconds * OUTPUT_RATE)
    overhang = round(fade * OUTPUT_RATE)
    if loop:
        audio = dsp.seamless_loop(dsp.pad_to(audio, n + overhang), n, overhang)
    else:
        # A sound that does not loop starts from silence and ends in it, without a click either side.
        audio = dsp.pad_to(audio, n) * dsp.adsr(n, 0.002, 0.01, OUTPUT_RATE)
    return dsp.master(audio, plan.target_lufs, OUTPUT_RATE, wrap=loop).astype(np.float32)


def _clamp(seconds: float) -> float:
    return float(min(max(seconds, MIN_DURATION_SECONDS), MAX_DURATION_SECONDS))
