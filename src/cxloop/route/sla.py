"""SLA clocks in business hours: working days and hours in the business's zone, public holidays skipped.

Times in and out are naive UTC, like everything in the store. Korean public holidays (including the
alternative holidays) come from `holidays.KR`; another country code can be configured.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays as holiday_calendars

from cxloop.errors import InvalidInput

#: Days an SLA may span at most; a target that would need more is refused rather than looped over.
_MAX_DAYS = 3 * 366
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@functools.lru_cache(maxsize=64)
def _holidays_of(country: str, year: int) -> frozenset[date]:
    return frozenset(holiday_calendars.country_holidays(country, years=year).keys())


def parse_weekdays(text: str) -> frozenset[int]:
    """`mon-fri`, `mon,tue,thu` or `sun-thu` as weekday numbers (Monday 0)."""
    days: set[int] = set()
    for part in (p.strip().lower() for p in text.split(",") if p.strip()):
        first, _, last = part.partition("-")
        if first not in _WEEKDAYS or (last and last not in _WEEKDAYS):
            raise InvalidInput(f"business days {text!r}: use day names like mon-fri or mon,wed,fri")
        start, end = _WEEKDAYS.index(first), _WEEKDAYS.index(last or first)
        span = range(start, end + 1) if start <= end else [*range(start, 7), *range(0, end + 1)]
        days.update(span)
    if not days:
        raise InvalidInput("business days: name at least one day, e.g. mon-fri")
    return frozenset(days)


def parse_clock(text: str, field: str) -> time:
    try:
        return time.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(f"{field}: {text!r} is not a time of day such as 09:00") from None


@dataclass(frozen=True, slots=True)
class BusinessCalendar:
    """When the team works: `opens`-`closes` local time on `weekdays`, never on public holidays."""

    zone: str = "Asia/Seoul"
    opens: time = time(9, 0)
    closes: time = time(18, 0)
    weekdays: frozenset[int] = frozenset(range(5))
    holiday_country: str | None = "KR"

    def __post_init__(self) -> None:
        if self.closes <= self.opens:
            raise InvalidInput(f"business hours must close after they open ({self.opens} - {self.closes})")

    @property
    def _tz(self) -> ZoneInfo:
        return ZoneInfo(self.zone)

    def is_working_day(self, day: date) -> bool:
        if day.weekday() not in self.weekdays:
            return False
        return not (self.holiday_country and day in _holidays_of(self.holiday_country, day.year))

    def _local(self, moment: datetime) -> datetime:
        return moment.replace(tzinfo=UTC).astimezone(self._tz)

    def _utc(self, day: date, clock: time) -> datetime:
        return datetime.combine(day, clock, self._tz).astimezone(UTC).replace(tzinfo=None)

    def add_business_time(self, start: datetime, duration: timedelta) -> datetime:
        """The UTC moment `duration` of working time after `start` (naive UTC)."""
        remaining = duration
        local = self._local(start)
        day, clock = local.date(), local.timetz().replace(tzinfo=None)
        for _ in range(_MAX_DAYS):
            if self.is_working_day(day) and clock < self.closes:
                begin = max(clock, self.opens)
                available = datetime.combine(day, self.closes) - datetime.combine(day, begin)
                if remaining <= available:
                    return self._utc(day, begin) + remaining
                remaining -= available
            day, clock = day + timedelta(days=1), time(0, 0)
        raise InvalidInput(f"an SLA of {duration} does not fit in {_MAX_DAYS} days of business hours")

    def business_time_between(self, start: datetime, end: datetime) -> timedelta:
        """Working time from `start` to `end` (naive UTC); zero when `end` is not after `start`."""
        if end <= start:
            return timedelta(0)
        first, last = self._local(start), self._local(end)
        total = timedelta(0)
        day = first.date()
        for _ in range(_MAX_DAYS):
            if day > last.date():
                break
            if self.is_working_day(day):
                lower = max(self.opens, first.time()) if day == first.date() else self.opens
                upper = min(self.closes, last.time()) if day == last.date() else self.closes
                if upper > lower:
                    total += datetime.combine(day, upper) - datetime.combine(day, lower)
            day += timedelta(days=1)
        return total


@dataclass(frozen=True, slots=True)
class SlaPolicy:
    """Targets in business hours for one priority (or a named policy a rule picks)."""

    name: str
    first_response_hours: float
    resolution_hours: float

    def due_times(self, calendar: BusinessCalendar, opened_at: datetime) -> tuple[datetime, datetime]:
        return _due_times(self, calendar, opened_at)


@functools.lru_cache(maxsize=4096)
def _due_times(policy: SlaPolicy, calendar: BusinessCalendar, opened_at: datetime) -> tuple[datetime, datetime]:
    # A pipeline batch opens all its cases at the same moment: each policy's due times are computed once.
    return (
        calendar.add_business_time(opened_at, timedelta(hours=policy.first_response_hours)),
        calendar.add_business_time(opened_at, timedelta(hours=policy.resolution_hours)),
    )


def elapsed_ratio(calendar: BusinessCalendar, opened_at: datetime, due_at: datetime, now: datetime) -> float:
    """How much of the business time between opening and due has passed (1.0 = due now)."""
    target = calendar.business_time_between(opened_at, due_at)
    if target <= timedelta(0):
        return 1.0 if now >= due_at else 0.0
    return calendar.business_time_between(opened_at, now) / target


def calendar_from_settings(
    zone: str, opens: str, closes: str, weekdays: str, holiday_country: str | None
) -> BusinessCalendar:
    return BusinessCalendar(
        zone=zone,
        opens=parse_clock(opens, "business hours start"),
        closes=parse_clock(closes, "business hours end"),
        weekdays=parse_weekdays(weekdays),
        holiday_country=holiday_country or None,
    )
