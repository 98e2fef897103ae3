"""Sending one delivery: signed JSON webhooks (generic or Slack-compatible) and e-mail over SMTP.

Nothing here touches the store; the dispatcher decides what to send and records the outcome.
"""

from __future__ import annotations

import hashlib
import hmac
import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any

import httpx
import orjson

SIGNATURE_HEADER = "X-Cxloop-Signature"
TIMESTAMP_HEADER = "X-Cxloop-Timestamp"
DELIVERY_HEADER = "X-Cxloop-Delivery"
EVENT_HEADER = "X-Cxloop-Event"
MAX_BACKOFF = timedelta(hours=1)


class DeliveryError(Exception):
    """The receiver refused or could not be reached; the delivery is retried later."""


class PermanentDeliveryError(DeliveryError):
    """Retrying cannot help (no address, no consent): the delivery goes straight to dead letters."""


@dataclass(frozen=True, slots=True)
class SmtpConfig:
    host: str
    port: int
    username: str
    password: str
    sender: str
    starttls: bool
    timeout: float = 10.0


def sign(secret: str, body: bytes) -> str:
    """The signature header value: `sha256=` + hex HMAC-SHA256 of the raw body with the secret."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, header: str) -> bool:
    """What a receiver does: recompute and compare in constant time."""
    return hmac.compare_digest(sign(secret, body), header)


def webhook_body(kind: str, event: str, delivery_id: str, payload: dict[str, Any], sent_at: datetime) -> bytes:
    """The exact bytes that are signed and sent. Slack incoming webhooks take `{"text": ...}`."""
    if kind == "slack":
        lines = [f"*[cxloop] {payload.get('title', event)}*"]
        if payload.get("link_url"):
            lines.append(str(payload["link_url"]))
        return orjson.dumps({"text": "\n".join(lines)})
    return orjson.dumps(
        {"event": event, "delivery_id": delivery_id, "sent_at": sent_at.isoformat() + "Z", "alert": payload}
    )


def post_webhook(
    *, url: str, secret: str, kind: str, event: str, delivery_id: str, payload: dict[str, Any], now: datetime,
    client: httpx.Client,
) -> int:  # fmt: skip
    """POST one signed webhook; returns the status code, raises DeliveryError unless it is 2xx."""
    body = webhook_body(kind, event, delivery_id, payload, now)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "cxloop-webhooks/1",
        SIGNATURE_HEADER: sign(secret, body),
        TIMESTAMP_HEADER: str(int((now - datetime(1970, 1, 1)).total_seconds())),
        DELIVERY_HEADER: delivery_id,
        EVENT_HEADER: event,
    }
    try:
        response = client.post(url, content=body, headers=headers)
    except httpx.HTTPError as exc:
        raise DeliveryError(f"{type(exc).__name__}: {exc}") from exc
    if not 200 <= response.status_code < 300:
        raise DeliveryError(f"HTTP {response.status_code}: {response.text[:200]}")
    return response.status_code


def send_email(config: SmtpConfig, *, to: str, subject: str, body: str, message_id: str) -> None:
    if not config.host:
        raise DeliveryError("SMTP is not configured: set CXLOOP_SMTP_HOST (and CXLOOP_SMTP_FROM)")
    message = EmailMessage()
    message["From"] = config.sender
    message["To"] = to
    message["Subject"] = subject
    message["X-Cxloop-Delivery"] = message_id
    message.set_content(body)
    try:
        with smtplib.SMTP(config.host, config.port, timeout=config.timeout) as smtp:
            if config.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if config.username:
                smtp.login(config.username, config.password)
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        raise DeliveryError(f"{type(exc).__name__}: {exc}") from exc


def backoff(attempts: int, base_seconds: float) -> timedelta:
    """Wait before the next try after `attempts` failures: base × 2^(attempts−1), at most an hour."""
    seconds = base_seconds * (2 ** max(0, attempts - 1))
    return min(timedelta(seconds=seconds), MAX_BACKOFF)
