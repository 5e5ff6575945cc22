"""Typed FastAPI dependencies: the shared services and the authenticated caller."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request

from vocalis.errors import Unauthorized
from vocalis.services import Services


def get_services(request: Request) -> Services:
    return request.app.state.services


ServicesDependency = Annotated[Services, Depends(get_services)]


def authenticate(
    request: Request,
    services: ServicesDependency,
    xi_api_key: Annotated[str | None, Header(alias="xi-api-key")] = None,
    authorization: Annotated[str | None, Header()] = None,
) -> str | None:
    """Return the caller's key id; 401 when auth is on and the key is missing or wrong."""
    key = xi_api_key
    if key is None and authorization and authorization.lower().startswith("bearer "):
        key = authorization[7:].strip()
    required = services.settings.require_api_key
    if required is None:
        required = services.api_keys.any_active()
    if not key:
        if required:
            raise Unauthorized(
                "Missing API key: send it in the xi-api-key header.", code="needs_authorization"
            )
        return None
    row = services.api_keys.find_active(key)
    if row is None:
        if required:
            raise Unauthorized("Invalid API key.", code="invalid_api_key")
        return None
    request.state.key_id = row.key_id
    return row.key_id


KeyIdDependency = Annotated[str | None, Depends(authenticate)]
