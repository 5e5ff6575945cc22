"""Voice changer requests (`/v1/speech-to-speech/{voice_id}`, and `/v1/voice-changer/{voice_id}` where the
SDK sends them): the limits of the docs, the engine that serves them, background-noise removal, the encoded
output, history and usage.

The request's model picks the engine: OpenVoice v2's converter once its weights are pulled
(`conversion.py`), else offline re-voicing (`revoice.py`). Both keep the input's words and timing, give audio
exactly as long as the input, and work a block of the input at a time, so a stream's first audio leaves
after the first block.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import AsyncIterator
from contextlib import aclosing
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np
from pydantic import ValidationError

from vocalis.audio import (
    Audio,
    AudioDecodeError,
    OutputFormat,
    decode,
    decode_pcm_s16le,
    parse_output_format,
    probe_duration,
    resample,
)
from vocalis.engines.registry import EngineRegistry, ModelInfo
from vocalis.engines.vad import SileroVad
from vocalis.errors import InvalidRequest
from vocalis.isolation.service import ENGINES as ISOLATION_ENGINES
from vocalis.schemas.common import VoiceSettings
from vocalis.speech.alignment import Alignment
from vocalis.speech.service import SpeechResult, SpeechService, encode_stream
from vocalis.speech.synthesis import SpeechPiece
from vocalis.store.history import HistoryRepository
from vocalis.store.ids import new_id
from vocalis.transcription.service import TranscriptionService
from vocalis.voice_changer import revoice
from vocalis.voice_changer.conversion import ConversionJob, Converter
from vocalis.voice_changer.revoice import RevoiceJob, Revoicer
from vocalis.voices.library import LibraryVoice

DEFAULT_MODEL = "eleven_english_sts_v2"  # the spec's default
OPENVOICE = "openvoice-v2"
REVOICE = "revoice"  # the `x-vocalis-engine` of offline re-voicing
# The docs: files under 50 MB, "each under 5 minutes".
MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_DURATION_SECONDS = 300.0
CHARACTERS_PER_MINUTE = 1000  # "1000 characters' worth of usage per minute of processed audio"
PCM_FILE_FORMAT = "pcm_s16le_16"  # headerless 16-bit little-endian mono at 16 kHz, per the spec
PCM_RATE = 16000
MAX_SEED = 4294967295
DEFAULT_STABILITY = 0.5
ISOLATION_CHUNK_SECONDS = 0.5


@dataclass
class VoiceChangeInput:
    """The request as sent: the form fields of the spec and its query parameters."""

    audio: BinaryIO
    size: int | None
    model_id: str | None = None
    voice_settings: str | None = None
    seed: int | None = None
    remove_background_noise: bool = False
    file_format: str | None = None
    output_format: str = "mp3_44100_128"
    optimize_streaming_latency: int | None = None
    enable_logging: bool = True


@dataclass
class VoiceChange:
    """A checked request: the decoded input, the voice and model, and the engine that will serve it."""

    request_id: str
    history_item_id: str
    audio: Audio
    voice: LibraryVoice
    model: ModelInfo
    engine: str  # OPENVOICE or REVOICE
    output_format: OutputFormat
    voice_settings: VoiceSettings | None
    settings: dict
    seed: int | None
    isolation_engine: str | None  # removes background noise first when set
    enable_logging: bool
    key_id: str | None
    # The serving engine's load when the request was admitted, this one included (concurrency headers).
    concurrent_requests: int
    max_concurrent_requests: int

    @property
    def characters(self) -> int:
        return math.ceil(self.audio.duration_seconds / 60 * CHARACTERS_PER_MINUTE)


class VoiceChangerService:
    def __init__(
        self,
        speech: SpeechService,
        transcription: TranscriptionService,
        history: HistoryRepository,
        isolation_engine: str,
    ):
        self.speech = speech
        self.registry: EngineRegistry = speech.registry
        self.voices = speech.voices
        self.history = history
        self.isolation_engine = isolation_engine
        self.revoicer = Revoicer(speech, transcription)
        self.converter = Converter(speech, OPENVOICE)

    async def prepare(self, voice_id: str, given: VoiceChangeInput, key_id: str | None) -> VoiceChange:
        """Check the request (4xx errors the user can act on), decode the input and admit it to its engine
        (429 when full)."""
        voice = self.voices.get(voice_id)
        if voice.unavailable:  # a professional voice not trained yet, refused as text to speech does
            raise InvalidRequest(voice.unavailable, code="voice_not_fine_tuned")
        model = self.registry.conversion_model(given.model_id or DEFAULT_MODEL)
        try:
            output_format = parse_output_format(given.output_format)
        except ValueError as error:
            raise InvalidRequest(str(error), code="invalid_output_format") from error
        voice_settings = _voice_settings(given.voice_settings)
        if given.seed is not None and not 0 <= given.seed <= MAX_SEED:
            raise InvalidRequest(f"seed must be an integer from 0 to {MAX_SEED}.", code="invalid_parameters")
        latency = given.optimize_streaming_latency
        if latency is not None and not 0 <= latency <= 4:
            raise InvalidRequest(
                "optimize_streaming_latency must be an integer from 0 to 4.", code="invalid_parameters"
            )
        isolation_engine = self._isolation_engine() if given.remove_background_noise else None
        audio = await self._decoded(given)
        engine = OPENVOICE if model.engine == OPENVOICE else REVOICE
        current, maximum = self.registry.admit(OPENVOICE if engine == OPENVOICE else voice.spec.engine)
        settings = self.speech.merged_settings(voice.voice_id, voice_settings)
        return VoiceChange(
            request_id=uuid.uuid4().hex,
            history_item_id=new_id(),
            audio=audio,
            voice=voice,
            model=model,
            engine=engine,
            output_format=output_format,
            voice_settings=voice_settings,
            settings={key: value for key, value in settings.__dict__.items() if value is not None},
            seed=given.seed,
            isolation_engine=isolation_engine,
            enable_logging=given.enable_logging,
            key_id=key_id,
            concurrent_requests=current,
            max_concurrent_requests=maximum,
        )

    def _isolation_engine(self) -> str:
        """The server's voice isolator, else any installed one."""
        installed = [name for name in ISOLATION_ENGINES if self.registry.has_engine(name)]
        if not installed:
            raise InvalidRequest(
                "remove_background_noise needs a voice isolation engine (deepfilternet3 or rnnoise); none is "
                "installed.",
                code="invalid_parameters",
            )
        return self.isolation_engine if self.isolation_engine in installed else installed[0]

    async def _decoded(self, given: VoiceChangeInput) -> Audio:
        size = given.size
        if size is None:
            size = given.audio.seek(0, 2)
            given.audio.seek(0)
        if size == 0:
            raise InvalidRequest("The uploaded audio file is empty.", code="invalid_audio")
        if size > MAX_FILE_BYTES:
            raise InvalidRequest(
                f"The file has {size} bytes; the voice changer takes files under 50 MB. Split it into parts.",
                code="file_too_large",
            )
        try:
            if given.file_format == PCM_FILE_FORMAT:
                audio = decode_pcm_s16le(given.audio.read(), PCM_RATE)
            else:
                # The container's duration first: a long file is refused before it is decoded.
                _check_duration(await self.registry.run(probe_duration, given.audio))
                audio = await self.registry.run(decode, given.audio)
        except AudioDecodeError as error:
            raise InvalidRequest(
                f"The file could not be read as audio: {error}", code="invalid_audio"
            ) from None
        _check_duration(audio.duration_seconds)
        return audio

    # Processing ---------------------------------------------------------------------------------------
    async def _audio(self, change: VoiceChange) -> AsyncIterator[SpeechPiece]:
        """The converted audio, block by block, as pieces for the encoder."""
        audio = change.audio
        if change.isolation_engine is not None:
            audio = await self._isolated(audio, change.isolation_engine)
        heard = await self.registry.run(resample, audio.samples, audio.sample_rate, revoice.RATE)
        speech = await self.registry.run(SileroVad().speech_segments, heard)
        stability = change.settings.get("stability", DEFAULT_STABILITY)
        if change.engine == OPENVOICE:
            rate = (await self.registry.run(self.registry.engine, OPENVOICE)).sample_rate
            blocks = self.converter.convert(
                ConversionJob(audio.samples, audio.sample_rate, speech, change.voice, stability, change.seed)
            )
        else:
            rate = (await self.registry.run(self.registry.engine, change.voice.spec.engine)).sample_rate
            blocks = self.revoicer.speak(
                RevoiceJob(
                    audio=heard,
                    speech=speech,
                    voice_id=change.voice.voice_id,
                    sample_rate=rate,
                    recognizer=change.model.engine,
                    voice_settings=change.voice_settings,
                    seed=change.seed,
                )
            )
        async with aclosing(blocks):
            async for block in blocks:
                yield SpeechPiece(block, rate, Alignment(), Alignment())

    async def _isolated(self, audio: Audio, engine: str) -> Audio:
        """The input with its background noise removed by the voice isolator."""
        async with self.registry.reserve(engine) as enhancer:
            rate = enhancer.sample_rate
            samples = await self.registry.run(resample, audio.samples, audio.sample_rate, rate)
            step = round(ISOLATION_CHUNK_SECONDS * rate)
            chunks = (samples[start : start + step] for start in range(0, len(samples), step))
            enhanced = await self.registry.run(lambda: np.concatenate([*enhancer.enhance(chunks)]))
        return Audio(enhanced.astype(np.float32, copy=False), rate)

    async def stream(self, change: VoiceChange) -> AsyncIterator[bytes]:
        """The encoded output as blocks are done; usage and history are recorded once all of it went out."""

        async def finish(encoded: BinaryIO, _result: SpeechResult) -> None:
            await self.registry.run(self._record, change, encoded)

        encoded = encode_stream(
            self._audio(change), change.output_format, keep_copy=change.enable_logging, finish=finish
        )
        async with aclosing(encoded):
            async for _piece, data in encoded:
                if data:
                    yield data

    async def started(self, change: VoiceChange) -> AsyncIterator[bytes]:
        """`stream`, its first bytes already made: a failure in the first block (speech in a language the
        engine cannot speak, an engine that cannot load) is then an error response, not a cut stream."""
        chunks = self.stream(change)
        first = await anext(chunks, b"")

        async def resumed() -> AsyncIterator[bytes]:
            async with aclosing(chunks):  # a client that leaves stops the work and frees the engines
                yield first
                async for data in chunks:
                    yield data

        return resumed()

    async def render(self, change: VoiceChange) -> bytes:
        return b"".join([data async for data in self.stream(change)])

    def _record(self, change: VoiceChange, encoded: BinaryIO) -> None:
        before = self.history.total_characters()
        self.history.record_usage(
            change.characters, change.model.model_id, change.voice.voice_id, change.key_id
        )
        if not change.enable_logging:
            return
        self.history.add(
            history_item_id=change.history_item_id,
            request_id=change.request_id,
            audio=encoded,
            content_type=change.output_format.media_type,
            output_format=change.output_format.name,
            text=None,
            voice_id=change.voice.voice_id,
            voice_name=change.voice.name,
            voice_category=change.voice.category,
            model_id=change.model.model_id,
            settings=change.settings,
            alignments=None,
            characters_before=before,
            source="STS",
            characters=change.characters,
        )


def _voice_settings(raw: str | None) -> VoiceSettings | None:
    if raw is None or not raw.strip():
        return None
    try:
        return VoiceSettings.model_validate_json(raw)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(map(str, problem['loc'])) or 'voice_settings'}: {problem['msg']}"
            for problem in error.errors()
        )
        raise InvalidRequest(
            f"voice_settings must be a JSON object of voice settings, e.g. "
            f'{{"stability": 0.5, "similarity_boost": 0.75}}: {problems}',
            code="invalid_voice_settings",
        ) from None


def _check_duration(seconds: float) -> None:
    if seconds > MAX_DURATION_SECONDS:
        raise InvalidRequest(
            f"The audio lasts {seconds / 60:.1f} minutes; the voice changer takes up to 5 minutes at once. "
            "Split it into shorter parts.",
            code="audio_too_long",
        )
