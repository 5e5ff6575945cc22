"""Voice design requests: read the description, choose three voices near it, render their previews, keep
them for a day so they can be streamed and saved, and save a chosen one as a `generated` voice.

Every request places three voices of the installed engines (Kokoro blends and Piper) at the pitch and pace
the description asks for: the offline method of `candidates`. Where the Parler-TTS engine is installed
(`vocalis models pull parler-tts-mini-v1`), it renders the previews instead, from the description and the
text with three seeds; saving one clones its speaker into the local engines (the nearest-voice search of
instant cloning, on the preview's audio), so every TTS path can speak it.
Responses name the engine in `x-vocalis-engine`.
"""

from __future__ import annotations

import base64
import functools
import secrets
import time
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from vocalis.audio import (
    OutputFormat,
    decode,
    decode_pcm_s16le,
    encode,
    parse_output_format,
    resample,
    stored_format,
)
from vocalis.engines import sentence_embedding
from vocalis.engines.protocols import SynthesisOptions, Synthesizer
from vocalis.engines.registry import EngineRegistry
from vocalis.errors import InvalidRequest, NotFound, VocalisError
from vocalis.schemas.text_to_voice import VoicePreviewsRequest, VoiceRemixRequest
from vocalis.sound_effects.dsp import master
from vocalis.speech.synthesis import SpeechInput, synthesize
from vocalis.store.history import HistoryRepository
from vocalis.store.ids import new_id
from vocalis.store.tables import Voice, VoicePreview
from vocalis.store.voice_previews import VoicePreviewRepository
from vocalis.store.voices import StoredVoiceSettings
from vocalis.voice_design.candidates import KOKORO, PIPER, DesignedVoice, design_voices, variety
from vocalis.voice_design.remix import change_scale, remix_voices, remixed_traits
from vocalis.voice_design.texts import preview_text
from vocalis.voice_design.traits import DescriptionReader, VoiceTraits
from vocalis.voices.cloning import SAMPLE_RATE, speaker_data, spec_json
from vocalis.voices.library import VoiceLibrary, spec_from_json
from vocalis.voices.matching import VoiceMatcher

METHOD = "description-blend"
REMIX_METHOD = "description-remix"
PARLER = "parler-tts"
PREVIEW_TTL_SECONDS = 24 * 3600
DEFAULT_MODEL = "eleven_multilingual_ttv_v2"
LANGUAGE = "en"
# The legacy voice generation answers MP3 at the loudness of a design request's default.
LEGACY_OUTPUT_FORMAT = "mp3_44100_128"
LEGACY_LOUDNESS = 0.5
# `loudness` 0 is about -24 LUFS (ElevenLabs' definition); each unit of it is 10 dB more or less.
LUFS_AT_ZERO = -24.0
LUFS_PER_UNIT = 10.0


@dataclass
class Preview:
    generated_voice_id: str
    audio: bytes  # empty when the preview waits to be streamed (`stream_previews`)
    duration_secs: float


@dataclass
class Design:
    """The previews of one request and what the response headers report about them."""

    previews: list[Preview]
    text: str
    output_format: OutputFormat
    traits: VoiceTraits
    seed: int
    character_cost: int
    engine: str = METHOD

    def previews_json(self) -> list[dict]:
        return [
            {
                "audio_base_64": base64.b64encode(preview.audio).decode("ascii"),
                "generated_voice_id": preview.generated_voice_id,
                "media_type": self.output_format.media_type,
                "duration_secs": round(preview.duration_secs, 3),
                "language": LANGUAGE,
            }
            for preview in self.previews
        ]


def target_lufs(loudness: float) -> float:
    return LUFS_AT_ZERO + LUFS_PER_UNIT * loudness


def render_preview(synthesizer: Synthesizer, voice: DesignedVoice, text: str, lufs: float) -> np.ndarray:
    """The preview as float32 at the engine's rate, brought to `lufs` (BS.1770) with peaks under -1 dBFS."""
    options = SynthesisOptions(speed=voice.spec.speed, variation=voice.variation, seed=voice.seed)
    pieces = synthesize(synthesizer, SpeechInput(text=text, spec=voice.spec, options=options))
    audio = np.concatenate([piece.audio for piece in pieces]).astype(np.float64)
    return master(audio, lufs, synthesizer.sample_rate).astype(np.float32)


def render_parler_preview(parler: Any, description: str, text: str, seed: int, lufs: float) -> np.ndarray:
    """Parler-TTS's rendering of `text` in the described voice, mastered like the other previews; a
    fifth of a second of silence when the model ended before speaking."""
    audio = parler.generate(description, text, seed).astype(np.float64)
    if audio.size == 0 or not np.any(audio):
        return np.zeros(parler.sample_rate // 5, dtype=np.float32)
    return master(audio, lufs, parler.sample_rate).astype(np.float32)


def _output_format(output_format: str) -> OutputFormat:
    try:
        return parse_output_format(output_format)
    except ValueError as error:
        raise InvalidRequest(str(error), code="invalid_output_format") from error


def _check_text(text: str | None, auto_generate_text: bool) -> None:
    if text is None and not auto_generate_text:
        raise InvalidRequest(
            "Give a text of 100 to 1000 characters for the previews to say, or set auto_generate_text to "
            "true.",
            code="invalid_parameters",
        )


def _engine_missing(message: str) -> VocalisError:
    return VocalisError(message, code="engine_not_installed", http_status=503)


def _designed(design: dict) -> DesignedVoice:
    return DesignedVoice(
        spec=spec_from_json(design["spec"]),
        gender=design["gender"],
        target_f0_hz=design["target_f0_hz"],
        variation=design["variation"],
        seed=design["seed"],
        labels=dict(design["labels"]),
    )


class VoiceDesignService:
    def __init__(
        self,
        registry: EngineRegistry,
        previews: VoicePreviewRepository,
        voices: VoiceLibrary,
        history: HistoryRepository,
        matcher: VoiceMatcher,
    ):
        self.registry = registry
        self.previews = previews
        self.voices = voices
        self.history = history
        self.matcher = matcher
        self.reader = DescriptionReader()

    async def read(self, description: str, *, changes: bool = False) -> VoiceTraits:
        """The description's traits (a remix prompt's with `changes`), with MiniLM embeddings when
        installed, else from its words alone."""
        if not self.registry.has_engine(sentence_embedding.NAME):
            return self.reader.read(description, changes=changes)
        async with self.registry.reserve(sentence_embedding.NAME) as embedder:
            read = functools.partial(self.reader.read, changes=changes)
            return await self.registry.run(read, description, embedder)

    async def design(
        self,
        body: VoicePreviewsRequest,
        output_format: str,
        *,
        model_id: str = DEFAULT_MODEL,
        stream_previews: bool = False,
        key_id: str | None = None,
    ) -> Design:
        fmt = _output_format(output_format)
        _check_text(body.text, body.auto_generate_text)
        engines = self._engines()
        traits = await self.read(body.voice_description)
        seed = body.seed if body.seed is not None else secrets.randbelow(2**31)
        text = body.text or preview_text(traits, np.random.default_rng(seed))
        voices = design_voices(traits, seed, variety(body.quality, body.guidance_scale), engines)
        engine = PARLER if self.registry.has_engine(PARLER) else METHOD
        lufs = target_lufs(body.loudness)
        previews = await self._store_previews(
            voices, body.voice_description, text, fmt, lufs, seed, engine, stream_previews
        )
        # Charged once for the preview text, whatever the number of previews (as ElevenLabs does).
        await self.registry.run(self.history.record_usage, len(text), model_id, None, key_id)
        return Design(previews, text, fmt, traits, seed, len(text), engine)

    async def remix(
        self,
        voice_id: str,
        body: VoiceRemixRequest,
        output_format: str,
        *,
        key_id: str | None = None,
    ) -> Design:
        """Three previews of `voice_id` changed as the prompt asks (`remix`); saved like designed ones."""
        fmt = _output_format(output_format)
        _check_text(body.text, body.auto_generate_text)
        voice = await self.registry.run(self.voices.get, voice_id)
        if voice.unavailable:  # a professional voice not trained yet, refused as text to speech does
            raise InvalidRequest(voice.unavailable, code="voice_not_fine_tuned")
        engines = self._engines()
        if voice.spec.engine not in engines:
            raise _engine_missing(
                f"Voice {voice_id!r} is rendered by {voice.spec.engine}, which is not installed."
            )
        traits = await self.read(body.voice_description, changes=True)
        settings = await self.registry.run(self.voices.settings, voice_id)
        seed = body.seed if body.seed is not None else secrets.randbelow(2**31)
        remixed = remixed_traits(voice, traits)
        text = body.text or preview_text(remixed, np.random.default_rng(seed))
        voices = remix_voices(
            voice,
            traits,
            seed,
            variety(None, body.guidance_scale),
            change_scale(body.prompt_strength),
            1.0 - settings.stability,
            engines,
        )
        previews = await self._store_previews(
            voices,
            body.voice_description,
            text,
            fmt,
            target_lufs(body.loudness),
            seed,
            REMIX_METHOD,
            body.stream_previews,
        )
        await self.registry.run(self.history.record_usage, len(text), DEFAULT_MODEL, None, key_id)
        return Design(previews, text, fmt, remixed, seed, len(text), REMIX_METHOD)

    async def generate_random(
        self, gender: str, age: str, accent: str, text: str, key_id: str | None = None
    ) -> Design:
        """One voice of the gender, age and accent, saying `text` (the legacy `voice-generation` API):
        placed as voice design places its first candidate, with a random seed."""
        engines = self._engines()
        traits = VoiceTraits(gender=gender, age=age, accent=accent)
        seed = secrets.randbelow(2**31)
        [voice, *_] = design_voices(traits, seed, variety(None, None), engines)
        fmt = parse_output_format(LEGACY_OUTPUT_FORMAT)
        description = f"A {age.replace('_', '-')} {gender} voice with a {accent} accent"
        previews = await self._store_previews(
            [voice], description, text, fmt, target_lufs(LEGACY_LOUDNESS), seed, METHOD, False
        )
        await self.registry.run(self.history.record_usage, len(text), DEFAULT_MODEL, None, key_id)
        return Design(previews, text, fmt, traits, seed, len(text), METHOD)

    async def _store_previews(
        self,
        voices: list[DesignedVoice],
        description: str,
        text: str,
        fmt: OutputFormat,
        lufs: float,
        seed: int,
        engine: str,
        stream_previews: bool,
    ) -> list[Preview]:
        """Render the voices' previews (unless they wait to be streamed) and keep them for a day."""
        now = int(time.time())
        await self.registry.run(self.previews.expire, now - PREVIEW_TTL_SECONDS)
        previews, rows, blobs = [], [], {}
        for index, voice in enumerate(voices):
            preview = Preview(new_id(), b"", 0.0)
            design = {**asdict(voice), "target_lufs": lufs}
            if engine == PARLER:
                design["parler_seed"] = (seed + index) % 2**31
            blob_key = None
            if not stream_previews:
                samples, rate = await self._render(design, description, text)
                preview.audio = await self.registry.run(encode, samples, rate, fmt)
                preview.duration_secs = len(samples) / rate
                blob_key = self._blob_key(preview.generated_voice_id, fmt)
                blobs[blob_key] = preview.audio
            previews.append(preview)
            rows.append(
                VoicePreview(
                    generated_voice_id=preview.generated_voice_id,
                    created_at_unix=now,
                    voice_description=description,
                    text=text,
                    design=design,
                    output_format=fmt.name,
                    audio_blob_key=blob_key,
                    duration_secs=preview.duration_secs if blob_key else None,
                )
            )
        await self.registry.run(self.previews.add, rows, blobs)
        return previews

    def _engines(self) -> set[str]:
        engines = {name for name in (KOKORO, PIPER) if self.registry.has_engine(name)}
        if not engines:
            raise _engine_missing("Voice design needs the kokoro or piper engine, and neither is installed.")
        return engines

    async def preview_audio(self, generated_voice_id: str) -> tuple[bytes, str]:
        """A preview's audio and media type; one made with `stream_previews` is rendered now, and kept."""
        preview = self._preview(generated_voice_id)
        fmt = stored_format(preview.output_format)
        if preview.audio_blob_key is not None:
            return await self.registry.run(self.previews.audio, preview), fmt.media_type
        samples, rate = await self._render(preview.design, preview.voice_description, preview.text)
        audio = await self.registry.run(encode, samples, rate, fmt)
        key = self._blob_key(generated_voice_id, fmt)
        await self.registry.run(self.previews.set_audio, generated_voice_id, key, audio, len(samples) / rate)
        return audio, fmt.media_type

    async def save(
        self, generated_voice_id: str, name: str, description: str, labels: dict[str, str | None] | None
    ) -> str:
        """Store the preview's voice as a `generated` voice; its voice_id. The description's labels come
        first, the request's own labels override them."""
        preview = self._preview(generated_voice_id)
        voice_id = new_id()
        given = {key: value for key, value in (labels or {}).items() if value is not None}
        spec, made = preview.design["spec"], None
        if "parler_seed" in preview.design:
            # A Parler voice exists only in its preview: the local engines' closest voice to it is kept.
            speech = await self._preview_speech(preview)
            async with self.registry.reserve("speaker"):
                reference = await self.registry.run(self.matcher.reference, [speech])
                cloned = await self.registry.run(self.matcher.match, reference)
            spec, made = spec_json(cloned), speaker_data(cloned, reference)
        row = Voice(
            voice_id=voice_id,
            name=name,
            category="generated",
            description=description,
            labels={**preview.design["labels"], **given},
            engine_spec=spec,
            speaker_data=made,
            created_at_unix=int(time.time()),
        )
        await self.registry.run(self.voices.repository.add, row, [])
        # The voice keeps the preview's delivery: as steady or as lively as the description asked.
        stability = StoredVoiceSettings(stability=round(1.0 - preview.design["variation"], 2))
        await self.registry.run(self.voices.save_settings, voice_id, stability)
        return voice_id

    async def _preview_speech(self, preview: VoicePreview) -> np.ndarray:
        """The preview's audio at the speaker encoders' rate: the stored one where it can be read back,
        else rendered now (never streamed, or telephone codecs FFmpeg cannot read without a header)."""
        fmt = stored_format(preview.output_format)
        if preview.audio_blob_key is not None and fmt.codec not in ("ulaw", "alaw"):
            stored = await self.registry.run(self.previews.audio, preview)
            if fmt.codec == "pcm":
                return resample(
                    decode_pcm_s16le(stored, fmt.sample_rate).samples, fmt.sample_rate, SAMPLE_RATE
                )
            return (await self.registry.run(decode, stored, SAMPLE_RATE)).samples
        samples, rate = await self._render(preview.design, preview.voice_description, preview.text)
        return resample(samples, rate, SAMPLE_RATE)

    def _preview(self, generated_voice_id: str) -> VoicePreview:
        preview = self.previews.get(generated_voice_id, int(time.time()) - PREVIEW_TTL_SECONDS)
        if preview is None:
            raise NotFound(
                f"No voice preview with generated_voice_id {generated_voice_id!r}: it does not exist or "
                f"has expired (previews are kept for {PREVIEW_TTL_SECONDS // 3600} hours). Make new previews "
                "with POST /v1/text-to-voice/design.",
                code="generated_voice_not_found",
            )
        return preview

    async def _render(self, design: dict, description: str, text: str) -> tuple[np.ndarray, int]:
        """A preview's audio: Parler-TTS's for a preview it made, else the placed voice's engine's."""
        lufs = design["target_lufs"]
        if "parler_seed" in design:
            async with self.registry.reserve(PARLER) as parler:
                samples = await self.registry.run(
                    render_parler_preview, parler, description, text, design["parler_seed"], lufs
                )
                return samples, parler.sample_rate
        voice = _designed(design)
        async with self.registry.reserve(voice.spec.engine) as synthesizer:
            samples = await self.registry.run(render_preview, synthesizer, voice, text, lufs)
            return samples, synthesizer.sample_rate

    @staticmethod
    def _blob_key(generated_voice_id: str, fmt: OutputFormat) -> str:
        return f"voice-design/{generated_voice_id}.{fmt.extension}"
