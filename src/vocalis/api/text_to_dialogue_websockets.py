"""`/v1/text-to-dialogue/stream-input` and `/multi-stream-input`: the Text-to-Dialogue WebSockets."""

from __future__ import annotations

from functools import partial

from fastapi import APIRouter, WebSocket

from vocalis.api.dependencies import header_key, key_id_for
from vocalis.realtime.dialogue_sessions import DialogueMultiStreamInputSession, DialogueStreamInputSession

router = APIRouter(prefix="/v1/text-to-dialogue", tags=["text-to-dialogue"])


def _session(kind, websocket: WebSocket):
    services = websocket.app.state.services
    return kind(
        websocket,
        services.speech,
        partial(key_id_for, services),
        header_key(websocket.headers.get("xi-api-key"), websocket.headers.get("authorization")),
        services.settings.websocket_send_timeout_seconds,
    )


@router.websocket("/stream-input")
async def stream_input(websocket: WebSocket) -> None:
    await _session(DialogueStreamInputSession, websocket).serve()


@router.websocket("/multi-stream-input")
async def multi_stream_input(websocket: WebSocket) -> None:
    await _session(DialogueMultiStreamInputSession, websocket).serve()
