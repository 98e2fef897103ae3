"""What happened to each synthetic customer (orders, contacts, failures) and the event log it writes."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime

from cxloop.demo.catalog import Product
from cxloop.demo.people import Handle, Person
from cxloop.demo.timeline import kst_text, utc_text

# How much one bad order outcome sours a customer; "ok" orders lift the mood instead.
OUTCOME_PENALTY: dict[str, float] = {
    "ok": 0.0,
    "late": 0.6,
    "damaged": 0.8,
    "defective": 1.0,
    "wrong_item": 0.8,
    "changed_mind": 0.15,
}

_EVENT_ID_PREFIX = {
    "crm": "WEB",
    "web": "GST",
    "app": "APP",
    "pos": "POS",
    "callcenter": "CC",
    "helpdesk": "HD",
    "delivery": "DLV",
    "mailer": "MLR",
}


@dataclass
class Order:
    order_id: str
    product: Product
    quantity: int
    value: int  # KRW paid
    ordered_at: datetime
    channel: str  # EventChannel value
    outcome: str  # a key of OUTCOME_PENALTY
    settled_at: datetime  # delivered, or paid at the store counter
    refunded: bool = False


@dataclass
class Contact:
    """One support contact: call, chat or e-mail."""

    at: datetime
    channel: str
    topic: str
    order: Order | None
    resolved: bool
    wait_minutes: int


@dataclass
class Experience:
    """Ground truth about one person's half year; feedback and survey scores are derived from it."""

    person: Person
    orders: list[Order] = field(default_factory=list)
    contacts: list[Contact] = field(default_factory=list)
    app_failures: list[datetime] = field(default_factory=list)
    payment_failures: list[datetime] = field(default_factory=list)
    closed_at: datetime | None = None  # account closed or membership cancelled

    def mood_at(self, moment: datetime) -> float:
        """Roughly -3..+1: the person's temper plus everything they went through before `moment`."""
        mood = self.person.temper
        good = 0
        for order in self.orders:
            if order.settled_at <= moment:
                if order.outcome == "ok":
                    good += 1
                else:
                    mood -= OUTCOME_PENALTY[order.outcome]
        mood += 0.12 * min(good, 4)
        for contact in self.contacts:
            if contact.at <= moment:
                mood -= 0.3 if contact.resolved else 0.7
                if contact.wait_minutes > 20:
                    mood -= 0.1
        mood -= 0.15 * min(sum(1 for failure in self.app_failures if failure <= moment), 3)
        mood -= 0.1 * min(sum(1 for failure in self.payment_failures if failure <= moment), 3)
        return mood

    def worst_topic(self, moment: datetime) -> str | None:
        """The feedback topic of the most recent trouble before `moment`, if any."""
        latest: tuple[datetime, str] | None = None
        for order in self.orders:
            if order.outcome != "ok" and order.settled_at <= moment and (not latest or order.settled_at > latest[0]):
                latest = (order.settled_at, OUTCOME_TOPIC[order.outcome])
        for contact in self.contacts:
            if contact.at <= moment and not contact.resolved and (not latest or contact.at > latest[0]):
                latest = (contact.at, "agent")
        for failure in self.app_failures:
            if failure <= moment and (not latest or failure > latest[0]):
                latest = (failure, "app_error")
        return latest[1] if latest else None


OUTCOME_TOPIC: dict[str, str] = {
    "ok": "delivery",
    "late": "delivery",
    "damaged": "packaging",
    "defective": "quality",
    "wrong_item": "delivery",
    "changed_mind": "refund",
}


class EventLog:
    """Collects events in any order; `records` sorts them by time and numbers them per source."""

    def __init__(self) -> None:
        self._rows: list[tuple[datetime, int, dict[str, object]]] = []
        self._sequence = itertools.count()

    def add(
        self,
        at: datetime,
        who: Handle,
        event_type: str,
        channel: str,
        stage: str,
        properties: dict[str, object],
        value: int | None = None,
    ) -> None:
        record: dict[str, object] = {
            "event_id": None,  # assigned in time order by `records`
            "source": who.source,
            "customer_external_id": who.external_id,
            "email": who.email,
            "phone": who.phone,
            "type": event_type,
            "channel": channel,
            "occurred_at": utc_text(at) if who.utc else kst_text(at),
            "value": value,
            "currency": "KRW" if value is not None else None,
            "journey_stage": stage,
            "properties": properties,
        }
        self._rows.append((at, next(self._sequence), record))

    def records(self, until: datetime) -> list[dict[str, object]]:
        """Events before `until`, oldest first, each with an id unique within its source."""
        self._rows.sort(key=lambda row: (row[0], row[1]))
        counters: dict[str, int] = {}
        out: list[dict[str, object]] = []
        for at, _, record in self._rows:
            if at >= until:
                continue  # deliveries and refunds scheduled after the window have not happened yet
            source = str(record["source"])
            counters[source] = counters.get(source, 0) + 1
            record["event_id"] = f"{_EVENT_ID_PREFIX.get(source, 'EV')}{counters[source]:08d}"
            out.append(record)
        return out
