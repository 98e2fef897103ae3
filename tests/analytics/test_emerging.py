"""Spike and new-phrase detection on synthetic daily counts, and on the demo company's app-release incident."""

from __future__ import annotations

import math
import re
from collections import Counter
from datetime import date, datetime, timedelta, timezone
from random import Random

import numpy as np
import pytest

from cxloop.analytics.emerging import Detection, detect_new_phrases, detect_spikes, surprise

START = date(2026, 3, 2)  # a Monday
KST = timezone(timedelta(hours=9))


def seasonal_series(
    days: int, *, weekday: float = 30.0, weekend: float = 60.0, seed: int = 1, growth: float = 0.0
) -> dict[date, int]:
    """Poisson counts, weekends high, optionally growing by ``growth`` per day (compounded)."""
    rng = np.random.default_rng(seed)
    series = {}
    for offset in range(days):
        day = START + timedelta(days=offset)
        mean = (weekend if day.weekday() >= 5 else weekday) * (1.0 + growth) ** offset
        series[day] = int(rng.poisson(mean))
    return series


def spikes(series: dict[date, int], day: date, **kwargs: object) -> list[Detection]:
    return detect_spikes({"배송 지연": series}, kind="topic_spike", day=day, **kwargs)  # type: ignore[arg-type]


def test_normal_saturdays_and_other_days_of_a_seasonal_series_are_quiet() -> None:
    for seed in range(5):
        series = seasonal_series(12 * 7, seed=seed)
        for day in sorted(series)[-28:]:
            assert spikes(series, day) == [], (seed, day)
    saturday = START + timedelta(weeks=11, days=5)
    assert saturday.weekday() == 5
    series = seasonal_series(12 * 7)
    assert series[saturday] > 45  # a busy day in absolute terms, ordinary for a Saturday


def test_four_fold_tuesday_is_a_spike() -> None:
    series = seasonal_series(10 * 7 + 1)
    tuesday = START + timedelta(weeks=10, days=1)
    assert tuesday.weekday() == 1
    series[tuesday] = 4 * 30
    [found] = spikes(series, tuesday)
    assert found.kind == "topic_spike"
    assert found.subject == "배송 지연"
    assert found.day == tuesday
    assert found.observed == 120
    assert 25 < found.expected < 36  # a weekday expectation, not the weekly mean
    assert found.score >= 4.0
    assert found.lift == pytest.approx(120 / found.expected)
    assert found.baseline_days == 56


def test_a_spike_on_a_saturday_is_judged_against_saturdays() -> None:
    series = seasonal_series(10 * 7 + 5)
    saturday = START + timedelta(weeks=10, days=5)
    series[saturday] = 65  # twice a weekday, a normal Saturday
    assert spikes(series, saturday) == []
    series[saturday] = 200
    [found] = spikes(series, saturday)
    assert found.expected > 50


def test_slow_trend_is_not_a_spike() -> None:
    series = seasonal_series(14 * 7, weekday=10, weekend=20, growth=0.02)  # ×16 over the period
    for day in sorted(series)[-21:]:
        assert spikes(series, day) == [], day


def test_large_stable_series_moving_a_little_is_not_a_spike() -> None:
    series = seasonal_series(10 * 7 + 2, weekday=10_000, weekend=12_000)
    wednesday = START + timedelta(weeks=10, days=2)
    series[wednesday] = 11_500  # +15%: hugely significant for a Poisson, irrelevant for a CX team
    assert spikes(series, wednesday) == []
    series[wednesday] = 20_000
    assert len(spikes(series, wednesday)) == 1


def test_bursty_sparse_series_is_not_flagged_at_its_usual_burst_size() -> None:
    rng = Random(3)
    series = {START + timedelta(days=i): (rng.choice((5, 6, 7)) if rng.random() < 0.15 else 0) for i in range(70)}
    day = START + timedelta(days=70)
    series[day] = 7
    assert spikes(series, day) == []


def test_a_past_spike_does_not_hide_a_new_one() -> None:
    series = seasonal_series(10 * 7 + 1)
    series[START + timedelta(weeks=8, days=1)] = 150
    series[START + timedelta(weeks=9, days=3)] = 160
    tuesday = START + timedelta(weeks=10, days=1)
    series[tuesday] = 120
    assert len(spikes(series, tuesday)) == 1


def test_a_subject_that_never_appeared_spikes_and_is_a_new_phrase() -> None:
    day = START + timedelta(weeks=8)
    quiet = {START + timedelta(days=i): 0 for i in range(56)}
    daily = {"기존 주제": seasonal_series(56), "앱 강제종료": {day: 20}}
    found = detect_spikes(daily, kind="keyword_spike", day=day)
    assert [d.subject for d in found] == ["앱 강제종료"]
    assert found[0].expected < 0.1
    assert spikes({**quiet, day: 20}, day, history_start=START)[0].observed == 20
    [new] = detect_new_phrases({"앱 강제종료": 20, "배송 지연": 25, "쿠폰": 2}, {"배송 지연": 300}, day=day)
    assert (new.kind, new.subject, new.observed, new.expected, new.baseline_days) == (
        "new_phrase",
        "앱 강제종료",
        20,
        0.0,
        56,
    )
    assert new.score >= 4.0
    assert new.lift == math.inf


def test_new_phrases_need_evidence_and_enough_baseline() -> None:
    day = START + timedelta(weeks=8)
    assert detect_new_phrases({"새 표현": 5}, {}, day=day) != []
    # Five mentions over a fortnight after a fortnight of silence is not news.
    assert detect_new_phrases({"새 표현": 5}, {}, day=day, recent_days=14, baseline_days=14) == []
    assert detect_new_phrases({"새 표현": 50}, {}, day=day, baseline_days=7) == []
    assert detect_new_phrases({"새 표현": 4}, {}, day=day) == []
    assert detect_new_phrases({"새 표현": 30}, {"새 표현": 1}, day=day) == []
    assert detect_new_phrases({"새 표현": 30}, {"새 표현": 1}, day=day, max_baseline_count=1) != []


def test_zeros_and_empty_input_give_nothing() -> None:
    day = START + timedelta(weeks=8)
    zeros = {START + timedelta(days=i): 0 for i in range(57)}
    assert spikes(zeros, day) == []
    assert detect_spikes({}, kind="topic_spike", day=day) == []
    assert detect_spikes({"a": {}}, kind="topic_spike", day=day) == []
    assert detect_new_phrases({}, {}, day=day) == []


def test_short_history_gives_no_detection() -> None:
    series = seasonal_series(10)
    day = START + timedelta(days=10)
    series[day] = 500
    assert spikes(series, day) == []
    series = seasonal_series(14)
    day = START + timedelta(days=14)
    series[day] = 500
    assert spikes(series, day)[0].baseline_days == 14


def test_results_are_deterministic_and_ordered() -> None:
    day = START + timedelta(weeks=9)
    daily = {f"kw{i}": seasonal_series(63, seed=i) for i in range(6)}
    for i in (1, 3, 4):
        daily[f"kw{i}"][day] = 150 + 10 * i
    first = detect_spikes(daily, kind="keyword_spike", day=day)
    again = detect_spikes(dict(reversed(list(daily.items()))), kind="keyword_spike", day=day)
    assert first == again
    assert {d.subject for d in first} == {"kw1", "kw3", "kw4"}
    assert [d.score for d in first] == sorted((d.score for d in first), reverse=True)


def test_surprise_is_ordered_and_finite() -> None:
    assert surprise(3, 5.0) == 0.0
    assert 4.5 < surprise(20, 5.0) < 5.5  # Poisson(5): P(X ≥ 20) ≈ 8e-7
    assert surprise(20, 5.0, 0.5) < surprise(20, 5.0)
    assert math.isfinite(surprise(5_000, 1.0))
    assert surprise(5_000, 1.0) > surprise(500, 1.0) > 30
    assert 1.9 < surprise(10_200, 10_000.0) < 2.1


def test_kind_is_validated() -> None:
    with pytest.raises(ValueError, match="kind"):
        detect_spikes({}, kind="spike", day=START)


@pytest.fixture(scope="module")
def demo_login_trouble() -> dict[date, int]:
    from cxloop.demo.synth import generate_company

    words = re.compile(r"로그인|튕|crash|login", re.IGNORECASE)
    company = generate_company(customers=1500)
    counts: Counter[date] = Counter()
    for item in company.feedback:
        day = datetime.fromisoformat(str(item["occurred_at"])).astimezone(KST).date()
        counts[day] += 0
        if words.search(str(item["text"] or "")):
            counts[day] += 1
    return dict(counts)


def test_demo_app_release_incident_is_detected(demo_login_trouble: dict[date, int]) -> None:
    daily = {"login / crash": demo_login_trouble}
    release = date(2026, 8, 11)
    incident = [
        d
        for offset in range(-1, 5)
        for d in detect_spikes(daily, kind="keyword_spike", day=release + timedelta(offset))
    ]
    assert incident, "the release-day spike in login and crash complaints was missed"
    assert min(d.day for d in incident) == release
    assert incident[0].observed >= 4 * incident[0].expected
    quiet_week = [date(2026, 9, 7) + timedelta(days=i) for i in range(7)]
    assert [d for day in quiet_week for d in detect_spikes(daily, kind="keyword_spike", day=day)] == []
