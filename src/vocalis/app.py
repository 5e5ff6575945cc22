"""The FastAPI application: one factory that wires settings, storage, engines and every router."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator

from fastapi import FastAPI
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from vocalis import __version__
from vocalis.api import (
    audio_isolation,
    forced_alignment,
    history,
    models,
    openai,
    pronunciation_dictionaries,
    sound_generation,
    speech_to_speech,
    speech_to_text,
    text_to_dialogue,
    text_to_dialogue_websockets,
    text_to_speech,
    text_to_speech_websockets,
    text_to_voice,
    usage,
    user,
    voice_generation,
    voices,
    voices_pvc,
    webhooks,
)
from vocalis.api.errors import install_error_handlers
from vocalis.config import Settings
from vocalis.services import Services

IDLE_CHECK_SECONDS = 30.0


class RequestIdMiddleware:
    """Give every HTTP response a `request-id` header (plain ASGI, so streams stay streams)."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_request_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if "request-id" not in headers:
                    headers["request-id"] = uuid.uuid4().hex
            await send(message)

        await self.app(scope, receive, send_with_request_id)


async def _unload_idle_engines(services: Services) -> None:
    while True:
        await asyncio.sleep(min(IDLE_CHECK_SECONDS, services.settings.engine_idle_unload_seconds))
        services.registry.unload_idle()


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        services = Services.open(settings)
        app.state.services = services
        services.runner.recover()  # only the server does this: a CLI run may share the database
        unloader = asyncio.create_task(_unload_idle_engines(services))
        try:
            yield
        finally:
            unloader.cancel()
            await services.runner.stop()
            services.close()

    app = FastAPI(title="Vocalis", version=__version__, lifespan=lifespan)
    install_error_handlers(app)

    app.add_middleware(RequestIdMiddleware)

    @app.get("/healthz", tags=["health"])
    def healthz() -> dict:
        return {"status": "ok", "version": __version__}

    for module in (
        text_to_speech,
        text_to_dialogue,
        text_to_speech_websockets,
        text_to_dialogue_websockets,
        speech_to_text,
        speech_to_speech,
        audio_isolation,
        sound_generation,
        forced_alignment,
        voices,
        voices_pvc,
        text_to_voice,
        voice_generation,
        pronunciation_dictionaries,
        models,
        history,
        user,
        usage,
        openai,
        webhooks,
    ):
        app.include_router(module.router)
    return app
