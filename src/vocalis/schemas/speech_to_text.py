"""Speech-to-text responses (`SpeechToTextChunkResponseModel`, `MultichannelSpeechToTextResponseModel` and
their parts), names verbatim from the spec."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel


class SpeechToTextCharacter(BaseModel):
    text: str
    start: float | None = None
    end: float | None = None


class SpeechToTextWord(BaseModel):
    text: str
    start: float | None = None
    end: float | None = None
    type: Literal["word", "spacing", "audio_event"]
    speaker_id: str | None = None
    logprob: float
    characters: list[SpeechToTextCharacter] | None = None
    channel_index: int | None = None


class AdditionalFormat(BaseModel):
    requested_format: str
    file_extension: str
    content_type: str
    is_base64_encoded: bool
    content: str


class SpeechToTextChunkResponse(BaseModel):
    language_code: str
    language_probability: float
    text: str
    words: list[SpeechToTextWord]
    channel_index: int | None = None
    additional_formats: list[AdditionalFormat | None] | None = None
    transcription_id: str | None = None
    audio_duration_secs: float | None = None


class MultichannelSpeechToTextResponse(BaseModel):
    """`use_multi_channel=true` on audio of two or more channels: one transcript per channel."""

    transcripts: list[SpeechToTextChunkResponse]
    transcription_id: str | None = None
    audio_duration_secs: float | None = None


# What POST /v1/speech-to-text (without a webhook) and GET .../transcripts/{id} answer.
SpeechToTextResponse = SpeechToTextChunkResponse | MultichannelSpeechToTextResponse
