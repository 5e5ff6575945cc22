"""Incremental encoding: float32 chunks in, one continuous byte stream out, for every output format.

Streaming endpoints and the TTS sockets feed each synthesized chunk to one `StreamingEncoder`, so resampling,
MP3 frames and Ogg pages run on across chunk boundaries and bytes can be sent as soon as the codec makes them.
"""

from __future__ import annotations

import struct
from fractions import Fraction

import av
import numpy as np
import soxr

from vocalis.audio.formats import OutputFormat

# PyAV encoder per codec; mp3/ulaw/alaw packets go out as they are (elementary streams), opus goes into Ogg.
_ENCODERS = {
    "mp3": "libmp3lame",
    "ulaw": "pcm_mulaw",
    "alaw": "pcm_alaw",
    "opus": "libopus",
    "aac": "aac",
    "flac": "flac",
}
# Codecs that need a container around their packets, and its options.
_CONTAINERS = {
    # Ogg pages are handed out at once (flush_packets) instead of filling a 32 KiB I/O buffer.
    "opus": ("ogg", {"page_duration": "100000", "flush_packets": "1"}),
    "aac": ("adts", {"flush_packets": "1"}),
    "flac": ("flac", {"flush_packets": "1"}),
}
# Size fields of a WAV header whose length is unknown when it is sent (what FFmpeg and browsers expect).
_UNKNOWN_SIZE = 0xFFFFFFFF


class StreamingEncoder:
    """Encode float32 mono chunks at `input_rate` into `output_format`; all output together is one file."""

    def __init__(self, output_format: OutputFormat, input_rate: int) -> None:
        self.output_format = output_format
        self.input_rate = input_rate
        self._resampler = (
            soxr.ResampleStream(input_rate, output_format.sample_rate, 1, dtype="float32", quality="HQ")
            if input_rate != output_format.sample_rate
            else None
        )
        self._sink = (
            _RawSink(output_format) if output_format.codec in ("pcm", "wav") else _PyAVSink(output_format)
        )
        self._finished = False

    def encode(self, samples: np.ndarray) -> bytes:
        """Take the next chunk; return the encoded bytes that are ready (possibly b'')."""
        if self._finished:
            raise RuntimeError("StreamingEncoder.encode() called after flush()")
        chunk = np.ascontiguousarray(samples, dtype=np.float32).reshape(-1)
        if self._resampler is not None:
            chunk = self._resampler.resample_chunk(chunk)
        return self._sink.write(chunk)

    def flush(self) -> bytes:
        """Drain the resampler and encoder and close the container; later calls return b''."""
        if self._finished:
            return b""
        self._finished = True
        tail = b""
        if self._resampler is not None:
            tail = self._sink.write(self._resampler.resample_chunk(np.zeros(0, np.float32), last=True))
        return tail + self._sink.close()


def _to_s16(samples: np.ndarray) -> np.ndarray:
    # Clip first: resampling and loud engines overshoot [-1, 1], and int16 conversion would wrap around.
    return np.round(np.clip(samples, -1.0, 1.0) * 32767.0).astype("<i2")


def _wav_header(sample_rate: int) -> bytes:
    return struct.pack(
        "<4sI4s4sIHHIIHH4sI",
        b"RIFF",
        _UNKNOWN_SIZE,
        b"WAVE",
        b"fmt ",
        16,
        1,  # PCM
        1,  # mono
        sample_rate,
        sample_rate * 2,
        2,
        16,
        b"data",
        _UNKNOWN_SIZE,
    )


class _RawSink:
    """Headerless s16le samples; for WAV the same samples behind a header sent with the first bytes."""

    def __init__(self, output_format: OutputFormat) -> None:
        self._header = _wav_header(output_format.sample_rate) if output_format.codec == "wav" else b""

    def write(self, samples: np.ndarray) -> bytes:
        header, self._header = self._header, b""
        return header + _to_s16(samples).tobytes()

    def close(self) -> bytes:
        header, self._header = self._header, b""
        return header


class _Drain:
    """Write-only file object for PyAV's muxer; bytes are taken out after each mux so they leave at once."""

    def __init__(self) -> None:
        self._data = bytearray()

    def write(self, data: bytes) -> int:
        self._data += data
        return len(data)

    def take(self) -> bytes:
        data = bytes(self._data)
        self._data.clear()
        return data


class _PyAVSink:
    """MP3 and G.711 as the encoder's packets back to back; Opus muxed into one logical Ogg stream."""

    def __init__(self, output_format: OutputFormat) -> None:
        self._rate = output_format.sample_rate
        self._pts = 0
        self._container: av.container.OutputContainer | None = None
        bit_rate = output_format.bitrate_kbps * 1000 if output_format.bitrate_kbps else None
        if output_format.codec in _CONTAINERS:
            container_format, container_options = _CONTAINERS[output_format.codec]
            self._buffer = _Drain()
            self._container = av.open(
                self._buffer, mode="w", format=container_format, container_options=container_options
            )
            # Constrained VBR keeps Opus near the nominal bitrate (plain VBR overshoots by up to ~50 %).
            options = {"vbr": "constrained"} if output_format.codec == "opus" else {}
            self._encoder = self._container.add_stream(
                _ENCODERS[output_format.codec], rate=self._rate, layout="mono", options=options
            )
        else:
            self._encoder = av.CodecContext.create(_ENCODERS[output_format.codec], "w")
            self._encoder.sample_rate = self._rate
            self._encoder.layout = "mono"
            self._encoder.format = "fltp" if output_format.codec == "mp3" else "s16"
        if bit_rate:
            # libmp3lame encodes CBR when a bit rate is set without a quality scale.
            self._encoder.bit_rate = bit_rate

    def write(self, samples: np.ndarray) -> bytes:
        if samples.size == 0:
            return b""
        # PyAV converts the float frame to the encoder's sample format (clipping) and re-chunks it to the
        # encoder's frame size.
        frame = av.AudioFrame.from_ndarray(np.clip(samples, -1.0, 1.0)[None, :], format="flt", layout="mono")
        frame.sample_rate = self._rate
        frame.time_base = Fraction(1, self._rate)
        frame.pts = self._pts
        self._pts += samples.size
        return self._emit(self._encoder.encode(frame))

    def close(self) -> bytes:
        data = self._emit(self._encoder.encode(None))
        if self._container is None:
            return data
        self._container.close()
        return data + self._buffer.take()

    def _emit(self, packets: list[av.Packet]) -> bytes:
        if self._container is None:
            return b"".join(bytes(packet) for packet in packets)
        for packet in packets:
            self._container.mux(packet)
        return self._buffer.take()
