"""Text to Dialogue requests: each line is a TTS request of its own voice (possibly on another engine), the
lines spoken in turn with a short gap, as one audio at one sample rate.

The dialogue's `alignment` spells the lines' texts joined by one space, which lasts the gap between turns;
`voice_segments` say which voice speaks which characters when. Lines are synthesized one after another by
the TTS machinery, so a stream starts with the first line's first sentence and memory stays flat.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import aclosing
from dataclasses import dataclass, field, replace
from typing import BinaryIO

import numpy as np

from vocalis.audio import OutputFormat, parse_output_format, resample
from vocalis.engines.registry import ModelInfo
from vocalis.errors import InvalidRequest, NotFound
from vocalis.schemas.common import VoiceSettings
from vocalis.schemas.text_to_dialogue import TextToDialogueRequest
from vocalis.schemas.text_to_speech import TextToSpeechRequest
from vocalis.speech.alignment import Alignment
from vocalis.speech.service import (
    PreparedSpeech,
    SpeechResult,
    SpeechService,
    encode_stream,
    render_pieces,
)
from vocalis.speech.synthesis import SpeechPiece
from vocalis.store.ids import new_id

TURN_GAP_SECONDS = 0.3  # a relaxed hand-over between speakers, as in an unhurried conversation
TURN_SEPARATOR = " "  # joins the lines in the alignment; its one entry lasts the gap
MAX_VOICES = 10  # ElevenLabs: "The maximum number of unique voice IDs is 10."


@dataclass
class VoiceSegment:
    """Who speaks `characters[character_start_index:character_end_index]` of the alignment, and when."""

    voice_id: str
    start_time_seconds: float
    end_time_seconds: float
    character_start_index: int
    character_end_index: int
    dialogue_input_index: int

    def to_json(self) -> dict:
        return {
            "voice_id": self.voice_id,
            "start_time_seconds": round(self.start_time_seconds, 3),
            "end_time_seconds": round(self.end_time_seconds, 3),
            "character_start_index": self.character_start_index,
            "character_end_index": self.character_end_index,
            "dialogue_input_index": self.dialogue_input_index,
        }


@dataclass
class PreparedDialogue:
    """A validated dialogue: one prepared TTS request per line."""

    request_id: str
    history_item_id: str
    model: ModelInfo
    output_format: OutputFormat
    lines: list[PreparedSpeech]
    settings: dict
    enable_logging: bool
    key_id: str | None

    @property
    def text(self) -> str:
        """The text the alignment spells."""
        return TURN_SEPARATOR.join(line.text for line in self.lines)

    @property
    def engines(self) -> list[str]:
        return list(dict.fromkeys(line.engine for line in self.lines))


@dataclass
class DialoguePiece(SpeechPiece):
    """A piece of the dialogue's audio, timed in dialogue seconds; `voice_segment` is None for a gap."""

    voice_segment: VoiceSegment | None = None


@dataclass
class DialogueResult(SpeechResult):
    """A finished dialogue: the TTS result plus one voice segment per line."""

    voice_segments: list[VoiceSegment] = field(default_factory=list)

    def add(self, piece: SpeechPiece) -> None:
        super().add(piece)
        segment = piece.voice_segment if isinstance(piece, DialoguePiece) else None
        if segment is None:
            return
        last = self.voice_segments[-1] if self.voice_segments else None
        if last is not None and last.dialogue_input_index == segment.dialogue_input_index:
            last.end_time_seconds = segment.end_time_seconds
            last.character_end_index = segment.character_end_index
        else:
            self.voice_segments.append(replace(segment))


def prepare(
    speech: SpeechService,
    body: TextToDialogueRequest,
    *,
    output_format: str,
    enable_logging: bool,
    key_id: str | None,
    streaming: bool,
) -> PreparedDialogue:
    """Validate the request and prepare each line as a TTS request (4xx errors name the offending line)."""
    if not body.inputs:
        raise InvalidRequest(
            'inputs must hold at least one dialogue line, e.g. [{"text": "Hello!", "voice_id": "..."}].',
            code="invalid_parameters",
        )
    model = speech.registry.model(body.model_id)
    try:
        fmt = parse_output_format(output_format)
    except ValueError as error:
        raise InvalidRequest(str(error), code="invalid_output_format") from error
    for index, line in enumerate(body.inputs):
        if not line.text.strip():
            raise InvalidRequest(f"inputs[{index}].text must not be empty.", code="empty_text")
        try:
            speech.voices.get(line.voice_id)
        except NotFound as error:
            raise NotFound(f"inputs[{index}].voice_id: {error.message}", code=error.code) from error
    voices = {line.voice_id for line in body.inputs}
    if len(voices) > MAX_VOICES:
        raise InvalidRequest(
            f"This dialogue uses {len(voices)} different voices; at most {MAX_VOICES} are allowed per "
            "request.",
            code="too_many_voices",
        )
    characters = sum(len(line.text) for line in body.inputs)
    if characters > model.max_characters:
        raise InvalidRequest(
            f"This dialogue's lines have {characters} characters together and exceed the character limit of "
            f"{model.max_characters} characters for model {model.model_id}. Split it into several requests.",
            code="max_character_limit_exceeded",
        )
    settings = body.settings.model_dump(exclude_none=True) if body.settings else {}
    voice_settings = (
        VoiceSettings(
            stability=body.settings.stability,
            similarity_boost=body.settings.similarity,
            use_speaker_boost=body.settings.use_speaker_boost,
        )
        if body.settings
        else None
    )
    last = len(body.inputs) - 1
    lines = [
        speech.prepare(
            line.voice_id,
            TextToSpeechRequest(
                text=line.text,
                model_id=body.model_id,
                language_code=body.language_code,
                voice_settings=voice_settings,
                pronunciation_dictionary_locators=body.pronunciation_dictionary_locators,
                # Lines of one voice still differ in delivery, as takes of one actor do.
                seed=None if body.seed is None else (body.seed + index) % 2**32,
                previous_text=body.previous_text if index == 0 else None,
                next_text=body.future_text if index == last else None,
                previous_request_ids=body.previous_request_ids if index == 0 else None,
                next_request_ids=body.next_request_ids if index == last else None,
                use_pvc_as_ivc=body.use_pvc_as_ivc,
                apply_text_normalization=body.apply_text_normalization,
            ),
            output_format=output_format,
            optimize_streaming_latency=None,
            enable_logging=enable_logging,
            key_id=key_id,
            # Only the first line decides how soon a stream starts.
            streaming=streaming and index == 0,
        )
        for index, line in enumerate(body.inputs)
    ]
    return PreparedDialogue(
        request_id=uuid.uuid4().hex,
        history_item_id=new_id(),
        model=model,
        output_format=fmt,
        lines=lines,
        settings=settings,
        enable_logging=enable_logging,
        key_id=key_id,
    )


def turn_gap(at: float, sample_rate: int) -> DialoguePiece:
    """The silence between two turns, starting at `at` seconds, carrying the separator of their texts."""
    alignment = Alignment()
    alignment.add(TURN_SEPARATOR, at, at + TURN_GAP_SECONDS)
    normalized = Alignment()
    normalized.add(TURN_SEPARATOR, at, at + TURN_GAP_SECONDS)
    return DialoguePiece(
        np.zeros(round(TURN_GAP_SECONDS * sample_rate), np.float32), sample_rate, alignment, normalized
    )


async def pieces(speech: SpeechService, dialogue: PreparedDialogue) -> AsyncIterator[DialoguePiece]:
    """The dialogue's pieces in order, at the first engine's sample rate, as each line's engine makes them."""
    sample_rate = 0
    clock = 0.0  # seconds of dialogue audio so far
    characters = 0  # alignment entries so far
    for index, line in enumerate(dialogue.lines):
        if index:
            gap = turn_gap(clock, sample_rate)
            clock += len(gap.audio) / sample_rate
            characters += len(gap.alignment)
            yield gap
        line_start = clock
        # Closing the line's generator at once frees its engine slot when the client leaves mid-line.
        async with aclosing(speech.pieces(line)) as line_pieces:
            async for piece in line_pieces:
                sample_rate = sample_rate or piece.sample_rate
                audio = resample(piece.audio, piece.sample_rate, sample_rate)
                start = clock
                clock += len(audio) / sample_rate
                segment = VoiceSegment(
                    line.voice.voice_id, start, clock, characters, characters + len(piece.alignment), index
                )
                characters += len(piece.alignment)
                yield DialoguePiece(
                    audio,
                    sample_rate,
                    piece.alignment.shifted(line_start),
                    piece.normalized_alignment.shifted(line_start),
                    segment,
                )


def record(
    speech: SpeechService, dialogue: PreparedDialogue, audio: bytes | BinaryIO, result: SpeechResult
) -> None:
    """Count each line's characters for its voice; store the dialogue in history unless logging is off."""
    history = speech.history
    before = history.total_characters()
    for line in dialogue.lines:
        history.record_usage(len(line.text), dialogue.model.model_id, line.voice.voice_id, dialogue.key_id)
    if not dialogue.enable_logging:
        return
    history.add(
        history_item_id=dialogue.history_item_id,
        request_id=dialogue.request_id,
        audio=audio,
        content_type=dialogue.output_format.media_type,
        output_format=dialogue.output_format.name,
        text=dialogue.text,
        voice_id=None,
        voice_name=None,
        voice_category=None,
        model_id=dialogue.model.model_id,
        settings=dialogue.settings,
        alignments={
            "alignment": result.alignment.to_json(),
            "normalized_alignment": result.normalized_alignment.to_json(),
        },
        characters_before=before,
        dialogue=[
            {"text": line.text, "voice_id": line.voice.voice_id, "voice_name": line.voice.name}
            for line in dialogue.lines
        ],
    )


async def render(speech: SpeechService, dialogue: PreparedDialogue) -> tuple[bytes, DialogueResult]:
    """Synthesize the whole dialogue, encode it, and record it."""
    result = DialogueResult()
    audio = await render_pieces(speech, pieces(speech, dialogue), dialogue.output_format, result)
    await speech.registry.run(record, speech, dialogue, audio, result)
    return audio, result


def encoded_pieces(
    speech: SpeechService, dialogue: PreparedDialogue
) -> AsyncIterator[tuple[DialoguePiece | None, bytes]]:
    """Stream the dialogue encoded; it is recorded once the stream was consumed to its end."""

    async def finish(encoded: BinaryIO, result: SpeechResult) -> None:
        await speech.registry.run(record, speech, dialogue, encoded, result)

    return encode_stream(
        pieces(speech, dialogue), dialogue.output_format, keep_copy=dialogue.enable_logging, finish=finish
    )
