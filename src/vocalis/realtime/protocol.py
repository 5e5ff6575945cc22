"""The TTS sockets' wire format: query options, client message fields and the server's messages.

Names follow ElevenLabs' AsyncAPI (`api-asyncapi.yml`) and what the official SDK and pipecat send.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from vocalis.schemas.common import VoiceSettings
from vocalis.schemas.text_to_speech import PronunciationDictionaryLocator
from vocalis.speech.alignment import Alignment

DEFAULT_INACTIVITY_TIMEOUT = 20
MAX_INACTIVITY_TIMEOUT = 180
DEFAULT_OUTPUT_FORMAT = "mp3_44100_128"

# Close codes (RFC 6455): normal, unsupported data, invalid payload, policy, internal error.
CLOSE_NORMAL = 1000
CLOSE_UNSUPPORTED_DATA = 1003
CLOSE_INVALID_PAYLOAD = 1007
CLOSE_POLICY = 1008
CLOSE_INTERNAL_ERROR = 1011


class SocketError(Exception):
    """Ends a socket: the client gets `{"message", "error", "code"}` (and `param`, the field at fault, when
    known) and then a close with `code`."""

    def __init__(self, message: str, *, error: str, code: int = CLOSE_POLICY, param: str | None = None):
        super().__init__(message)
        self.message = message
        self.error = error
        self.code = code
        self.param = param

    def payload(self) -> dict:
        payload: dict[str, Any] = {"message": self.message, "error": self.error, "code": self.code}
        if self.param is not None:
            payload["param"] = self.param
        return payload


@dataclass(frozen=True)
class SocketOptions:
    """The query parameters both TTS sockets take."""

    model_id: str | None
    language_code: str | None
    enable_logging: bool
    enable_ssml_parsing: bool
    output_format: str
    inactivity_timeout: float
    sync_alignment: bool
    auto_mode: bool
    apply_text_normalization: str
    seed: int | None

    @classmethod
    def from_query(cls, query: dict[str, str]) -> SocketOptions:
        timeout = _integer(query, "inactivity_timeout", DEFAULT_INACTIVITY_TIMEOUT)
        if not 1 <= timeout <= MAX_INACTIVITY_TIMEOUT:
            raise SocketError(
                f"inactivity_timeout must be between 1 and {MAX_INACTIVITY_TIMEOUT} seconds; got {timeout}.",
                error="invalid_parameters",
            )
        normalization = query.get("apply_text_normalization", "auto")
        if normalization not in ("auto", "on", "off"):
            raise SocketError(
                "apply_text_normalization must be 'auto', 'on' or 'off'.", error="invalid_parameters"
            )
        seed = _integer(query, "seed", None)
        if seed is not None and not 0 <= seed <= 4294967295:
            raise SocketError("seed must be an integer from 0 to 4294967295.", error="invalid_parameters")
        return cls(
            model_id=query.get("model_id") or None,
            language_code=query.get("language_code") or None,
            enable_logging=_boolean(query, "enable_logging", True),
            enable_ssml_parsing=_boolean(query, "enable_ssml_parsing", False),
            output_format=query.get("output_format") or DEFAULT_OUTPUT_FORMAT,
            inactivity_timeout=float(timeout),
            sync_alignment=_boolean(query, "sync_alignment", False),
            auto_mode=_boolean(query, "auto_mode", False),
            apply_text_normalization=normalization,
            seed=seed,
        )


def _boolean(query: dict[str, str], name: str, default: bool) -> bool:
    value = query.get(name)
    if value is None:
        return default
    if value.lower() in ("true", "1", "yes"):
        return True
    if value.lower() in ("false", "0", "no"):
        return False
    raise SocketError(f"{name} must be true or false; got {value!r}.", error="invalid_parameters")


def _integer(query: dict[str, str], name: str, default: int | None) -> int | None:
    value = query.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise SocketError(f"{name} must be an integer; got {value!r}.", error="invalid_parameters") from None


def parse_message(frame: str | bytes) -> dict[str, Any]:
    """One client frame as a JSON object; binary frames and anything else end the socket."""
    if isinstance(frame, bytes):
        raise SocketError(
            "Binary frames are not accepted: send JSON text messages.",
            error="invalid_message",
            code=CLOSE_UNSUPPORTED_DATA,
        )
    try:
        message = json.loads(frame)
    except json.JSONDecodeError as error:
        raise SocketError(
            f"The message is not valid JSON: {error}.", error="invalid_message", code=CLOSE_INVALID_PAYLOAD
        ) from None
    if not isinstance(message, dict):
        raise SocketError(
            "Each message must be a JSON object.", error="invalid_message", code=CLOSE_INVALID_PAYLOAD
        )
    return message


def text_field(message: dict[str, Any]) -> str | None:
    text = message.get("text")
    if text is not None and not isinstance(text, str):
        raise SocketError("text must be a string.", error="invalid_message", code=CLOSE_INVALID_PAYLOAD)
    return text


def flag(message: dict[str, Any], name: str) -> bool:
    value = message.get(name, False)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise SocketError(f"{name} must be a boolean.", error="invalid_message", code=CLOSE_INVALID_PAYLOAD)
    return value


def api_key_field(message: dict[str, Any]) -> str | None:
    """The credential a first message may carry (the SDK's `xi_api_key`, the AsyncAPI's `xi-api-key`)."""
    for name in ("xi_api_key", "xi-api-key"):
        if message.get(name):
            return str(message[name])
    authorization = message.get("authorization")
    if isinstance(authorization, str) and authorization:
        return authorization[7:].strip() if authorization.lower().startswith("bearer ") else authorization
    return None


def voice_settings_field(message: dict[str, Any]) -> VoiceSettings | None:
    value = message.get("voice_settings")
    if value is None:
        return None
    try:
        return VoiceSettings.model_validate(value)
    except ValidationError as error:
        raise SocketError(f"voice_settings is not valid: {error}", error="invalid_parameters") from None


def schedule_field(message: dict[str, Any]) -> list[float] | None:
    """`generation_config.chunk_length_schedule` (the SDK's SendText spells it `generator_config`)."""
    config = message.get("generation_config") or message.get("generator_config")
    if config is None:
        return None
    schedule = config.get("chunk_length_schedule") if isinstance(config, dict) else None
    if schedule is None:
        return None
    if not isinstance(schedule, list) or not all(
        isinstance(value, int | float) and not isinstance(value, bool) for value in schedule
    ):
        raise SocketError("chunk_length_schedule must be a list of numbers.", error="invalid_parameters")
    return schedule


def locators_field(message: dict[str, Any]) -> list[PronunciationDictionaryLocator] | None:
    value = message.get("pronunciation_dictionary_locators")
    if value is None:
        return None
    try:
        return [PronunciationDictionaryLocator.model_validate(item) for item in value]
    except (TypeError, ValidationError) as error:
        raise SocketError(
            f"pronunciation_dictionary_locators is not valid: {error}", error="invalid_parameters"
        ) from None


def alignment_ms(alignment: Alignment, offset: float) -> tuple[list[int], list[int]]:
    """Start times and durations in milliseconds relative to `offset` (the returned chunk's start)."""
    starts = [max(0, round((start - offset) * 1000)) for start in alignment.starts]
    durations = [max(0, round((end - offset) * 1000) - start) for end, start in zip(alignment.ends, starts)]
    return starts, durations


def alignment_payload(alignment: Alignment, offset: float) -> dict | None:
    """An alignment in the TTS sockets' shape: milliseconds relative to the returned chunk."""
    if not alignment.characters:
        return None
    starts, durations = alignment_ms(alignment, offset)
    # The AsyncAPI file spells the durations `charsDurationsMs`; the service, the SDK's models and pipecat
    # use `charDurationsMs`. Both are sent.
    return {
        "chars": list(alignment.characters),
        "charStartTimesMs": starts,
        "charDurationsMs": durations,
        "charsDurationsMs": durations,
    }


def audio_message(
    audio: bytes,
    alignment: dict | None,
    normalized_alignment: dict | None,
    *,
    context_id: str | None,
) -> dict:
    message: dict[str, Any] = {"audio": base64.b64encode(audio).decode()}
    # Absent rather than null: the AsyncAPI schemas do not allow null alignments.
    if normalized_alignment is not None:
        message["normalizedAlignment"] = normalized_alignment
    if alignment is not None:
        message["alignment"] = alignment
    if context_id is None:
        message["isFinal"] = False
    else:
        message["is_final"] = False
        message["contextId"] = context_id
    return message


def final_message(context_id: str | None) -> dict:
    # Both spellings: the SDK's models and readers use `isFinal`, the docs' multi-context examples `is_final`.
    message: dict[str, Any] = {"isFinal": True, "is_final": True}
    if context_id is not None:
        message["contextId"] = context_id
    return message
