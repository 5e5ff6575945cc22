"""The Text-to-Dialogue sockets' conversations: `stream-input` (one context) and `multi-stream-input` (up to
five), on the TTS sockets' connection handling, timeouts and context lifecycle.

A context opens with a message that registers its `voices` (and, first on the connection, the credentials);
later messages bring `inputs`, `flush` and `keep_alive`; `close_socket` generates what every context holds
and ends the connection. On the multi socket each message names its `context_id`, a context is registered
once per connection, and `close_context` generates the context's buffered text before its `is_final`.
"""

from __future__ import annotations

from vocalis.realtime.dialogue import DialogueContext, inputs_field, voices_field
from vocalis.realtime.protocol import SocketError, flag
from vocalis.realtime.sessions import DEFAULT_CONTEXT_ID, MultiContextSession, SocketSession


class _DialogueSession(SocketSession):
    keep_alive_hint = 'Send {"keep_alive": true} to keep the connection alive.'

    def _new_context(self, context_id: str | None, message: dict) -> DialogueContext:
        arguments = self._context_arguments(context_id, message)
        return DialogueContext(self.speech, voices=voices_field(message), **arguments)

    @staticmethod
    def _feed(context: DialogueContext, message: dict) -> None:
        """A message's inputs, flush and keep-alive (voice settings and dictionaries count in the first)."""
        context.touch()  # also what a keep_alive asks for
        context.add_inputs(inputs_field(message))
        if flag(message, "flush"):
            context.flush()


class DialogueStreamInputSession(_DialogueSession):
    """`/v1/text-to-dialogue/stream-input`: a first message with `voices`, inputs, then `close_socket`."""

    async def converse(self) -> None:
        assert self.options is not None
        message = await self._next_message(self.options.inactivity_timeout)
        if message is None:
            raise self._timeout_error()
        context = self._new_context(None, message)
        self.contexts[DEFAULT_CONTEXT_ID] = context
        while True:
            self._feed(context, message)
            if flag(message, "close_socket"):
                await context.finish()
                return
            message = await self._next_for(context)
            if message.get("voices") is not None:
                raise SocketError(
                    "voices can only be sent in the first message; open a new connection for other voices.",
                    error="invalid_message",
                    param="voices",
                )


class DialogueMultiStreamInputSession(_DialogueSession, MultiContextSession):
    """`/v1/text-to-dialogue/multi-stream-input`: up to five dialogue contexts, each closed on its own."""

    def _handle(self, message: dict) -> None:
        context_id = message.get("context_id")
        if not isinstance(context_id, str) or not context_id:
            raise SocketError(
                "Every message except a lone close_socket must name its context_id (a string).",
                error="invalid_message",
                param="context_id",
            )
        context = self.contexts.get(context_id)
        ended = any(old.context_id == context_id for old in self.ended)
        if message.get("voices") is not None:
            if context is not None or ended:
                raise SocketError(
                    f"Context {context_id!r} has already been registered on this connection; a context's "
                    "voices are sent once, in its first message. Use a new context_id for a new context.",
                    error="context_already_registered",
                    param="voices",
                )
            context = self._open(context_id, message)
        elif context is None:
            if ended and not message.get("inputs"):
                return  # a flush, keep-alive or close for a context that has already sent its is_final
            reason = (
                "it has been closed; open a new context for more text"
                if ended
                else 'its first message must register its voices, e.g. {"voices": ["<voice_id>"]}'
            )
            raise SocketError(
                f"Context {context_id!r} is not open: {reason}.", error="context_not_open", param="context_id"
            )
        assert isinstance(context, DialogueContext)
        self._feed(context, message)
        if flag(message, "close_context"):
            self._close_context(context_id, generate_buffer=True)
