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

import sqlalchemy as sa

from cxloop.config import Settings
from cxloop.errors import Conflict, NotFound
from cxloop.notify import transport
from cxloop.notify.consent import customer_may_be_contacted
from cxloop.notify.outbox import email_text
from cxloop.store import notifications as repo
from cxloop.store.engine import Store
from cxloop.store.intake import utc_now
from cxloop.store.tables import customer_identities

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


def _customer_email(conn: sa.Connection, customer_id: str) -> str | None:
    query = (
        sa.select(customer_identities.c.value)
        .where(
            customer_identities.c.customer_id == customer_id,
            customer_identities.c.kind == "email",
            customer_identities.c.is_valid.is_(True),
        )
        .order_by(customer_identities.c.created_at.desc())
        .limit(1)
    )
    value = conn.execute(query).scalar()
    return str(value) if value else None


def _send(store: Store, settings: Settings, delivery: dict[str, Any], now: datetime) -> None:
    kind, payload = delivery["kind"], delivery["payload"]
    if kind == "webhook":
        with store.read() as conn:
            hook = repo.find_webhook(conn, delivery["target"])
        if hook is None:
            raise transport.PermanentDeliveryError("the webhook was deleted")
        if not hook["enabled"]:
            raise transport.PermanentDeliveryError("the webhook is disabled")
        transport.post_webhook(
            url=hook["url"], secret=hook["secret"], kind=hook["kind"], event=delivery["event"],
            delivery_id=delivery["id"], payload=payload, now=now, timeout=settings.webhook_timeout_seconds,
        )  # fmt: skip
    elif kind == "email":
        subject, body = email_text(payload)
        transport.send_email(smtp_config(settings), to=delivery["target"], subject=subject, body=body,
                             message_id=delivery["id"])  # fmt: skip
    elif kind == "customer_followup":
        # Consent is checked again at send time: it may have been withdrawn since the row was queued.
        with store.read() as conn:
            allowed = customer_may_be_contacted(conn, delivery["target"])
            address = _customer_email(conn, delivery["target"]) if allowed else None
        if not allowed:
            raise transport.PermanentDeliveryError("the customer has not consented to be contacted")
        if address is None:
            raise transport.PermanentDeliveryError("the customer has no valid e-mail address")
        transport.send_email(smtp_config(settings), to=address, subject=payload["subject"], body=payload["body"],
                             message_id=delivery["id"])  # fmt: skip
    else:
        raise transport.PermanentDeliveryError(f"unknown delivery kind {kind!r}")


def dispatch_due(store: Store, settings: Settings, *, now: datetime | None = None, limit: int = 100) -> DispatchReport:
    """Send every delivery due at `now` (at most `limit`); callable from tests and the server loop."""
    now = now or utc_now()
    report = DispatchReport()
    with store.write() as conn:
        claimed = repo.claim_due(conn, store.dialect, now, limit, LEASE)
    for delivery in claimed:
        outcome: dict[str, Any]
        try:
            _send(store, settings, delivery, now)
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
        with store.write() as conn:
            repo.record_outcome(conn, delivery["id"], updated_at=utc_now(), **outcome)
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
