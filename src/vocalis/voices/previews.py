"""Voice previews: a short sample of each voice, rendered once by the local engine and cached as MP3."""

from __future__ import annotations

import hashlib

from vocalis.schemas.text_to_speech import TextToSpeechRequest
from vocalis.speech.service import SpeechService, render
from vocalis.store.blobs import BlobStore

PREVIEW_FORMAT = "mp3_44100_128"


def preview_key(voice_id: str, text: str) -> str:
    digest = hashlib.sha256(text.encode()).hexdigest()[:12]
    return f"previews/{voice_id}-{digest}.mp3"


async def voice_preview(speech: SpeechService, blobs: BlobStore, voice_id: str) -> bytes:
    voice = speech.voices.get(voice_id)
    key = preview_key(voice_id, voice.preview_text)
    if blobs.exists(key):
        return blobs.get(key)
    prepared = speech.prepare(
        voice_id,
        TextToSpeechRequest(text=voice.preview_text, model_id="kokoro-82m", seed=0),
        output_format=PREVIEW_FORMAT,
        optimize_streaming_latency=None,
        enable_logging=False,
        key_id=None,
        streaming=False,
    )
    audio, _result = await render(speech, prepared)
    blobs.put(key, audio)
    return audio
