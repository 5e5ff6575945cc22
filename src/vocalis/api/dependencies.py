"""Typed FastAPI dependencies: the shared services and the authenticated caller."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request

from vocalis.errors import Unauthorized
from vocalis.services import Services


def get_services(request: Request) -> Services:
    return request.app.state.services


ServicesDependency = Annotated[Services, Depends(get_services)]


def header_key(xi_api_key: str | None, authorization: str | None) -> str | None:
    """The API key of `xi-api-key`, or of `Authorization: Bearer ...`."""
    if xi_api_key is None and authorization and authorization.lower().startswith("bearer "):
        return authorization[7:].strip()
    return xi_api_key


def key_id_for(services: Services, key: str | None) -> str | None:
    """The key id of `key`; 401 when auth is on and the key is missing or wrong."""
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
    return row.key_id


def authenticate(
    request: Request,
    services: ServicesDependency,
    xi_api_key: Annotated[str | None, Header(alias="xi-api-key")] = None,
    authorization: Annotated[str | None, Header()] = None,
) -> str | None:
    """Return the caller's key id; 401 when auth is on and the key is missing or wrong."""
    key_id = key_id_for(services, header_key(xi_api_key, authorization))
    request.state.key_id = key_id
    return key_id


KeyIdDependency = Annotated[str | None, Depends(authenticate)]
