"""Errors as values: a status code, an ElevenLabs error code and a message the user can act on.

Domain code raises `VocalisError`; `api/errors.py` is the one place that turns it into
ElevenLabs' `{"detail": {"status": ..., "message": ...}}` response.
"""

from __future__ import annotations


class VocalisError(Exception):
    http_status = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, http_status: int | None = None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if http_status is not None:
            self.http_status = http_status


class InvalidRequest(VocalisError):
    http_status = 400
    code = "invalid_request"


class NotFound(VocalisError):
    http_status = 404
    code = "not_found"


class Unauthorized(VocalisError):
    http_status = 401
    code = "invalid_api_key"


class Forbidden(VocalisError):
    http_status = 403
    code = "forbidden"


class TooManyConcurrentRequests(VocalisError):
    http_status = 429
    code = "too_many_concurrent_requests"


class EngineFailure(VocalisError):
    http_status = 500
    code = "engine_error"
