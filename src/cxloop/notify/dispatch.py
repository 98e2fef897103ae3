"""The dispatcher: sends due outbox deliveries outside any transaction and records each outcome.

Each run claims a batch (a short write transaction that counts the attempt and leases the rows),
sends them one by one with no transaction open, then records sent / failed (retry with exponential
backoff) / dead (after `notify_max_attempts`, or at once when retrying cannot help).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
import sqlalchemy as sa

from cxloop.config import Settings
from cxloop.errors import Conflict, NotFound
from cxloop.governance.crypto import load_key_ring
from cxloop.notify import transport
from cxloop.notify.consent import customer_may_be_contacted
from cxloop.notify.outbox import email_text
from cxloop.notify.webhooks import open_secret
from cxloop.store import notifications as repo
from cxloop.store.customers import contact_email
from cxloop.store.engine import Store
from cxloop.store.intake import utc_now

logger = logging.getLogger(__name__)
#: How long a claimed delivery is reserved for the dispatcher that took it.
LEASE = timedelta(minutes=5)


@dataclass(slots=True)
class DispatchReport:
    sent: int = 0
    failed: int = 0
    dead: int = 0

    def to_dict(self) -> dict[str, int]:
        return {"sent": self.sent, "failed": self.failed, "dead": self.dead}


def smtp_config(settings: Settings) -> transport.SmtpConfig:
    return transport.SmtpConfig(
        host=settings.smtp_host,
        port=settings.smtp_port,
        username=settings.smtp_username,
        password=settings.smtp_password,
        sender=settings.smtp_from,
        starttls=settings.smtp_starttls,
        timeout=settings.webhook_timeout_seconds,
    )


class _Sender:
    """Sends one claimed batch: one HTTP client (kept-alive connections) and one look-up of the
    webhooks for the whole batch."""

    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        self.settings = settings
        self.http = httpx.Client(timeout=settings.webhook_timeout_seconds, follow_redirects=False)
        with store.read() as conn:
            self.hooks = {h["id"]: h for h in repo.list_webhooks(conn)}

    def close(self) -> None:
        self.http.close()

    def send(self, delivery: dict[str, Any], now: datetime) -> None:
        kind, payload = delivery["kind"], delivery["payload"]
        if kind == "webhook":
            hook = self.hooks.get(delivery["target"])
            if hook is None:
                raise transport.PermanentDeliveryError("the webhook was deleted")
            if not hook["enabled"]:
                raise transport.PermanentDeliveryError("the webhook is disabled")
            secret = open_secret(load_key_ring(self.settings), hook["secret"])
            transport.post_webhook(
                url=hook["url"], secret=secret, kind=hook["kind"], event=delivery["event"],
                delivery_id=delivery["id"], payload=payload, now=now, client=self.http,
            )  # fmt: skip
        elif kind == "email":
            subject, body = email_text(payload)
            transport.send_email(smtp_config(self.settings), to=delivery["target"], subject=subject, body=body,
                                 message_id=delivery["id"])  # fmt: skip
        elif kind == "customer_followup":
            # Consent is checked again at send time: it may have been withdrawn since the row was queued.
            with self.store.read() as conn:
                allowed = customer_may_be_contacted(conn, delivery["target"])
                address = contact_email(conn, load_key_ring(self.settings), delivery["target"]) if allowed else None
            if not allowed:
                raise transport.PermanentDeliveryError("the customer has not consented to be contacted")
            if address is None:
                raise transport.PermanentDeliveryError("the customer has no valid e-mail address")
            transport.send_email(smtp_config(self.settings), to=address, subject=payload["subject"],
                                 body=payload["body"], message_id=delivery["id"])  # fmt: skip
        else:
            raise transport.PermanentDeliveryError(f"unknown delivery kind {kind!r}")


def dispatch_due(store: Store, settings: Settings, *, now: datetime | None = None, limit: int = 100) -> DispatchReport:
    """Send every delivery due at `now` (at most `limit`); callable from tests and the server loop.

    Outcomes are written in one transaction after the batch is sent. A crash in between leaves the
    sent ones leased, and they go out again once the lease ends: delivery is at least once, and
    receivers can drop repeats by the `X-Cxloop-Delivery` id.
    """
    now = now or utc_now()
    report = DispatchReport()
    with store.write() as conn:
        claimed = repo.claim_due(conn, store.dialect, now, limit, LEASE)
    if not claimed:
        return report
    sender = _Sender(store, settings)
    outcomes: list[tuple[str, dict[str, Any]]] = []
    try:
        for delivery in claimed:
            outcome: dict[str, Any]
            try:
                sender.send(delivery, now)
                outcome = {"status": "sent", "sent_at": utc_now(), "last_error": None}
                report.sent += 1
            except transport.DeliveryError as exc:
                permanent = isinstance(exc, transport.PermanentDeliveryError)
                if permanent or delivery["attempts"] >= settings.notify_max_attempts:
                    outcome = {"status": "dead", "last_error": str(exc)[:2000]}
                    report.dead += 1
                else:
                    wait = transport.backoff(delivery["attempts"], settings.notify_backoff_seconds)
                    outcome = {"status": "failed", "last_error": str(exc)[:2000], "next_attempt_at": now + wait}
                    report.failed += 1
                logger.warning(
                    "delivery %s (%s) attempt %s: %s", delivery["id"], delivery["kind"], delivery["attempts"], exc
                )
            outcomes.append((delivery["id"], outcome))
    finally:
        sender.close()
        with store.write() as conn:
            for delivery_id, outcome in outcomes:
                repo.record_outcome(conn, delivery_id, updated_at=utc_now(), **outcome)
    return report


def retry_dead(conn: sa.Connection, delivery_id: str, now: datetime) -> dict[str, Any]:
    """Put a dead (or failed) delivery back in the queue with a fresh attempt budget."""
    delivery = repo.find_delivery(conn, delivery_id)
    if delivery is None:
        raise NotFound(f"no delivery {delivery_id!r}")
    if delivery["status"] not in ("dead", "failed"):
        raise Conflict(f"delivery {delivery_id} is {delivery['status']}; only dead or failed ones can be retried")
    repo.record_outcome(conn, delivery_id, status="pending", attempts=0, next_attempt_at=now, updated_at=now)
    delivery.update(status="pending", attempts=0, next_attempt_at=now, updated_at=now)
    return delivery
