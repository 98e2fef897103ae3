"""Business-hours SLA clocks: weekends, Korean public holidays (Chuseok 2026) and elapsed ratios."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest

from cxloop.errors import InvalidInput
from cxloop.route.sla import BusinessCalendar, SlaPolicy, calendar_from_settings, elapsed_ratio, parse_weekdays

SEOUL = BusinessCalendar()


def utc(local: str) -> datetime:
    """A Seoul wall-clock time as naive UTC (KST is UTC+9, no daylight saving)."""
    return datetime.fromisoformat(local) - timedelta(hours=9)


def test_a_target_runs_over_the_weekend_only_in_business_hours() -> None:
    # Friday 2026-09-11 16:00 + 4h: 2h on Friday, then Monday 09:00 + 2h.
    assert SEOUL.add_business_time(utc("2026-09-11T16:00"), timedelta(hours=4)) == utc("2026-09-14T11:00")
    # Opened on Saturday night: the clock starts Monday 09:00.
    assert SEOUL.add_business_time(utc("2026-09-12T22:00"), timedelta(hours=1)) == utc("2026-09-14T10:00")
    # Before opening time on a weekday: starts at 09:00 the same day.
    assert SEOUL.add_business_time(utc("2026-09-15T07:30"), timedelta(minutes=30)) == utc("2026-09-15T09:30")


def test_chuseok_is_skipped() -> None:
    # 2026-09-24..26 (Thu-Sat) is Chuseok in holidays.KR; Wednesday 17:00 + 4h lands on Monday 12:00.
    assert SEOUL.is_working_day(datetime(2026, 9, 23).date())
    assert not SEOUL.is_working_day(datetime(2026, 9, 24).date())
    assert not SEOUL.is_working_day(datetime(2026, 9, 25).date())
    assert SEOUL.add_business_time(utc("2026-09-23T17:00"), timedelta(hours=4)) == utc("2026-09-28T12:00")
    # Without holidays the same target is Thursday 12:00.
    plain = BusinessCalendar(holiday_country=None)
    assert plain.add_business_time(utc("2026-09-23T17:00"), timedelta(hours=4)) == utc("2026-09-24T12:00")
    # An alternative holiday counts too: 2026-10-05 (Mon) for National Foundation Day on a Saturday.
    assert SEOUL.add_business_time(utc("2026-10-02T17:00"), timedelta(hours=2)) == utc("2026-10-06T10:00")


def test_policy_due_times_and_elapsed_business_time() -> None:
    policy = SlaPolicy("normal", first_response_hours=8, resolution_hours=40)
    first, resolve = policy.due_times(SEOUL, utc("2026-09-21T09:00"))  # Monday
    assert first == utc("2026-09-21T17:00")
    # 40h = Mon, Tue, Wed (27h), Chuseok Thu/Fri, weekend, Mon 28 (36h), then 4h on Tue 29 -> 13:00
    assert resolve == utc("2026-09-29T13:00")
    assert SEOUL.business_time_between(utc("2026-09-23T17:00"), utc("2026-09-28T12:00")) == timedelta(hours=4)
    assert elapsed_ratio(SEOUL, utc("2026-09-21T09:00"), first, utc("2026-09-21T15:24")) == pytest.approx(0.8)


def test_calendar_settings_are_checked() -> None:
    assert parse_weekdays("sun-thu") == frozenset({6, 0, 1, 2, 3})
    calendar = calendar_from_settings("Asia/Seoul", "08:30", "17:30", "mon-fri", "KR")
    assert calendar.opens == time(8, 30)
    with pytest.raises(InvalidInput):
        parse_weekdays("funday")
    with pytest.raises(InvalidInput):
        calendar_from_settings("Asia/Seoul", "18:00", "09:00", "mon-fri", "KR")
