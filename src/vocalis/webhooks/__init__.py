"""Outgoing webhooks: signed, retried deliveries of finished work to the workspace's callback URLs."""

from vocalis.webhooks.delivery import (
    DeliveryOutcome,
    RetryPolicy,
    WebhookSender,
    event_body,
    signature_header,
)

__all__ = ["DeliveryOutcome", "RetryPolicy", "WebhookSender", "event_body", "signature_header"]
