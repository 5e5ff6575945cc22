"""The one place that turns errors into ElevenLabs' `{"detail": {"status", "message"}}` responses."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from vocalis.errors import VocalisError

logger = logging.getLogger("vocalis")


def error_body(status: str, message: str) -> dict:
    return {"detail": {"status": status, "message": message}}


def _describe(error: dict) -> str:
    if error.get("type") == "json_invalid":
        return f"The request body is not valid JSON ({error.get('ctx', {}).get('error', 'decode error')})."
    location = [str(part) for part in error.get("loc", ()) if part not in ("body", "query", "path", "header")]
    field = ".".join(location) or "request"
    return f"{field}: {error.get('msg', 'invalid value')}"


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(VocalisError)
    async def _vocalis_error(_request: Request, error: VocalisError) -> JSONResponse:
        return JSONResponse(error_body(error.code, error.message), status_code=error.http_status)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_request: Request, error: RequestValidationError) -> JSONResponse:
        message = "; ".join(_describe(item) for item in error.errors())
        return JSONResponse(error_body("invalid_request", message), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_request: Request, error: StarletteHTTPException) -> JSONResponse:
        status = {404: "not_found", 405: "method_not_allowed"}.get(error.status_code, "http_error")
        return JSONResponse(error_body(status, str(error.detail)), status_code=error.status_code)

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, error: Exception) -> JSONResponse:
        logger.exception("Unhandled error", exc_info=error)
        return JSONResponse(
            error_body("internal_error", f"Oops, something went wrong: {type(error).__name__}."),
            status_code=500,
        )
