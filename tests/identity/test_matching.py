"""Probabilistic matching: pairs without a shared identifier, thresholds, review band, explanations."""

from __future__ import annotations

from cxloop.identity.evaluation import pair_scores
from cxloop.identity.resolve import MatchThresholds, resolve
from cxloop.identity.synthetic import make_people


def test_synthetic_korean_set_precision_and_recall() -> None:
    records, truth = make_people(1500, seed=11)
    result = resolve(records)
    scores = pair_scores(result.cluster_of, truth)
    assert scores.precision >= 0.98, scores
    assert scores.recall >= 0.97, scores
    deterministic = pair_scores(resolve(records, probabilistic=False).cluster_of, truth)
    assert scores.recall > deterministic.recall + 0.05  # matching finds what identifiers cannot


def test_links_explain_themselves_and_uncertain_pairs_go_to_review() -> None:
    records = [
        {
            "record_id": "a",
            "full_name": "김민수",
            "birth_date": "1990-01-31",
            "city": "서울특별시",
            "postcode": "06236",
        },
        {"record_id": "b", "full_name": "Kim Min-su", "birth_date": "19900131", "city": "서울", "postcode": "06236"},
        {"record_id": "c", "full_name": "김민수", "birth_date": "1990-01-31"},
        {"record_id": "d", "full_name": "Kim Minsu"},
        {"record_id": "e", "full_name": "이영희", "birth_date": "1970-05-05", "city": "부산"},
    ]
    result = resolve(records, thresholds=MatchThresholds(upper=0.95, lower=0.3))
    assert result.cluster_of["a"] == result.cluster_of["b"] == result.cluster_of["c"]
    assert result.cluster_of["e"] == "e"
    link = next(link for link in result.links if {link.left, link.right} == {"a", "b"})
    assert link.rule == "probabilistic"
    assert link.score >= 0.95
    assert "birth_date: exact" in link.reasons
    assert any(r.startswith("first_name") for r in link.reasons)
    # A bare common name is not enough to link, but enough to ask.
    assert any("d" in (p.left, p.right) for p in result.review)
    assert all(0.3 <= p.probability < 0.95 for p in result.review)


def test_household_agreement_alone_does_not_link() -> None:
    base = {"phone": "010-5555-6666", "address": "서울 마포구 월드컵로 10", "city": "서울", "postcode": "03900"}
    records = [
        {"record_id": "dad", "full_name": "박철수", "birth_date": "1960-01-01", **base},
        {"record_id": "daughter", "full_name": "박지은", "birth_date": "1992-09-09", **base},
    ]
    result = resolve(records)
    assert result.cluster_of["dad"] != result.cluster_of["daughter"]
