"""Text-to-speech requests: validation, engine choice, streamed synthesis, history and usage records."""

from __future__ import annotations

import hashlib
import tempfile
import threading
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO, TypeVar

import numpy as np

from vocalis.audio import OutputFormat, StreamingEncoder, encode, parse_output_format
from vocalis.engines.protocols import SynthesisOptions, VoiceSpec
from vocalis.engines.registry import EngineRegistry, ModelInfo
from vocalis.errors import InvalidRequest
from vocalis.pronunciation.dictionaries import Locator, PronunciationDictionaries
from vocalis.schemas.common import VoiceSettings
from vocalis.schemas.text_to_speech import TextToSpeechRequest
from vocalis.speech.alignment import Alignment
from vocalis.speech.synthesis import SpeechInput, SpeechPiece, synthesize
from vocalis.store.history import HistoryRepository
from vocalis.store.ids import new_id
from vocalis.store.voices import StoredVoiceSettings
from vocalis.voices.library import LibraryVoice, VoiceLibrary

ENGLISH_CODES = {"en", "eng"}
SPOOL_BYTES = 4 << 20
STREAM_FIRST_CHUNK_CHARS = (80, 60, 45, 30, 30)  # by optimize_streaming_latency 0..4
ZERO_SHOT_ENGINE = "chatterbox"


@dataclass
class PreparedSpeech:
    """A validated request, ready to synthesize."""

    request_id: str
    history_item_id: str
    text: str
    model: ModelInfo
    voice: LibraryVoice
    engine: str
    output_format: OutputFormat
    settings: StoredVoiceSettings
    speech_input: SpeechInput
    enable_logging: bool
    key_id: str | None
    source: str = "TTS"
    extra: dict = field(default_factory=dict)


@dataclass
class SpeechResult:
    """What a finished request produced; streams keep only the alignments so memory stays flat."""

    keep_audio: bool = True
    audio: list[np.ndarray] = field(default_factory=list)
    alignment: Alignment = field(default_factory=Alignment)
    normalized_alignment: Alignment = field(default_factory=Alignment)
    sample_rate: int = 0

    def add(self, piece: SpeechPiece) -> None:
        if self.keep_audio:
            self.audio.append(piece.audio)
        self.alignment.extend(piece.alignment)
        self.normalized_alignment.extend(piece.normalized_alignment)
        self.sample_rate = piece.sample_rate

    def samples(self) -> np.ndarray:
        return np.concatenate(self.audio) if self.audio else np.zeros(0, dtype=np.float32)


class _LockedIterator:
    """A generator stepped from worker threads; the lock keeps `close` from racing a running step."""

    def __init__(self, generator: Iterator[SpeechPiece]):
        self._generator = generator
        self._lock = threading.Lock()

    def next(self) -> SpeechPiece | None:
        with self._lock:
            return next(self._generator, None)

    def close(self) -> None:
        with self._lock:
            self._generator.close()  # type: ignore[attr-defined]


def _stable_seed(*parts: str) -> int:
    return int.from_bytes(hashlib.sha256("\x1f".join(parts).encode()).digest()[:4], "big")


class SpeechService:
    def __init__(
        self,
        registry: EngineRegistry,
        voices: VoiceLibrary,
        history: HistoryRepository,
        dictionaries: PronunciationDictionaries,
    ):
        self.registry = registry
        self.voices = voices
        self.history = history
        self.dictionaries = dictionaries

    def prepare(
        self,
        voice_id: str,
        body: TextToSpeechRequest,
        *,
        output_format: str,
        optimize_streaming_latency: int | None,
        enable_logging: bool,
        key_id: str | None,
        streaming: bool,
    ) -> PreparedSpeech:
        voice = self.voices.get(voice_id)
        if voice.unavailable:
            raise InvalidRequest(voice.unavailable, code="voice_not_fine_tuned")
        model = self.registry.model(body.model_id)
        try:
            fmt = parse_output_format(output_format)
        except ValueError as error:
            raise InvalidRequest(str(error), code="invalid_output_format") from error
        text = body.text
        if not text.strip():
            raise InvalidRequest("The text field must not be empty.", code="empty_text")
        if len(text) > model.max_characters:
            raise InvalidRequest(
                f"This request's text has {len(text)} characters and exceeds the character limit of "
                f"{model.max_characters} characters for model {model.model_id}. Split the text into several "
                "requests.",
                code="max_character_limit_exceeded",
            )
        if body.language_code is not None and body.language_code.split("-")[0].lower() not in ENGLISH_CODES:
            raise InvalidRequest(
                f"language_code {body.language_code!r} is not supported by model {model.model_id}: the local "
                "engines speak English ('en').",
                code="unsupported_language",
            )
        if optimize_streaming_latency is not None and not 0 <= optimize_streaming_latency <= 4:
            raise InvalidRequest(
                "optimize_streaming_latency must be an integer from 0 to 4.", code="invalid_parameters"
            )
        if body.apply_text_normalization == "on" and not model.normalization_can_be_forced:
            raise InvalidRequest(
                f"apply_text_normalization cannot be turned on for {model.model_id}; use 'auto' or 'off'.",
                code="invalid_parameters",
            )
        # Phoneme rules apply on every model: the local engines all speak from phonemes.
        lexicon = self.dictionaries.lexicon(
            [
                Locator(locator.pronunciation_dictionary_id, locator.version_id)
                for locator in body.pronunciation_dictionary_locators or []
            ]
        )
        settings = self.merged_settings(voice.voice_id, body.voice_settings)
        latency = optimize_streaming_latency or 0
        normalize = body.apply_text_normalization == "on" or (
            body.apply_text_normalization == "auto" and latency < 4
        )
        # Low-latency models start streams with a shorter first chunk whichever engine renders the voice.
        first_chunk_level = max(latency, 2) if model.concurrency_group == "turbo" else latency
        engine = model.engine if self.registry.has_engine(model.engine) else voice.spec.engine
        spec = voice.spec
        if engine == ZERO_SHOT_ENGINE and spec.engine != engine:
            # The zero-shot engine speaks any voice from a clip of it (VoiceReferences), named by its id.
            spec = VoiceSpec(engine, ((voice.voice_id, 1.0),), spec.speed)
        elif spec.engine != engine:
            # The model's engine cannot render this voice; its own engine serves the request instead.
            engine = spec.engine
        seed = body.seed
        if seed is None and body.previous_request_ids:
            # Stitched requests share one seed so their variation (and so their delivery) stays consistent.
            seed = _stable_seed(voice.voice_id, *body.previous_request_ids)
        options = SynthesisOptions(
            speed=float(settings.speed or 1.0) * spec.speed,
            variation=1.0 - float(settings.stability if settings.stability is not None else 0.5),
            seed=seed,
            language="en-us",
        )
        speech_input = SpeechInput(
            text=text,
            spec=spec,
            options=options,
            normalize=normalize,
            first_chunk_chars=STREAM_FIRST_CHUNK_CHARS[first_chunk_level] if streaming else None,
            continues=bool((body.next_text or "").strip() or body.next_request_ids),
            lexicon=lexicon,
        )
        return PreparedSpeech(
            request_id=uuid.uuid4().hex,
            history_item_id=new_id(),
            text=text,
            model=model,
            voice=voice,
            engine=engine,
            output_format=fmt,
            settings=settings,
            speech_input=speech_input,
            enable_logging=enable_logging,
            key_id=key_id,
        )

    def merged_settings(self, voice_id: str, voice_settings: VoiceSettings | None) -> StoredVoiceSettings:
        """The voice's saved settings with a request's `voice_settings` laid over them."""
        settings = self.voices.settings(voice_id)
        if voice_settings is not None:
            for name, value in voice_settings.model_dump(exclude_none=True).items():
                setattr(settings, name, value)
        return settings

    async def pieces(self, prepared: PreparedSpeech) -> AsyncIterator[SpeechPiece]:
        """Synthesize piece by piece in the engine pool; stopping early stops the synthesis."""
        async with self.registry.reserve(prepared.engine) as synthesizer:
            iterator = _LockedIterator(synthesize(synthesizer, prepared.speech_input))
            try:
                while True:
                    piece = await self.registry.run(iterator.next)
                    if piece is None:
                        return
                    yield piece
            finally:
                # Waits for an in-flight step (if the client left mid-piece), then ends the generator.
                await self.registry.run(iterator.close)

    def record(self, prepared: PreparedSpeech, audio: bytes | BinaryIO, result: SpeechResult) -> None:
        """Store the finished generation in history (unless logging is off) and count its characters."""
        characters = len(prepared.text)
        before = self.history.total_characters()
        self.history.record_usage(
            characters, prepared.model.model_id, prepared.voice.voice_id, prepared.key_id
        )
        if not prepared.enable_logging:
            return
        self.history.add(
            history_item_id=prepared.history_item_id,
            request_id=prepared.request_id,
            audio=audio,
            content_type=prepared.output_format.media_type,
            output_format=prepared.output_format.name,
            text=prepared.text,
            voice_id=prepared.voice.voice_id,
            voice_name=prepared.voice.name,
            voice_category=prepared.voice.category,
            model_id=prepared.model.model_id,
            settings={key: value for key, value in prepared.settings.__dict__.items() if value is not None},
            alignments={
                "alignment": result.alignment.to_json(),
                "normalized_alignment": result.normalized_alignment.to_json(),
            },
            characters_before=before,
            source=prepared.source,
        )


PieceT = TypeVar("PieceT", bound=SpeechPiece)


async def encode_stream(
    pieces: AsyncIterator[PieceT],
    output_format: OutputFormat,
    *,
    keep_copy: bool,
    finish: Callable[[BinaryIO, SpeechResult], Awaitable[None]],
) -> AsyncIterator[tuple[PieceT | None, bytes]]:
    """Yield each piece with its encoded bytes, then (None, encoder tail); once the stream was consumed to its
    end, hand the encoded copy (empty unless `keep_copy`) and the alignments to `finish`.

    The encoded copy spills to disk past a few MB, so long streams do not grow in memory.
    """
    encoder: StreamingEncoder | None = None
    result = SpeechResult(keep_audio=False)
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as encoded:
        async for piece in pieces:
            encoder = encoder or StreamingEncoder(output_format, piece.sample_rate)
            result.add(piece)
            data = encoder.encode(piece.audio)
            if keep_copy:
                encoded.write(data)
            yield piece, data
        tail = encoder.flush() if encoder is not None else b""
        encoded.write(tail)
        yield None, tail
        encoded.seek(0)
        await finish(encoded, result)  # type: ignore[arg-type]  # a spooled file is a binary file


def encoded_pieces(
    speech: SpeechService, prepared: PreparedSpeech
) -> AsyncIterator[tuple[SpeechPiece | None, bytes]]:
    """Stream one request encoded; history is written only when the stream was consumed to its end, as
    ElevenLabs requires for request stitching."""

    async def finish(encoded: BinaryIO, result: SpeechResult) -> None:
        await speech.registry.run(speech.record, prepared, encoded, result)

    return encode_stream(
        speech.pieces(prepared), prepared.output_format, keep_copy=prepared.enable_logging, finish=finish
    )


async def render_pieces(
    speech: SpeechService, pieces: AsyncIterator[PieceT], output_format: OutputFormat, result: SpeechResult
) -> bytes:
    """Collect every piece into `result` and encode the whole audio."""
    async for piece in pieces:
        result.add(piece)
    return await speech.registry.run(encode, result.samples(), result.sample_rate, output_format)


async def render(speech: SpeechService, prepared: PreparedSpeech) -> tuple[bytes, SpeechResult]:
    """Synthesize the whole request, encode it, and record it."""
    result = SpeechResult()
    audio = await render_pieces(speech, speech.pieces(prepared), prepared.output_format, result)
    await speech.registry.run(speech.record, prepared, audio, result)
    return audio, result
