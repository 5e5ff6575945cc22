"""Forced-alignment response (`ForcedAlignmentResponseModel` and its parts), names verbatim from the spec."""

from __future__ import annotations

from pydantic import BaseModel, Field


class ForcedAlignmentCharacterResponseModel(BaseModel):
    text: str = Field(description="The character that was transcribed.")
    start: float = Field(description="The start time of the character in seconds.")
    end: float = Field(description="The end time of the character in seconds.")


class ForcedAlignmentWordResponseModel(BaseModel):
    text: str = Field(description="The word that was transcribed.")
    start: float = Field(description="The start time of the word in seconds.")
    end: float = Field(description="The end time of the word in seconds.")
    loss: float = Field(
        description="How poorly the word matches the audio, 0 being perfect and 10 meaning it could not be "
        "aligned. English (pocketsphinx): nats per 10 ms frame below the acoustic model's best state (spoken "
        "words mostly 0.5-3.5, words the audio lacks 3-10). Other languages (Whisper): mean negative "
        "log-probability of the word's tokens in nats (spoken words mostly 0-3, words the audio lacks 6-10)."
    )


class ForcedAlignmentResponseModel(BaseModel):
    characters: list[ForcedAlignmentCharacterResponseModel]
    words: list[ForcedAlignmentWordResponseModel]
    loss: float = Field(description="The mean of the words' losses.")
