"""A context of the Text-to-Dialogue sockets: a `SpeechContext` whose text arrives as lines of several voices.

A context registers up to ten voices when it opens, and each input names one of them. An input in another
voice, or one marked `new_turn`, ends the turn: its buffered text is generated and its audio completed, and
the next turn starts after the same short gap as the HTTP dialogue's lines, resampled to the rate of the
engine that spoke first, so one encoder carries every voice. Within a turn text is buffered as on the TTS
sockets, but generation starts once about 40 characters are in, as ElevenLabs' dialogue sockets do.

The server's messages use the dialogue sockets' snake_case fields: `audio` with `alignment` {chars,
char_start_times_ms, char_durations_ms} when the socket asked for `sync_alignment`; `is_final_audio_for_turn`
once the audio of a turn (or of a flush) has all been sent; `is_final` when the context ends.
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, BinaryIO

from vocalis.audio import resample
from vocalis.dialogue import service as dialogue
from vocalis.dialogue.service import MAX_VOICES, PreparedDialogue, turn_gap
from vocalis.errors import NotFound
from vocalis.realtime.context import Chunk, SpeechContext
from vocalis.realtime.protocol import CLOSE_INVALID_PAYLOAD, SocketError, alignment_ms
from vocalis.schemas.text_to_dialogue import DEFAULT_DIALOGUE_MODEL
from vocalis.speech.alignment import Alignment
from vocalis.speech.service import SpeechResult, SpeechService
from vocalis.speech.synthesis import SpeechPiece

# ElevenLabs' dialogue sockets start generating at roughly 40 characters (pipecat's notes on the protocol).
DIALOGUE_SCHEDULE = (40,)


@dataclass(frozen=True)
class DialogueLine:
    """One element of a message's `inputs`."""

    text: str
    voice_id: str
    new_turn: bool


def voices_field(message: dict[str, Any]) -> list[str]:
    """The `voices` a context registers: required on its first message, 1 to 10 voice ids."""
    voices = message.get("voices")
    if voices is None:
        raise SocketError(
            "The first message of a dialogue context must register its voices, e.g. "
            '{"voices": ["<voice_id>", "<voice_id>"]}; every input then names one of them.',
            error="invalid_message",
            param="voices",
        )
    if not isinstance(voices, list) or not voices or not all(isinstance(v, str) and v for v in voices):
        raise SocketError(
            "voices must be a non-empty list of voice ids.",
            error="invalid_message",
            code=CLOSE_INVALID_PAYLOAD,
            param="voices",
        )
    voices = list(dict.fromkeys(voices))
    if len(voices) > MAX_VOICES:
        raise SocketError(
            f"voices lists {len(voices)} different voices; a dialogue context can have at most {MAX_VOICES}.",
            error="too_many_voices",
            param="voices",
        )
    return voices


def inputs_field(message: dict[str, Any]) -> list[DialogueLine]:
    value = message.get("inputs")
    if value is None:
        return []
    if not isinstance(value, list):
        raise SocketError(
            "inputs must be a list of {text, voice_id, new_turn} objects.",
            error="invalid_message",
            code=CLOSE_INVALID_PAYLOAD,
            param="inputs",
        )
    lines = []
    for index, item in enumerate(value):
        if (
            not isinstance(item, dict)
            or not isinstance(item.get("text"), str)
            or not isinstance(item.get("voice_id"), str)
            or not isinstance(item.get("new_turn", False), bool | None)
        ):
            raise SocketError(
                f"inputs[{index}] must be an object with text (a string), voice_id (a string) and optionally "
                "new_turn (a boolean).",
                error="invalid_message",
                code=CLOSE_INVALID_PAYLOAD,
                param="inputs",
            )
        lines.append(DialogueLine(item["text"], item["voice_id"], bool(item.get("new_turn"))))
    return lines


class DialogueContext(SpeechContext):
    default_model_id = DEFAULT_DIALOGUE_MODEL
    default_schedule = DIALOGUE_SCHEDULE

    def __init__(self, speech: SpeechService, *, voices: list[str], **kwargs: Any):
        self.voices = voices
        self.sample_rate = 0  # the dialogue's rate: the first engine's; later engines are resampled to it
        self._turn_open = False  # whether the current turn has had input
        for voice_id in voices:
            try:
                speech.voices.get(voice_id)
            except NotFound as error:
                raise SocketError(error.message, error=error.code, param="voices") from None
        super().__init__(speech, voice_id=voices[0], **kwargs)

    def add_inputs(self, lines: list[DialogueLine]) -> None:
        for index, line in enumerate(lines):
            if line.voice_id not in self.voices:
                raise SocketError(
                    f"inputs[{index}].voice_id {line.voice_id!r} is not one of this context's voices "
                    f"({', '.join(self.voices)}); register every voice in the context's first message.",
                    error="voice_not_registered",
                    param="inputs",
                )
        for line in lines:
            if self._turn_open and (line.new_turn or line.voice_id != self.voice_id):
                self.flush()
                self.turn += 1
            self.voice_id = line.voice_id
            self._turn_open = True
            self.add_text(line.text)

    async def _pieces(self, item: Chunk, start: float) -> AsyncIterator[SpeechPiece]:
        offset = 0.0
        if start > 0 and item.turn != self._line_turn:
            gap = turn_gap(0.0, self.sample_rate)
            offset = len(gap.audio) / self.sample_rate
            yield gap
        async for piece in super()._pieces(item, start):
            self.sample_rate = self.sample_rate or piece.sample_rate
            yield SpeechPiece(
                resample(piece.audio, piece.sample_rate, self.sample_rate),
                self.sample_rate,
                piece.alignment.shifted(offset),
                piece.normalized_alignment.shifted(offset),
            )

    def _audio_message(self, data: bytes, alignment: Alignment, normalized: Alignment, start: float) -> dict:
        # `normalized_alignment` is "reserved for future use" in the SDK's model: ElevenLabs does not send it.
        message: dict[str, Any] = {"audio": base64.b64encode(data).decode()}
        if self.options.sync_alignment and alignment.characters:
            starts, durations = alignment_ms(alignment, start)
            message["alignment"] = {
                "chars": list(alignment.characters),
                "char_start_times_ms": starts,
                "char_durations_ms": durations,
            }
        return self._in_context(message)

    def _final_message(self) -> dict:
        return self._in_context({"is_final": True})

    async def _flushed(self) -> None:
        await self._emit(self._in_context({"is_final_audio_for_turn": True}))

    def _in_context(self, message: dict[str, Any]) -> dict[str, Any]:
        if self.context_id is not None:
            message["context_id"] = self.context_id
        return message

    async def _record(self, encoded: BinaryIO, history: SpeechResult) -> None:
        """The context is one dialogue in history, a line per turn."""
        first = self.lines[0]
        record = PreparedDialogue(
            request_id=first.request_id,
            history_item_id=first.history_item_id,
            model=first.model,
            output_format=first.output_format,
            lines=self.lines,
            settings=self.voice_settings.model_dump(exclude_none=True) if self.voice_settings else {},
            enable_logging=self.options.enable_logging,
            key_id=self.key_id,
        )
        await self.speech.registry.run(dialogue.record, self.speech, record, encoded, history)
