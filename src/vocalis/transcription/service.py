"""Speech-to-text requests: model choice, recognition, Scribe-style words, speakers, events and exports.

Recognition runs in the engine pool; the recognizer's segments are consumed as they come, so progress can
be reported while a long file is transcribed. A multichannel request transcribes each channel on its own,
as the one speaker of that channel.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from vocalis.engines.protocols import RecognitionOptions, RecognizedWord, Transcription
from vocalis.engines.registry import EngineRegistry
from vocalis.errors import InvalidRequest
from vocalis.transcription.languages import iso639_1, iso639_3
from vocalis.transcription.model import TranscriptCharacter, TranscriptResult, TranscriptWord

SAMPLE_RATE = 16000
MAX_SPEAKERS = 32
ENGLISH_ENGINE = "whisper-tiny.en"
MULTILINGUAL_ENGINE = "whisper-base"
# Public model ids and the engine each one names; scribe ids choose by language.
STT_MODELS = {
    "scribe_v1": None,
    "scribe_v1_experimental": None,
    "scribe_v2": None,
    "whisper-tiny.en": ENGLISH_ENGINE,
    "whisper-base": MULTILINGUAL_ENGINE,
}
# Whisper writes non-speech sounds as bracketed captions: "(laughs)", "[MUSIC]", "*applause*".
_EVENT = re.compile(r"^\s*[\(\[\*]\s*([^\)\]\*]{2,40}?)\s*[\)\]\*]\s*$")
ProgressCallback = Callable[[float], None]
# Stretches without words at least this long are listened to again for sounds like music or applause
# (shorter ones are mostly pauses between sentences, and each re-listening costs a decoding pass).
MIN_EVENT_GAP_SECONDS = 3.0
MAX_EVENT_GAPS = 200
MAX_CHANNELS = 5  # ElevenLabs' limit for use_multi_channel
MULTICHANNEL_OUTPUT_STYLES = ("separate", "combined")


@dataclass
class TranscriptionRequest:
    model_id: str
    language_code: str | None = None
    tag_audio_events: bool = True
    num_speakers: int | None = None
    timestamps_granularity: str = "word"
    diarize: bool = False
    diarization_threshold: float | None = None
    temperature: float | None = None
    seed: int | None = None
    use_multi_channel: bool = False
    multichannel_output_style: str = "separate"
    extra: dict = field(default_factory=dict)


def validate_request(request: TranscriptionRequest) -> None:
    if request.model_id not in STT_MODELS:
        raise InvalidRequest(
            f"model_id {request.model_id!r} is not a speech-to-text model here; "
            f"use one of {', '.join(STT_MODELS)}.",
            code="model_not_found",
        )
    if request.num_speakers is not None and not 1 <= request.num_speakers <= MAX_SPEAKERS:
        raise InvalidRequest(f"num_speakers must be between 1 and {MAX_SPEAKERS}.", code="invalid_parameters")
    if request.timestamps_granularity not in {"none", "word", "character"}:
        raise InvalidRequest(
            "timestamps_granularity must be none, word or character.", code="invalid_parameters"
        )
    if request.temperature is not None and not 0.0 <= request.temperature <= 2.0:
        raise InvalidRequest("temperature must be between 0 and 2.", code="invalid_parameters")
    if request.diarization_threshold is not None and not 0.0 < request.diarization_threshold < 1.0:
        raise InvalidRequest("diarization_threshold must be between 0 and 1.", code="invalid_parameters")
    if request.language_code is not None and iso639_1(request.language_code) is None:
        raise InvalidRequest(
            f"language_code {request.language_code!r} is not a known ISO-639-1 or ISO-639-3 code.",
            code="invalid_language_code",
        )
    if request.multichannel_output_style not in MULTICHANNEL_OUTPUT_STYLES:
        raise InvalidRequest(
            "multichannel_output_style must be 'separate' or 'combined'.", code="invalid_parameters"
        )
    if request.use_multi_channel:
        _validate_multichannel(request)


def validate_channels(channels: int) -> None:
    if channels > MAX_CHANNELS:
        raise InvalidRequest(
            f"The audio has {channels} channels; use_multi_channel supports at most {MAX_CHANNELS}. "
            "Mix it down to fewer channels, or send it without use_multi_channel.",
            code="too_many_channels",
        )


def _validate_multichannel(request: TranscriptionRequest) -> None:
    """Multichannel mode takes each channel as one speaker, so speaker options have nothing to act on."""
    if request.diarize:
        raise InvalidRequest(
            "diarize cannot be used with use_multi_channel: each channel is taken as one speaker "
            "(channel 0 is speaker_0, channel 1 speaker_1, ...). Send diarize=false.",
            code="invalid_parameters",
        )
    if request.num_speakers is not None:
        raise InvalidRequest(
            "num_speakers cannot be used with use_multi_channel: the speaker count is the channel count.",
            code="invalid_parameters",
        )
    if request.multichannel_output_style == "combined" and request.timestamps_granularity == "none":
        raise InvalidRequest(
            "multichannel_output_style=combined orders the channels' words by time, so it needs "
            "timestamps_granularity 'word' or 'character'.",
            code="invalid_parameters",
        )


# Captions Whisper gives to plain silence; they are not events.
_SILENCE_CAPTIONS = {"blank_audio", "silence", "no audio", "no speech", "blank"}


def _is_event(text: str) -> str | None:
    match = _EVENT.match(text)
    if match is None:
        return None
    caption = match.group(1).strip().lower()
    return None if caption in _SILENCE_CAPTIONS else f"({caption})"


def scribe_words(
    recognized: list[RecognizedWord], *, tag_audio_events: bool, granularity: str
) -> list[TranscriptWord]:
    """Whisper words → Scribe `words[]`: words and audio events with `spacing` entries between them."""
    tokens: list[TranscriptWord] = []
    for item in recognized:
        text = item.text.strip()
        if not text:
            continue
        event = _is_event(text)
        if event is not None and not tag_audio_events:
            continue
        tokens.append(
            TranscriptWord(
                text=event or text,
                start=item.start,
                end=max(item.end, item.start),
                type="audio_event" if event else "word",
                logprob=math.log(max(item.probability, 1e-6)),
            )
        )
    words = _spaced(tokens)
    if granularity == "character":
        for word in words:
            step = (word.end - word.start) / max(len(word.text), 1)
            word.characters = [
                TranscriptCharacter(character, word.start + i * step, word.start + (i + 1) * step)
                for i, character in enumerate(word.text)
            ]
    return words


def _spaced(tokens: list[TranscriptWord]) -> list[TranscriptWord]:
    """Words and events with a `spacing` entry between each two, spanning the pause and belonging to the
    speaker and channel of the entry before it."""
    words: list[TranscriptWord] = []
    for token in tokens:
        if words:
            previous = words[-1]
            words.append(
                TranscriptWord(
                    " ",
                    previous.end,
                    max(previous.end, token.start),
                    "spacing",
                    speaker_id=previous.speaker_id,
                    channel_index=previous.channel_index,
                )
            )
        words.append(token)
    return words


def combine_channels(results: list[TranscriptResult]) -> TranscriptResult:
    """The channels' transcripts as one (`multichannel_output_style=combined`): words and events of every
    channel ordered by start time, each keeping its `channel_index` and speaker. The language is that of the
    channel with the most words."""
    tokens = sorted(
        (word for result in results for word in result.words if word.type != "spacing"),
        key=lambda word: (word.start, word.channel_index),
    )
    words = _spaced(tokens)
    main = max(results, key=lambda result: sum(word.type == "word" for word in result.words))
    return TranscriptResult(
        language_code=main.language_code,
        language_probability=main.language_probability,
        text="".join(word.text for word in words),
        words=words,
        duration=max(result.duration for result in results),
    )


class TranscriptionService:
    def __init__(self, registry: EngineRegistry):
        self.registry = registry

    def engine_for(self, request: TranscriptionRequest) -> str:
        """A named model, else tiny.en for English (fastest) and base (which also detects) otherwise."""
        named = STT_MODELS[request.model_id]
        if named is not None:
            return named
        english = request.language_code is not None and iso639_1(request.language_code) == "en"
        return ENGLISH_ENGINE if english and self.registry.has_engine(ENGLISH_ENGINE) else MULTILINGUAL_ENGINE

    async def transcribe(
        self, audio: np.ndarray, request: TranscriptionRequest, progress: ProgressCallback | None = None
    ) -> TranscriptResult:
        validate_request(request)
        duration = len(audio) / SAMPLE_RATE
        language = iso639_1(request.language_code) if request.language_code else None
        engine = self.engine_for(request)
        options = RecognitionOptions(
            language=language,
            word_timestamps=True,
            temperature=request.temperature,
            seed=request.seed,
        )
        async with self.registry.reserve(engine) as recognizer:
            transcription = await self.registry.run(recognizer.transcribe, audio, options)
            recognized = await self.registry.run(_collect, transcription, duration, progress)
        language = language or transcription.language
        probability = 1.0 if request.language_code else transcription.language_probability
        if request.tag_audio_events:
            recognized = await self._with_audio_events(audio, recognized, engine, language)
        words = scribe_words(
            recognized, tag_audio_events=request.tag_audio_events, granularity=request.timestamps_granularity
        )
        if request.diarize and any(word.type == "word" for word in words):
            await self._diarize(audio, words, request)
        text = "".join(word.text for word in words)
        return TranscriptResult(
            language_code=iso639_3(language) or language,
            language_probability=round(float(probability), 4),
            text=text,
            words=words,
            duration=duration,
        )

    async def transcribe_channels(
        self,
        channel_audio: Callable[[int], np.ndarray],
        channels: int,
        request: TranscriptionRequest,
        progress: ProgressCallback | None = None,
    ) -> list[TranscriptResult]:
        """One transcript per channel, each channel taken as one speaker: every entry of channel n gets
        `speaker_n` and `channel_index` n.

        `channel_audio(n)` gives channel n's samples at SAMPLE_RATE; it runs in the engine pool. Channels
        are decoded and transcribed one after another, so memory holds one channel at a time whatever the
        channel count; `progress` runs from 0 to 1 over all of them.
        """
        validate_channels(channels)
        results = []
        for index in range(channels):
            audio = await self.registry.run(channel_audio, index)
            report = None if progress is None else _channel_progress(progress, index, channels)
            result = await self.transcribe(audio, request, progress=report)
            del audio  # before the next channel is decoded
            result.channel_index = index
            for word in result.words:
                word.speaker_id, word.channel_index = f"speaker_{index}", index
            results.append(result)
        return results

    async def _with_audio_events(
        self, audio: np.ndarray, recognized: list[RecognizedWord], engine: str, language: str | None
    ) -> list[RecognizedWord]:
        """Caption the stretches without words ("(music)", "(applause)") and merge them in by time.

        Speech is recognized with the VAD gate and symbols suppressed, which keeps words clean; the gaps
        between words are then listened to again with captions allowed, and only captions are kept.
        """
        duration = len(audio) / SAMPLE_RATE
        edges = [0.0, *(t for word in recognized for t in (word.start, word.end)), duration]
        gaps = [(a, b) for a, b in zip(edges[::2], edges[1::2]) if b - a >= MIN_EVENT_GAP_SECONDS]
        if not gaps:
            return recognized
        events: list[RecognizedWord] = []
        options = RecognitionOptions(
            language=language or "en", word_timestamps=False, vad=False, audio_events=True
        )
        async with self.registry.reserve(engine) as recognizer:
            for start, end in gaps[:MAX_EVENT_GAPS]:
                clip = audio[int(start * SAMPLE_RATE) : int(end * SAMPLE_RATE)]
                transcription = await self.registry.run(recognizer.transcribe, clip, options)
                for segment in await self.registry.run(list, transcription.segments):
                    caption = _is_event(segment.text)
                    if caption is not None:
                        events.append(
                            RecognizedWord(caption, start + segment.start, min(start + segment.end, end), 1.0)
                        )
        return sorted([*recognized, *events], key=lambda word: word.start)

    async def _diarize(
        self, audio: np.ndarray, words: list[TranscriptWord], request: TranscriptionRequest
    ) -> None:
        from vocalis.engines.vad import SileroVad
        from vocalis.transcription.diarization import assign_speakers, diarize

        speech = await self.registry.run(SileroVad().speech_segments, audio)
        async with self.registry.reserve("speaker") as encoder:
            turns = await self.registry.run(
                lambda: diarize(
                    audio,
                    speech,
                    encoder,
                    num_speakers=request.num_speakers,
                    threshold=request.diarization_threshold,
                )
            )
        speakers = assign_speakers([(word.start, word.end) for word in words], turns)
        for word, speaker in zip(words, speakers, strict=True):
            word.speaker_id = f"speaker_{speaker}" if speaker is not None else None


def _channel_progress(progress: ProgressCallback, index: int, channels: int) -> ProgressCallback:
    return lambda done: progress((index + done) / channels)


def _collect(
    transcription: Transcription, duration: float, progress: ProgressCallback | None
) -> list[RecognizedWord]:
    """Drain the lazy segments (in the engine pool), reporting progress by the audio time reached."""
    words: list[RecognizedWord] = []
    for segment in transcription.segments:
        words.extend(segment.words)
        if progress is not None and duration > 0:
            progress(min(segment.end / duration, 1.0))
    if progress is not None:
        progress(1.0)
    return words
