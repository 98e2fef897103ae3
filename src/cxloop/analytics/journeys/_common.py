"""What every journey analysis shares: parsed parameters, the event table with local time, period bounds.

Times are stored as naive UTC; people ask about business-local days, weeks and months, so every
analysis shifts by the business's UTC offset once, here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import ibis
from ibis import _

from cxloop.errors import InvalidInput

_WINDOW = re.compile(r"^\s*(\d{1,5})\s*([mhdw])\s*$", re.IGNORECASE)
_UNIT_SECONDS = {"m": 60, "h": 3600, "d": 86_400, "w": 604_800}
MAX_WINDOW_SECONDS = 366 * 86_400
MAX_STEPS = 10
_EVENT_TYPE = re.compile(r"^[A-Za-z0-9_.:\-]{1,64}$")


@dataclass(frozen=True)
class Window:
    """A conversion window such as `7d`: the text people typed and its length."""

    text: str
    seconds: int

    @property
    def delta(self) -> timedelta:
        return timedelta(seconds=self.seconds)

    @property
    def interval(self) -> ibis.IntervalScalar:
        return ibis.interval(seconds=self.seconds)


def parse_window(text: str) -> Window:
    """`30m`, `12h`, `7d` or `2w`; anything else is an InvalidInput naming the accepted forms."""
    match = _WINDOW.match(text or "")
    if not match:
        raise InvalidInput(
            f"window {text!r} is not a duration: use a number and a unit m, h, d or w, e.g. 30m, 12h, 7d, 2w",
            details={"field": "window", "value": text},
        )
    seconds = int(match.group(1)) * _UNIT_SECONDS[match.group(2).lower()]
    if seconds <= 0 or seconds > MAX_WINDOW_SECONDS:
        raise InvalidInput(
            f"window {text!r} must be longer than zero and at most 366 days", details={"field": "window", "value": text}
        )
    return Window(f"{match.group(1)}{match.group(2).lower()}", seconds)


def event_type(name: str, field: str = "event") -> str:
    """An event type as stored (`add_to_cart`); rejects blanks and characters no event type has."""
    cleaned = (name or "").strip()
    if not _EVENT_TYPE.match(cleaned):
        raise InvalidInput(
            f"{field} {name!r} is not an event type: use letters, digits, '_', '.', ':' or '-' (at most 64)",
            details={"field": field, "value": name},
        )
    return cleaned


def parse_steps(steps: list[str] | str) -> list[str]:
    """Funnel steps from a list or a comma-separated text: 2 to 10 event types."""
    items = [s for s in (steps.split(",") if isinstance(steps, str) else steps) if s.strip()]
    if len(items) < 2:
        raise InvalidInput(
            f"a funnel needs at least 2 steps, got {len(items)}: give event types in order, e.g. visit,purchase",
            details={"field": "steps"},
        )
    if len(items) > MAX_STEPS:
        raise InvalidInput(f"a funnel has at most {MAX_STEPS} steps, got {len(items)}", details={"field": "steps"})
    return [event_type(s, "step") for s in items]


@dataclass(frozen=True)
class Period:
    """Business-local days [first, last], both inclusive; either end may be open."""

    first: date | None = None
    last: date | None = None

    def __post_init__(self) -> None:
        if self.first and self.last and self.first > self.last:
            raise InvalidInput(
                f"the period starts ({self.first}) after it ends ({self.last})", details={"field": "from"}
            )

    def utc_bounds(self, offset_minutes: int) -> tuple[datetime | None, datetime | None]:
        """[start, end) in stored UTC time."""
        shift = timedelta(minutes=offset_minutes)
        start = datetime.combine(self.first, datetime.min.time()) - shift if self.first else None
        end = datetime.combine(self.last, datetime.min.time()) + timedelta(days=1) - shift if self.last else None
        return start, end


def within(table: ibis.Table, column: str, start: datetime | None, end: datetime | None) -> ibis.Table:
    """Rows whose `column` lies in [start, end); open ends do not filter."""
    if start is not None:
        table = table.filter(table[column] >= ibis.timestamp(start))
    if end is not None:
        table = table.filter(table[column] < ibis.timestamp(end))
    return table


def customer_events(events: ibis.Table) -> ibis.Table:
    """Events attributed to a customer: anonymous events cannot take part in a journey."""
    return events.filter(_.customer_id.notnull()).select("customer_id", "type", "channel", "occurred_at")


def local_time(column: ibis.Value, offset_minutes: int) -> ibis.Value:
    return column + ibis.interval(minutes=offset_minutes) if offset_minutes else column


def seconds_between(later: ibis.Value, earlier: ibis.Value) -> ibis.Value:
    """Whole seconds from `earlier` to `later`, an integer on every engine (DuckDB's DATE_DIFF,
    PostgreSQL's epoch of the difference, Spark's TIMESTAMPDIFF). On DuckDB seven medians of it cost
    less than half as much as medians of subtracted EPOCH()s, which go through doubles."""
    return later.delta(earlier, unit="second")


def share(part: int | float | None, whole: int | float | None) -> float | None:
    return float(part or 0) / float(whole) if whole else None
