"""`/v1/workspace/webhooks`: list, create, update and delete the workspace's webhooks (SDK `webhooks`)."""

from __future__ import annotations

from typing import Literal
from urllib.parse import urlsplit

from fastapi import APIRouter
from pydantic import BaseModel

from vocalis.api.dependencies import KeyIdDependency, ServicesDependency
from vocalis.errors import InvalidRequest, NotFound
from vocalis.schemas.common import StatusResponse
from vocalis.store.tables import Webhook

router = APIRouter(prefix="/v1/workspace/webhooks", tags=["webhooks"])

# Workspace event types (SDK `WorkspaceWebhookEventType`) and the usage label each one reports.
EVENT_USAGES = {
    "speech_to_text": "Speech to Text",
    "voice_library_removal_notice": "Voice Library Removal Notices",
    "agent_qa": "Agent QA Evaluations",
    "flows": "Flows",
}


class WebhookSettings(BaseModel):
    """`WebhookHmacSettings`; only HMAC is offered (no OAuth2 or mTLS client here)."""

    auth_type: Literal["hmac"] = "hmac"
    name: str
    webhook_url: str
    request_headers: dict[str, str | None] | None = None


class CreateWebhookRequest(BaseModel):
    settings: WebhookSettings


class UpdateWebhookRequest(BaseModel):
    is_disabled: bool
    name: str
    retry_enabled: bool | None = None
    request_headers: dict[str, str | None] | None = None
    events: list[str] | None = None


class CreateWebhookResponse(BaseModel):
    webhook_id: str
    webhook_secret: str


class WebhookUsage(BaseModel):
    usage_type: str


class WebhookResponse(BaseModel):
    name: str
    webhook_id: str
    webhook_url: str
    is_disabled: bool
    is_auto_disabled: bool
    created_at_unix: int
    auth_type: str
    usage: list[WebhookUsage] | None = None
    events: list[str] | None = None
    most_recent_failure_error_code: int | None = None
    most_recent_failure_timestamp: int | None = None


class WebhookListResponse(BaseModel):
    webhooks: list[WebhookResponse]


def _check_url(url: str) -> str:
    # Plain http is accepted (unlike ElevenLabs) because a self-hosted receiver is often on the LAN.
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise InvalidRequest("webhook_url must be an http(s) URL.", code="invalid_webhook_url")
    return url


def _check_name(name: str) -> str:
    if not name.strip():
        raise InvalidRequest("name must not be empty.", code="invalid_parameters")
    return name


def _check_events(events: list[str] | None) -> list[str] | None:
    unknown = sorted(set(events or []) - set(EVENT_USAGES))
    if unknown:
        raise InvalidRequest(
            f"Unknown webhook event(s) {', '.join(unknown)}; use {', '.join(EVENT_USAGES)}.",
            code="invalid_parameters",
        )
    return events


def _response(row: Webhook, include_usages: bool) -> WebhookResponse:
    events = list(row.events or [])
    return WebhookResponse(
        name=row.name,
        webhook_id=row.webhook_id,
        webhook_url=row.webhook_url,
        is_disabled=row.is_disabled,
        is_auto_disabled=False,  # never auto-disabled here; failures are reported below instead
        created_at_unix=row.created_at_unix,
        auth_type=row.auth_type,
        usage=[WebhookUsage(usage_type=EVENT_USAGES[e]) for e in events] if include_usages else None,
        events=events if include_usages else None,
        most_recent_failure_error_code=row.most_recent_failure_error_code,
        most_recent_failure_timestamp=row.most_recent_failure_timestamp,
    )


@router.get("", response_model=WebhookListResponse)
def list_webhooks(
    services: ServicesDependency, _key: KeyIdDependency, include_usages: bool = False
) -> WebhookListResponse:
    return WebhookListResponse(webhooks=[_response(row, include_usages) for row in services.webhooks.list()])


@router.post("", response_model=CreateWebhookResponse)
def create_webhook(
    body: CreateWebhookRequest, services: ServicesDependency, _key: KeyIdDependency
) -> CreateWebhookResponse:
    settings = body.settings
    row = services.webhooks.create(
        _check_name(settings.name),
        _check_url(settings.webhook_url),
        auth_type=settings.auth_type,
        request_headers={k: v for k, v in (settings.request_headers or {}).items() if v is not None} or None,
    )
    return CreateWebhookResponse(webhook_id=row.webhook_id, webhook_secret=row.secret)


@router.patch("/{webhook_id}", response_model=StatusResponse)
def update_webhook(
    webhook_id: str, body: UpdateWebhookRequest, services: ServicesDependency, _key: KeyIdDependency
) -> StatusResponse:
    headers = body.request_headers
    updated = services.webhooks.update(
        webhook_id,
        is_disabled=body.is_disabled,
        name=_check_name(body.name),
        retry_enabled=body.retry_enabled,
        request_headers=None if headers is None else {k: v for k, v in headers.items() if v is not None},
        events=_check_events(body.events),
    )
    if not updated:
        raise NotFound(f"Webhook {webhook_id!r} was not found.", code="webhook_not_found")
    return StatusResponse()


@router.delete("/{webhook_id}", response_model=StatusResponse)
def delete_webhook(webhook_id: str, services: ServicesDependency, _key: KeyIdDependency) -> StatusResponse:
    if not services.webhooks.delete(webhook_id):
        raise NotFound(f"Webhook {webhook_id!r} was not found.", code="webhook_not_found")
    return StatusResponse()
