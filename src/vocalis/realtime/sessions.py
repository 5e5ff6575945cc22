"""The TTS sockets' conversations: `stream-input` (one context) and `multi-stream-input` (up to five).

A reader task moves client frames into an inbox; the session reads the inbox with the inactivity timeout,
so idle sockets close on time, and a failing generation posts its error to the same inbox. Every exit
path cancels the contexts' work, so no synthesis outlives its socket.

`SocketSession` and `MultiContextSession` are the shapes the dialogue sockets (`realtime.dialogue_sessions`)
share; what a context is and how a message feeds it is each socket's own.
"""

from __future__ import annotations

import asyncio
import json
import logging
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from vocalis.errors import VocalisError
from vocalis.realtime.context import SpeechContext
from vocalis.realtime.protocol import (
    CLOSE_INTERNAL_ERROR,
    CLOSE_NORMAL,
    CLOSE_POLICY,
    SocketError,
    SocketOptions,
    api_key_field,
    flag,
    locators_field,
    parse_message,
    schedule_field,
    text_field,
    voice_settings_field,
)
from vocalis.speech.service import SpeechService

logger = logging.getLogger(__name__)

MAX_CONTEXTS = 5
CLOSE_HANDSHAKE_SECONDS = 5.0
DEFAULT_CONTEXT_ID = "default"

# Resolves a credential to its key id; raises `Unauthorized` when it is missing or wrong and keys are on.
Authenticator = Callable[[str | None], str | None]


class _ClientGone(Exception):
    pass


class _ClientStoppedReading(_ClientGone):
    pass


class _Connection:
    """The socket's two directions: an inbox of frames (and failures), and serialized, time-limited sends."""

    def __init__(self, websocket: WebSocket, send_timeout: float):
        self.websocket = websocket
        self.send_timeout = send_timeout
        self.inbox: asyncio.Queue[Any] = asyncio.Queue()
        self._send_lock = asyncio.Lock()
        self._reader: asyncio.Task | None = None

    def start(self) -> None:
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        try:
            while True:
                message = await self.websocket.receive()
                if message["type"] == "websocket.disconnect":
                    break
                frame = message.get("text")
                await self.inbox.put(frame if frame is not None else message.get("bytes", b""))
        except (WebSocketDisconnect, RuntimeError):
            pass
        await self.inbox.put(_ClientGone())

    async def next(self, timeout: float) -> Any:
        """The next frame; None when `timeout` passes first; raises what a failure posted."""
        try:
            item = await asyncio.wait_for(self.inbox.get(), timeout)
        except asyncio.TimeoutError:
            return None
        if isinstance(item, Exception):
            raise item
        return item

    async def send(self, message: dict) -> None:
        async with self._send_lock:
            if self.websocket.application_state != WebSocketState.CONNECTED:
                raise _ClientGone()
            try:
                await asyncio.wait_for(self.websocket.send_text(json.dumps(message)), self.send_timeout)
            except asyncio.TimeoutError:
                raise _ClientStoppedReading() from None
            except (WebSocketDisconnect, RuntimeError, OSError):
                raise _ClientGone() from None

    async def fail(self, error: Exception) -> None:
        await self.inbox.put(error)

    async def close(self, code: int, error: SocketError | None = None) -> None:
        try:
            if error is not None:
                await self.send(error.payload())
            if self.websocket.application_state == WebSocketState.CONNECTED:
                reason = (error.message if error else "")[:120]
                # Bounded: a client that stopped reading may never take the close frame either.
                await asyncio.wait_for(self.websocket.close(code, reason), CLOSE_HANDSHAKE_SECONDS)
        except (_ClientGone, RuntimeError, OSError, asyncio.TimeoutError):
            pass

    async def stop(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            try:
                await self._reader
            except (asyncio.CancelledError, Exception):
                pass


class SocketSession(ABC):
    # How a client keeps an idle socket open, for the timeout error.
    keep_alive_hint = "Send a single space as text to keep the connection alive."

    def __init__(
        self,
        websocket: WebSocket,
        speech: SpeechService,
        authenticate: Authenticator,
        header_key: str | None,
        send_timeout: float,
    ):
        self.connection = _Connection(websocket, send_timeout)
        self.speech = speech
        self.authenticate = authenticate
        self.header_key = header_key
        self.key_id: str | None = None
        self.authenticated = False
        self.options: SocketOptions | None = None
        self.contexts: dict[str, SpeechContext] = {}
        self.ended: list[SpeechContext] = []  # closed contexts that may still be generating
        self.closing: set[asyncio.Task] = set()

    async def serve(self) -> None:
        websocket = self.connection.websocket
        await websocket.accept()
        self.connection.start()
        try:
            self.options = SocketOptions.from_query(dict(websocket.query_params))
            if self.header_key or websocket.query_params.get("authorization"):
                self._authenticate(self.header_key or websocket.query_params.get("authorization"))
            await self.converse()
            await self.connection.close(CLOSE_NORMAL)
        except SocketError as error:
            await self.connection.close(error.code, error)
        except _ClientStoppedReading:
            await self.connection.close(CLOSE_POLICY)
        except _ClientGone:
            pass
        except Exception:
            logger.exception("TTS socket failed")
            error = SocketError("Internal error while generating audio.", error="internal_error")
            await self.connection.close(CLOSE_INTERNAL_ERROR, error)
        finally:
            await self._cancel_all()
            await self.connection.stop()

    @abstractmethod
    async def converse(self) -> None:
        """Read the client's messages until the conversation ends."""

    @abstractmethod
    def _new_context(self, context_id: str | None, message: dict) -> SpeechContext:
        """The context that `message` (its first message) opens."""

    def _authenticate(self, key: str | None) -> None:
        try:
            self.key_id = self.authenticate(key)
        except VocalisError as error:
            raise SocketError(error.message, error=error.code) from None
        self.authenticated = True

    def _context_arguments(self, context_id: str | None, message: dict) -> dict[str, Any]:
        """What every context takes from the session and its first message; without a header key, the
        connection's first context message must carry the key."""
        assert self.options is not None
        if not self.authenticated:
            self._authenticate(api_key_field(message))
        return {
            "options": self.options,
            "key_id": self.key_id,
            "emit": self._send,
            "fail": self.connection.fail,
            "context_id": context_id,
            "voice_settings": voice_settings_field(message),
            "locators": locators_field(message),
        }

    async def _send(self, message: dict) -> None:
        await self.connection.send(message)

    async def _next_message(self, timeout: float) -> dict | None:
        frame = await self.connection.next(timeout)
        return None if frame is None else parse_message(frame)

    async def _next_for(self, context: SpeechContext) -> dict:
        """The next message of a one-context socket; the timeout error once the context is idle too long."""
        assert self.options is not None
        timeout = self.options.inactivity_timeout
        while True:
            message = await self._next_message(max(0.05, timeout - context.idle_for()))
            if message is not None:
                return message
            if not context.busy and context.idle_for() >= timeout:
                raise self._timeout_error()

    def _timeout_error(self) -> SocketError:
        assert self.options is not None
        return SocketError(
            f"Have not received a new text input within the timeout of {self.options.inactivity_timeout:g} "
            f"seconds. Streaming input terminated. {self.keep_alive_hint}",
            error="input_timeout_exceeded",
        )

    async def _cancel_all(self) -> None:
        current = asyncio.current_task()
        for task in self.closing:
            if task is not current:
                task.cancel()
        for context in [*self.contexts.values(), *self.ended]:
            await context.cancel()


class MultiContextSession(SocketSession):
    """Up to five contexts on one socket, each closed on its own; idle ones close, `close_socket` ends all."""

    async def converse(self) -> None:
        assert self.options is not None
        timeout = self.options.inactivity_timeout
        last_message = asyncio.get_running_loop().time()
        while True:
            message = await self._next_message(self._wait(timeout))
            now = asyncio.get_running_loop().time()
            if message is None:
                self._close_idle_contexts(timeout)
                if not self.contexts and not self.closing and now - last_message >= timeout:
                    raise self._timeout_error()
                continue
            last_message = now
            closes_socket = flag(message, "close_socket")
            # A close_socket that names a context also carries that context's last input.
            if not closes_socket or message.get("context_id") or message.get("contextId"):
                self._handle(message)
            if closes_socket:
                await self._close_socket()
                return

    @abstractmethod
    def _handle(self, message: dict) -> None:
        """Apply one client message (other than a bare close_socket) to its context."""

    def _open(self, context_id: str, message: dict) -> SpeechContext:
        if len(self.contexts) >= MAX_CONTEXTS:
            raise SocketError(
                f"A connection can have at most {MAX_CONTEXTS} open contexts; close one (close_context) "
                f"before opening context {context_id!r}.",
                error="max_active_contexts_exceeded",
            )
        context = self._new_context(context_id, message)
        self.contexts[context_id] = context
        return context

    def _close_context(self, context_id: str, *, generate_buffer: bool) -> None:
        context = self.contexts.pop(context_id)
        task = asyncio.create_task(context.finish(generate_buffer=generate_buffer))
        self.closing.add(task)
        task.add_done_callback(self.closing.discard)
        self.ended.append(context)

    def _close_idle_contexts(self, timeout: float) -> None:
        for context_id, context in list(self.contexts.items()):
            if context.idle_for() >= timeout:
                self._close_context(context_id, generate_buffer=False)

    def _wait(self, timeout: float) -> float:
        if not self.contexts:
            return timeout
        return max(0.05, min(timeout - context.idle_for() for context in self.contexts.values()))

    async def _close_socket(self) -> None:
        for context_id in list(self.contexts):
            self._close_context(context_id, generate_buffer=True)
        if self.closing:
            await asyncio.gather(*self.closing)


class _SpeechSession(SocketSession):
    """A TTS socket: every context speaks the voice of the URL."""

    def __init__(self, websocket: WebSocket, speech: SpeechService, voice_id: str, *args: Any):
        super().__init__(websocket, speech, *args)
        self.voice_id = voice_id

    def _new_context(self, context_id: str | None, message: dict) -> SpeechContext:
        arguments = self._context_arguments(context_id, message)
        return SpeechContext(
            self.speech, voice_id=self.voice_id, schedule=schedule_field(message), **arguments
        )


class StreamInputSession(_SpeechSession):
    """`/v1/text-to-speech/{voice_id}/stream-input`: an initialize message, text, then `text: ""`."""

    async def converse(self) -> None:
        assert self.options is not None
        timeout = self.options.inactivity_timeout
        first = await self._next_message(timeout)
        if first is None:
            raise self._timeout_error()
        text = text_field(first)
        if text is None or (text and text.strip()):
            raise SocketError(
                'The first message must initialize the connection with {"text": " "} (a single space), '
                "optionally with voice_settings, generation_config and xi_api_key.",
                error="invalid_message",
            )
        context = self._new_context(None, first)
        self.contexts[DEFAULT_CONTEXT_ID] = context
        if text == "":
            await context.finish()
            return
        while True:
            message = await self._next_for(context)
            text = text_field(message)
            context.configure(voice_settings_field(message), schedule_field(message))
            if text == "":
                await context.finish()
                return
            context.add_text(
                text or "", flush=flag(message, "flush"), try_trigger=flag(message, "try_trigger_generation")
            )


class MultiStreamInputSession(_SpeechSession, MultiContextSession):
    """`/v1/text-to-speech/{voice_id}/multi-stream-input`: up to five contexts, each closed on its own."""

    def _handle(self, message: dict) -> None:
        context_id = message.get("context_id") or message.get("contextId") or DEFAULT_CONTEXT_ID
        if not isinstance(context_id, str):
            raise SocketError("context_id must be a string.", error="invalid_message")
        text = text_field(message)
        context = self.contexts.get(context_id)
        if flag(message, "close_context"):
            if context is not None:
                self._close_context(context_id, generate_buffer=False)
            return
        if context is None:
            if not text and not flag(message, "flush"):
                return  # a keep-alive, or a control message for a context that has already ended
            context = self._open(context_id, message)
        else:
            context.configure(voice_settings_field(message), schedule_field(message))
        if text == "" and not flag(message, "flush"):
            context.touch()  # keep-alive: on this socket an empty text never closes anything
            return
        context.add_text(
            text or "", flush=flag(message, "flush"), try_trigger=flag(message, "try_trigger_generation")
        )
