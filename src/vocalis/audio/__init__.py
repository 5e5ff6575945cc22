"""Audio decoding, resampling and encoding for every ElevenLabs `output_format`: Vocalis's one codec layer."""

from vocalis.audio.codecs import (
    Audio,
    AudioDecodeError,
    decode,
    decode_channel,
    decode_pcm_s16le,
    decode_pcm_s16le_stream,
    decode_stream,
    encode,
    probe_channels,
    probe_duration,
    resample,
)
from vocalis.audio.formats import (
    OUTPUT_FORMATS,
    OutputFormat,
    extra_format,
    parse_output_format,
    stored_format,
)
from vocalis.audio.streaming import StreamingEncoder

__all__ = [
    "OUTPUT_FORMATS",
    "Audio",
    "AudioDecodeError",
    "OutputFormat",
    "StreamingEncoder",
    "decode",
    "decode_channel",
    "decode_pcm_s16le",
    "decode_pcm_s16le_stream",
    "decode_stream",
    "encode",
    "extra_format",
    "parse_output_format",
    "probe_channels",
    "probe_duration",
    "resample",
    "stored_format",
]
