"""The `output_format` values ElevenLabs accepts, and what each one means for the encoder and the HTTP reply.

Names follow the spec's `codec_sample-rate[_bitrate-kbps]` pattern; the list is the union of every
`output_format` enum in the official OpenAPI document, in spec order, then the values the official SDK's
enums add (`mp3_24000_48`, `mp3_48000_*`, `pcm_32000`, `wav_*`), which it sends unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass

OUTPUT_FORMATS: tuple[str, ...] = (
    "mp3_22050_32",
    "mp3_44100_32",
    "mp3_44100_64",
    "mp3_44100_96",
    "mp3_44100_128",
    "mp3_44100_192",
    "pcm_8000",
    "pcm_16000",
    "pcm_22050",
    "pcm_24000",
    "pcm_44100",
    "pcm_48000",
    "ulaw_8000",
    "alaw_8000",
    "opus_48000_32",
    "opus_48000_64",
    "opus_48000_96",
    "opus_48000_128",
    "opus_48000_192",
    "mp3_24000_48",
    "mp3_48000_128",
    "mp3_48000_192",
    "mp3_48000_240",
    "mp3_48000_320",
    "pcm_32000",
    "wav_8000",
    "wav_16000",
    "wav_22050",
    "wav_24000",
    "wav_32000",
    "wav_44100",
    "wav_48000",
)

# codec -> (media type, file extension). pcm/ulaw/alaw are headerless sample streams; opus is in Ogg.
_CODECS: dict[str, tuple[str, str]] = {
    "mp3": ("audio/mpeg", "mp3"),
    "pcm": ("audio/pcm", "pcm"),
    "ulaw": ("audio/basic", "ulaw"),
    "alaw": ("audio/x-alaw-basic", "alaw"),
    "opus": ("audio/ogg", "ogg"),
    "wav": ("audio/wav", "wav"),
    "aac": ("audio/aac", "aac"),
    "flac": ("audio/flac", "flac"),
}


@dataclass(frozen=True)
class OutputFormat:
    """One output format: codec ('mp3'|'pcm'|'ulaw'|'alaw'|'opus'|'wav'), rate, bitrate, HTTP media type."""

    name: str
    codec: str
    sample_rate: int
    bitrate_kbps: int | None
    media_type: str
    extension: str


def _describe(name: str) -> OutputFormat:
    codec, rate, *bitrate = name.split("_")
    media_type, extension = _CODECS[codec]
    return OutputFormat(
        name=name,
        codec=codec,
        sample_rate=int(rate),
        bitrate_kbps=int(bitrate[0]) if bitrate else None,
        media_type=media_type,
        extension=extension,
    )


_BY_NAME: dict[str, OutputFormat] = {name: _describe(name) for name in OUTPUT_FORMATS}


def parse_output_format(name: str) -> OutputFormat:
    """Look up an ElevenLabs `output_format`; raise ValueError naming the bad value and the allowed ones."""
    try:
        return _BY_NAME[name]
    except (KeyError, TypeError):
        raise ValueError(
            f"Unsupported output_format {name!r}. Use one of: {', '.join(OUTPUT_FORMATS)}."
        ) from None


def extra_format(codec: str, sample_rate: int, bitrate_kbps: int | None = None) -> OutputFormat:
    """A format outside ElevenLabs' enum ('wav', 'aac', 'flac', or any codec above at another rate).

    For history downloads and OpenAI-style `response_format` values.
    """
    return _describe(f"{codec}_{sample_rate}" + (f"_{bitrate_kbps}" if bitrate_kbps else ""))


def stored_format(name: str) -> OutputFormat:
    """The format of audio Vocalis stored itself: any ElevenLabs value or an `extra_format` name."""
    return _BY_NAME.get(name) or _describe(name)
