"""Sign and POST webhook events the way ElevenLabs does, retrying transient failures with backoff.

Each request carries `ElevenLabs-Signature: t=<unix seconds>,v0=<hex HMAC-SHA256(secret, "<t>.<body>")>`,
which the official SDKs check with `webhooks.construct_event(body, header, secret)`. A 2xx answer is
success; 5xx, 429, timeouts and connection errors are retried (when the webhook has retries enabled);
any other 4xx means the receiver refused the event, so it is not retried.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import time
from dataclasses import asdict, dataclass
from typing import Any

import httpx

from vocalis import __version__
from vocalis.store.webhooks import WebhookRepository

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "ElevenLabs-Signature"


@dataclass(frozen=True)
class RetryPolicy:
    # Waits before the 2nd, 3rd, ... attempt: (1, 2, 4) means 4 attempts over about 7 s.
    delays: tuple[float, ...] = (1.0, 2.0, 4.0)
    timeout_seconds: float = 10.0


@dataclass
class DeliveryOutcome:
    webhook_id: str
    delivered: bool
    attempts: int
    status_code: int | None = None
    error: str | None = None

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def signature_header(secret: str, body: str, timestamp: int) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256).hexdigest()
    return f"t={timestamp},v0={digest}"


def event_body(event_type: str, data: dict[str, Any]) -> str:
    """The JSON text of an event envelope; it is signed and sent byte for byte."""
    return json.dumps({"type": event_type, "event_timestamp": int(time.time()), "data": data})


def _retryable(status_code: int) -> bool:
    return status_code >= 500 or status_code == 429


class WebhookSender:
    def __init__(self, webhooks: WebhookRepository, policy: RetryPolicy | None = None):
        self.webhooks = webhooks
        self.policy = policy or RetryPolicy()

    async def deliver(self, webhook_id: str, body: str) -> DeliveryOutcome:
        """POST `body` to one webhook until it succeeds, refuses, or the retries run out."""
        webhook = await asyncio.to_thread(self.webhooks.get, webhook_id)
        if webhook is None or webhook.is_disabled:
            # Deleted or disabled after the job was accepted: the user asked us to stop sending.
            return DeliveryOutcome(webhook_id, False, 0, error="webhook deleted or disabled")
        delays = self.policy.delays if webhook.retry_enabled else ()
        outcome = DeliveryOutcome(webhook_id, False, 0)
        async with httpx.AsyncClient(timeout=self.policy.timeout_seconds) as client:
            for attempt, delay in enumerate((0.0, *delays), start=1):
                await asyncio.sleep(delay)
                outcome.attempts = attempt
                # Signed per attempt: receivers reject signatures older than 30 minutes.
                headers = {
                    **{k: v for k, v in (webhook.request_headers or {}).items() if v is not None},
                    "content-type": "application/json",
                    "user-agent": f"vocalis/{__version__}",
                    SIGNATURE_HEADER: signature_header(webhook.secret, body, int(time.time())),
                }
                try:
                    response = await client.post(webhook.webhook_url, content=body.encode(), headers=headers)
                except httpx.HTTPError as error:
                    outcome.status_code, outcome.error = None, f"{type(error).__name__}: {error}"
                    continue
                outcome.status_code = response.status_code
                if response.is_success:
                    outcome.delivered, outcome.error = True, None
                    return outcome
                outcome.error = f"HTTP {response.status_code}"
                if not _retryable(response.status_code):
                    break
        logger.warning(
            "Webhook %s not delivered after %d attempt(s): %s", webhook_id, outcome.attempts, outcome.error
        )
        await asyncio.to_thread(self.webhooks.record_failure, webhook_id, outcome.status_code)
        return outcome
