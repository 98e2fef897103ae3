"""Generate a deterministic synthetic company: customers, journey events and multilingual feedback."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date

from cxloop.demo.feedback import make_feedback
from cxloop.demo.journeys import simulate_journeys
from cxloop.demo.people import customer_records, make_people
from cxloop.demo.timeline import Timeline, make_timeline

__all__ = ["SyntheticCompany", "generate_company"]


@dataclass(frozen=True)
class SyntheticCompany:
    """Import-ready records using the canonical field names of each record kind."""

    customers: list[dict[str, object]]
    events: list[dict[str, object]]
    feedback: list[dict[str, object]]
    timeline: Timeline  # the calendar the records follow: promotion, app release and hotfix days


def generate_company(
    seed: int = 42, customers: int = 5000, start: date = date(2026, 5, 1), days: int = 184
) -> SyntheticCompany:
    """The same arguments always give byte-identical records; no global randomness, no clock.

    Each stage draws from its own seeded stream, so changing how feedback is written does not
    reshuffle the customers or their events.
    """
    if customers < 1:
        raise ValueError("customers must be at least 1")
    timeline = make_timeline(start, days)
    people = make_people(random.Random(f"{seed}:people"), customers, timeline)
    customer_rows = customer_records(random.Random(f"{seed}:customers"), people)
    events, experiences = simulate_journeys(random.Random(f"{seed}:journeys"), people, timeline)
    feedback = make_feedback(random.Random(f"{seed}:feedback"), timeline, experiences)
    return SyntheticCompany(customers=customer_rows, events=events, feedback=feedback, timeline=timeline)
