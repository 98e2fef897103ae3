"""Concrete values for feedback templates: products, order ids, dates, amounts, and pasted PII."""

from __future__ import annotations

import random
from datetime import date, datetime

from cxloop.demo.catalog import PRODUCTS
from cxloop.demo.experience import Order
from cxloop.demo.names import AGENTS_EN, AGENTS_KO, CARRIERS_EN, CARRIERS_KO
from cxloop.demo.people import Person, write_phone
from cxloop.demo.timeline import Timeline

_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_COUPONS = ("SUMMER15", "WELCOME10", "BIRTHDAY5", "APP3000")
_CARD_PREFIXES = ("4", "5", "9410", "3")


def make_slots(
    rng: random.Random,
    timeline: Timeline,
    at: datetime,
    person: Person | None,
    order: Order | None = None,
    wait_minutes: int | None = None,
    version: str | None = None,
    pii: str | None = None,
) -> dict[str, str]:
    """Every template slot filled; when the text is about a real order, its product, id and amount."""
    product = order.product if order else rng.choice(PRODUCTS)
    ordered = order.ordered_at if order else at
    due = ordered.date().toordinal() + rng.randint(1, 3)
    due_day = date.fromordinal(due)
    agent = rng.randrange(len(AGENTS_KO))
    carrier = rng.randrange(len(CARRIERS_KO))
    amount = order.value if order else product.price * rng.choice((1, 1, 2)) // 10 * 10
    slots = {
        "product": product.name,
        "product_en": product.name_en,
        "order": order.order_id if order else f"O{ordered:%Y%m%d}-{rng.randrange(1, 999_999):06d}",
        "has_order": "1" if order else "0",
        "days": str(max(2, (at - ordered).days) if order else rng.randint(2, 14)),
        "date": f"{due_day.month}월 {due_day.day}일",
        "date_en": f"{_MONTHS[due_day.month - 1]} {due_day.day}",
        "amount": f"{amount:,}",
        "carrier": CARRIERS_KO[carrier],
        "carrier_en": CARRIERS_EN[carrier],
        "wait": str(wait_minutes if wait_minutes and wait_minutes > 1 else rng.randint(8, 55)),
        "agent": AGENTS_KO[agent],
        "agent_en": AGENTS_EN[agent % len(AGENTS_EN)],
        "version": version or timeline.app_version(timeline.day_of(at)),
        "coupon": rng.choice(_COUPONS),
        "brand": "루프마켓",
        "brand_en": "LoopMarket",
        "name": person.name if person else "",
        "name_en": person.name_en if person else "",
    }
    # Only the PII the customer actually pastes is fabricated; templates never reference the others.
    if pii == "phone":
        slots["phone"] = write_phone(rng, person.phone if person else f"010{rng.randrange(10**8):08d}", 0.0)
    elif pii == "email":
        slots["email"] = person.email if person else f"user{rng.randrange(1000, 99999)}@naver.com"
    elif pii == "card":
        slots["card"] = _card_number(rng)
    elif pii == "rrn":
        slots["rrn"] = _resident_number(rng, person)
    return slots


def _card_number(rng: random.Random) -> str:
    """A Luhn-valid 16-digit card number, so PII detectors that check the checksum still fire."""
    digits = [int(d) for d in rng.choice(_CARD_PREFIXES)]
    while len(digits) < 15:
        digits.append(rng.randrange(10))
    total = 0
    for position, digit in enumerate(reversed(digits)):
        doubled = digit * 2 if position % 2 == 0 else digit
        total += doubled - 9 if doubled > 9 else doubled
    digits.append((10 - total % 10) % 10)
    text = "".join(map(str, digits))
    separator = rng.choice(("-", " ", ""))
    return separator.join(text[i : i + 4] for i in range(0, 16, 4))


def _resident_number(rng: random.Random, person: Person | None) -> str:
    """A 주민등록번호-shaped string: birth date, then a century/gender digit and six more digits."""
    born = person.birth_date if person else date(1990, 1, 1)
    female = person is not None and person.gender == "F"
    century_digit = (3 if born.year >= 2000 else 1) + (1 if female else 0)
    return f"{born:%y%m%d}-{century_digit}{rng.randrange(10**6):06d}"
