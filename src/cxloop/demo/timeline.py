"""The demo company's calendar: seasonality, campaign and app-release dates, and timestamp writing."""

from __future__ import annotations

import bisect
import itertools
import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta

KST_OFFSET = timedelta(hours=9)

# Chuseok moves with the lunar calendar; gift orders and courier backlogs peak in the days before it.
_CHUSEOK = (
    date(2024, 9, 17),
    date(2025, 10, 6),
    date(2026, 9, 25),
    date(2027, 9, 15),
    date(2028, 10, 3),
    date(2029, 9, 22),
    date(2030, 9, 12),
)

# Korean e-commerce traffic by hour (KST): a lunch-break bump and a late-evening peak.
_HOUR_WEIGHTS = (
    2,
    1,
    0.6,
    0.4,
    0.3,
    0.4,
    1,
    2,
    3.5,
    4.5,
    5,
    5.5,
    7,
    6.5,
    5,
    4.5,
    4.5,
    5,
    5.5,
    6.5,
    8,
    9,
    8,
    5,
)
_HOUR_CUM = tuple(itertools.accumulate(_HOUR_WEIGHTS))
_WEEKDAY_WEIGHTS = (1.05, 0.95, 0.95, 1.0, 0.9, 1.1, 1.25)  # Monday first; Sunday evening shopping is strong

_MIN_DAYS = 28


@dataclass(frozen=True)
class Timeline:
    """The simulated date range with its traffic weights and the company's dated happenings."""

    start: date
    days: int
    promo_days: range  # the summer-sale week: more traffic, coupons, bigger baskets
    rush_days: range  # pre-Chuseok courier backlog; empty when no Chuseok falls in range
    release_day: int  # the app release that breaks login for a few days
    hotfix_day: int
    cum_day_weights: tuple[float, ...]
    app_versions: tuple[tuple[int, str], ...]  # (day index from which it is current, version)

    @property
    def end(self) -> datetime:
        return datetime.combine(self.start, datetime.min.time()) + timedelta(days=self.days)

    def day_of(self, moment: datetime) -> int:
        return moment.toordinal() - self.start.toordinal()

    def in_promo(self, day_index: int) -> bool:
        return day_index in self.promo_days

    def in_rush(self, day_index: int) -> bool:
        return day_index in self.rush_days

    def app_version(self, day_index: int) -> str:
        """The newest app version published on or before the given day."""
        current = self.app_versions[0][1]
        for first_day, version in self.app_versions:
            if first_day > day_index:
                break
            current = version
        return current

    def pick_day(self, rng: random.Random, first: int = 0) -> int:
        """A day index in [first, days) drawn by the traffic weights."""
        first = min(max(first, 0), self.days - 1)
        low = self.cum_day_weights[first - 1] if first else 0.0
        target = low + rng.random() * (self.cum_day_weights[-1] - low)
        return min(bisect.bisect_right(self.cum_day_weights, target), self.days - 1)

    def moment(self, rng: random.Random, day_index: int) -> datetime:
        """A KST wall-clock moment on the given day, drawn by the hourly traffic curve."""
        hour = bisect.bisect_right(_HOUR_CUM, rng.random() * _HOUR_CUM[-1])
        seconds = hour * 3600 + rng.randrange(3600)
        return datetime.combine(self.start, datetime.min.time()) + timedelta(days=day_index, seconds=seconds)


def _first_weekday_on_or_after(day: date, weekday: int) -> date:
    return day + timedelta(days=(weekday - day.weekday()) % 7)


def make_timeline(start: date, days: int) -> Timeline:
    """Lay out the calendar: promo week at ~38% of the range, a buggy app release at ~55%."""
    if days < _MIN_DAYS:
        raise ValueError(f"days must be at least {_MIN_DAYS} so the promotion and app release fit")
    promo_start = (_first_weekday_on_or_after(start + timedelta(days=round(days * 0.38)), 0) - start).days
    promo_days = range(promo_start, min(promo_start + 7, days))
    # Releases ship on Tuesdays; the hotfix follows four days later.
    release_day = (_first_weekday_on_or_after(start + timedelta(days=round(days * 0.55)), 1) - start).days
    release_day = min(release_day, days - 8)
    hotfix_day = release_day + 4
    rush_days = range(0)
    holiday = -1
    for chuseok in _CHUSEOK:
        offset = (chuseok - start).days
        if 0 <= offset < days:
            rush_days = range(max(offset - 10, 0), offset - 1)
            holiday = offset
    weights = []
    for index in range(days):
        day = start + timedelta(days=index)
        weight = _WEEKDAY_WEIGHTS[day.weekday()] * (1.0 + 0.15 * index / days)  # slow growth
        if day.day == 25:  # the common Korean payday
            weight *= 1.35
        elif day.day in (10, 26):
            weight *= 1.12
        if index in promo_days:
            weight *= 1.6
        if index in rush_days:
            weight *= 1.3
        if holiday >= 0 and abs(index - holiday) <= 1:
            weight *= 0.6
        weights.append(weight)
    app_versions = (
        (-9999, "5.0.4"),
        (release_day - 41, "5.1.0"),
        (release_day - 19, "5.1.3"),
        (release_day, "5.2.0"),
        (hotfix_day, "5.2.1"),
        (hotfix_day + 45, "5.3.0"),
    )
    return Timeline(
        start=start,
        days=days,
        promo_days=promo_days,
        rush_days=rush_days,
        release_day=release_day,
        hotfix_day=hotfix_day,
        cum_day_weights=tuple(itertools.accumulate(weights)),
        app_versions=app_versions,
    )


def kst_text(moment: datetime) -> str:
    """ISO-8601 with the Korean offset, as most of the company's systems write it."""
    return moment.isoformat(timespec="seconds") + "+09:00"


def utc_text(moment: datetime) -> str:
    """ISO-8601 in UTC with a Z, as the global SaaS tools write it."""
    return (moment - KST_OFFSET).isoformat(timespec="seconds") + "Z"
