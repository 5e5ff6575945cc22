"""`/v1/text-to-speech/{voice_id}/stream-input` and `/multi-stream-input`: the TTS WebSockets."""

from __future__ import annotations

from functools import partial

from fastapi import APIRouter, WebSocket

from vocalis.api.dependencies import header_key, key_id_for
from vocalis.realtime.sessions import MultiStreamInputSession, StreamInputSession

router = APIRouter(prefix="/v1/text-to-speech", tags=["text-to-speech"])


def _session(kind, websocket: WebSocket, voice_id: str):
    services = websocket.app.state.services
    return kind(
        websocket,
        services.speech,
        voice_id,
        partial(key_id_for, services),
        header_key(websocket.headers.get("xi-api-key"), websocket.headers.get("authorization")),
        services.settings.websocket_send_timeout_seconds,
    )


@router.websocket("/{voice_id}/stream-input")
async def stream_input(websocket: WebSocket, voice_id: str) -> None:
    await _session(StreamInputSession, websocket, voice_id).serve()


@router.websocket("/{voice_id}/multi-stream-input")
async def multi_stream_input(websocket: WebSocket, voice_id: str) -> None:
    await _session(MultiStreamInputSession, websocket, voice_id).serve()
