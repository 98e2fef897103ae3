"""Verification of improvement actions on both stores: a real drop in negative share is verified, no
change is not, a small sample is insufficient, and an incomplete after window stays provisional."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from cxloop.analytics.verification import measure_topic
from cxloop.config import load_settings
from cxloop.jobs.alerts import review_actions
from cxloop.notify import actions as service
from cxloop.store.engine import Store
from notify.seed import seed_topic

SHIPPED = datetime(2026, 9, 1, 3, 0)
CUSTOMERS = [f"CUST{n:022d}" for n in range(40)]


def _seed(store: Store, topic: str, before: tuple[int, int], after: tuple[int, int], **survey: tuple[str, int]) -> None:
    """(per_day, negative_per_day) over 28 days on each side of SHIPPED."""
    seed_topic(store, topic, start=SHIPPED - timedelta(days=28), days=28, per_day=before[0],
               negative_per_day=before[1], customers=CUSTOMERS, survey=survey.get("survey_before"))  # fmt: skip
    seed_topic(store, topic, start=SHIPPED, days=28, per_day=after[0], negative_per_day=after[1],
               customers=CUSTOMERS, survey=survey.get("survey_after"))  # fmt: skip


def _measure(store: Store, topic: str, now: datetime) -> dict[str, object]:
    with store.read() as conn:
        return measure_topic(conn, topic, shipped_at=SHIPPED, before_days=28, after_days=28, now=now)


def test_a_real_drop_in_negative_share_is_verified(store: Store) -> None:
    _seed(store, "delivery", (8, 4), (8, 2), survey_before=("csat", 2), survey_after=("csat", 4))
    verdict = _measure(store, "delivery", SHIPPED + timedelta(days=30))
    assert verdict["outcome"] == "verified"
    assert verdict["final"] is True
    before, after = verdict["before"], verdict["after"]
    assert before == {"mentions": 224, "negative": 112, "negative_share": 0.5, "per_day": 8.0}  # type: ignore[comparison-overlap]
    assert after["mentions"] == 224
    assert after["negative"] == 56
    assert after["negative_share"] == 0.25
    p_value = verdict["negative_share_test"]["p_value"]  # type: ignore[index]
    assert 0 < p_value < 1e-6
    csat = verdict["scores"]["csat"]  # type: ignore[index]
    assert csat["mean_before"] == 2.0
    assert csat["mean_after"] == 4.0
    assert (csat["value_before"], csat["value_after"]) == (0.0, 100.0)  # the catalog's CSAT: share of 4-5
    assert csat["p_value"] < 0.001
    assert verdict["scores"]["nps"]["p_value"] is None  # type: ignore[index]  # no NPS answers at all


def test_survey_values_follow_the_catalog_definitions() -> None:
    from cxloop.analytics.verification import _survey_value

    assert _survey_value("nps", [10, 9, 8, 7, 6, 0]) == pytest.approx(0.0)  # 2 promoters, 2 detractors
    assert _survey_value("nps", [10, 10, 3]) == pytest.approx(33.3)
    assert _survey_value("csat", [5, 4, 3, 1]) == 50.0
    assert _survey_value("nps", []) is None


def test_no_change_is_not_verified(store: Store) -> None:
    _seed(store, "refund", (6, 3), (6, 3))
    verdict = _measure(store, "refund", SHIPPED + timedelta(days=30))
    assert verdict["outcome"] == "not_verified"
    assert verdict["final"] is True
    assert verdict["negative_share_test"]["p_value"] == pytest.approx(1.0)  # type: ignore[index]


def test_a_rise_is_never_verified_even_when_significant(store: Store) -> None:
    _seed(store, "app_bug", (8, 1), (8, 6))
    verdict = _measure(store, "app_bug", SHIPPED + timedelta(days=30))
    assert verdict["outcome"] == "not_verified"
    assert verdict["negative_share_test"]["p_value"] < 0.001  # type: ignore[index]


def test_a_small_sample_is_insufficient(store: Store) -> None:
    seed_topic(store, "packaging", start=SHIPPED - timedelta(days=5), days=5, per_day=1, negative_per_day=1,
               customers=CUSTOMERS)  # fmt: skip
    seed_topic(store, "packaging", start=SHIPPED, days=5, per_day=1, negative_per_day=0, customers=CUSTOMERS)
    verdict = _measure(store, "packaging", SHIPPED + timedelta(days=30))
    assert verdict["outcome"] == "insufficient_data"
    assert verdict["final"] is True
    assert "at least 30 mentions" in str(verdict["reason"])


def test_an_incomplete_after_window_is_provisional_and_too_short_is_insufficient(store: Store) -> None:
    _seed(store, "delivery", (8, 4), (8, 2))
    early = _measure(store, "delivery", SHIPPED + timedelta(days=5))  # 40 mentions, 5 days
    assert early["outcome"] == "insufficient_data"
    assert early["final"] is False
    assert "days have passed" in str(early["reason"])
    midway = _measure(store, "delivery", SHIPPED + timedelta(days=14))
    assert midway["outcome"] == "verified"
    assert midway["final"] is False
    assert midway["after"]["mentions"] == 14 * 8  # type: ignore[index]  # only what has happened so far


def test_shipping_an_action_settles_its_status_once_the_window_is_complete(store: Store) -> None:
    _seed(store, "delivery", (8, 4), (8, 2))
    with store.write() as conn:
        action = service.create_action(conn, store.dialect, title="Faster courier", topic="delivery",
                                       now=SHIPPED - timedelta(days=40))  # fmt: skip
        shipped = service.ship_action(conn, action["id"], now=SHIPPED + timedelta(days=10), offset_minutes=540,
                                      shipped_at=SHIPPED)  # fmt: skip
    assert shipped["status"] == "shipped"
    assert shipped["verdict"]["final"] is False
    settings = load_settings(environment="test")
    assert review_actions(store, settings, now=SHIPPED + timedelta(days=29)) == 1
    with store.read() as conn:
        final = service.get_action(conn, action["id"])
    assert final["status"] == "verified"
    assert final["verdict"]["final"] is True
    assert review_actions(store, settings, now=SHIPPED + timedelta(days=40)) == 0  # settled: not measured again
