"""The period a dated question covers when people leave the dates out: the same rule for the KPI
explorer, the funnel builder, the API and the CLI, so two views of one question agree on their days."""

from __future__ import annotations

from datetime import date, timedelta

from cxloop.errors import InvalidInput

#: Business-local days in a default period, ending on the newest record's day. Recent enough to act
#: on, long enough to hold a few weekly cycles, and what Amplitude and Mixpanel open their charts on.
DEFAULT_DAYS = 30


def default_days(first: date | None, last: date | None, newest: date | None) -> tuple[date, date] | None:
    """[first, last], both inclusive: a missing end is the newest record's day, a missing start is
    DEFAULT_DAYS back from the end. None when the end is missing and there are no records at all."""
    end = last or newest
    if end is None:
        return None
    start = first or end - timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        raise InvalidInput(f"from ({start}) is after to ({end})", details={"field": "from"})
    return start, end
