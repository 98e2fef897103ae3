"""Comparison levels and blocking for messy person records: swapped names with typos, birth date
slips, initials-only e-mails, placeholder dates, and the share of matches estimated from the batch."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from cxloop.identity.datasets import read_fake_1000
from cxloop.identity.evaluation import pair_scores
from cxloop.identity.matching import (
    MatchSettings,
    _date_frequencies,
    _estimated_share,
    _key_name,
    _table,
    score_pairs,
)
from cxloop.identity.resolve import normalize_records, resolve
from support.helpers import require_shared_data


def _agreed(left: dict[str, Any], right: dict[str, Any]) -> tuple[str, ...]:
    """The agreed levels of the one pair of two records (scored with a low floor, so it is returned)."""
    persons = normalize_records([{"record_id": "a", **left}, {"record_id": "b", **right}])
    pairs = score_pairs(persons, lower=1e-9)
    assert len(pairs) == 1, pairs
    return pairs[0].agreed


def test_swapped_names_with_typos_link() -> None:
    records = [
        {
            "record_id": "a",
            "first_name": "Matilda",
            "last_name": "Barker",
            "birth_date": "1990-03-08",
            "city": "Reading",
        },
        {"record_id": "b", "first_name": "Barkr", "last_name": "Matilda", "birth_date": "1990-03-08", "city": "Readng"},
    ]
    result = resolve(records)
    assert result.cluster_of["a"] == result.cluster_of["b"]
    (link,) = result.links
    assert "first_name: swapped with last name" in link.reasons
    assert "last_name: swapped with first name" in link.reasons


def test_swapped_names_are_found_when_every_other_field_differs() -> None:
    # Only the crossed names block this pair together (no shared date, city or e-mail).
    agreed = _agreed(
        {"first_name": "Dylan", "last_name": "Macdonald", "birth_date": "1985-10-15"},
        {"first_name": "Macdonald", "last_name": "Dylan", "birth_date": "1986-09-15"},
    )
    assert agreed == ("first_name: swapped with last name", "last_name: swapped with first name")


def test_a_lone_name_in_the_other_slot_counts_once() -> None:
    agreed = _agreed(
        {"last_name": "Brown", "birth_date": "1992-02-28"},
        {"first_name": "Brown", "last_name": "Florence", "birth_date": "1992-02-28"},
    )
    assert "last_name: swapped with first name" in agreed
    assert not any(a.startswith("first_name") for a in agreed)  # the other side has no first name


def test_different_people_sharing_a_surname_and_city_do_not_link() -> None:
    records = [
        {"record_id": "a", "first_name": "James", "last_name": "Smith", "birth_date": "1980-01-01", "city": "London"},
        {"record_id": "b", "first_name": "Olivia", "last_name": "Smith", "birth_date": "1992-05-17", "city": "London"},
        {"record_id": "c", "first_name": "Smith", "last_name": "Olivia", "birth_date": "1992-05-17", "city": "Leeds"},
    ]
    result = resolve(records)
    assert result.cluster_of["a"] != result.cluster_of["b"]
    assert result.cluster_of["b"] == result.cluster_of["c"]  # the same Olivia, names given the other way round
    assert all("a" not in (p.left, p.right) for p in result.review)


@pytest.mark.parametrize(
    ("left", "right", "level"),
    [
        ("1985-03-07", "1985-07-03", "birth_date: day and month swapped"),
        ("1985-03-07", "1985-03-28", "birth_date: within a month"),
        ("1985-03-07", "1985-03-08", "birth_date: one typo"),
        ("1976-09-15", "1977-09-13", "birth_date: two typos"),
    ],
)
def test_birth_date_slips_have_their_own_levels(left: str, right: str, level: str) -> None:
    base = {"first_name": "Theodore", "last_name": "Morris"}
    assert level in _agreed({**base, "birth_date": left}, {**base, "birth_date": right})


def test_initials_only_email_needs_the_domain_too() -> None:
    base = {"first_name": "James", "last_name": "Cox"}
    other_domain = _agreed({**base, "email": "jc@herring.info"}, {**base, "email": "j.c@white.org"})
    assert "email_local: exact, short" in other_domain
    same_domain = _agreed({**base, "email": "jc@white.org"}, {**base, "email": "j.c@whte.org"})
    assert "email_local: exact, short, same domain" in same_domain
    numbered = _agreed({**base, "email": "gdavies36@ford.com"}, {**base, "email": "gdavies72@conner.com"})
    assert not any(a.startswith("email_local") for a in numbered)  # different digits: different people


def test_a_placeholder_birth_date_blocks_nothing_and_counts_as_common() -> None:
    records = [{"record_id": str(i), "first_name": f"p{i}", "birth_date": "1900-01-01"} for i in range(500)]
    records += [{"record_id": f"x{i}", "first_name": "Mina", "birth_date": f"1980-01-{i + 1:02d}"} for i in range(3)]
    settings = MatchSettings(max_block=100)
    table = _table(normalize_records(records), settings)
    keys = table.column(_key_name(("birth_date",))).to_pylist()
    assert keys[:500] == [None] * 500  # 500 records share it: not a blocking key
    assert keys[500:] == ["1980-01-01", "1980-01-02", "1980-01-03"]
    common = _date_frequencies(table, 10).to_pylist()
    assert common == [{"birth_date": "1900-01-01", "tf_birth_date": pytest.approx(500 / 503)}]


def test_share_of_matches_is_estimated_from_the_batch() -> None:
    prior, pairs = 0.0005, 1000 * 999 / 2
    strangers = np.full(5000, -20.0)  # blocked pairs with strong evidence against
    assert _estimated_share(strangers, pairs, prior, 0.005) == prior
    duplicates = np.concatenate([strangers, np.full(1500, 20.0)])  # 1,500 sure matches
    assert _estimated_share(duplicates, pairs, prior, 0.005) == pytest.approx(1500 / pairs, rel=0.01)
    assert _estimated_share(np.full(5000, 30.0), pairs, prior, 0.005) == 0.005  # never above the ceiling


@pytest.mark.shared_data
def test_fake_1000_messy_records() -> None:
    records, truth = read_fake_1000(require_shared_data("identity", "fake_1000.csv"))
    scores = pair_scores(resolve(records).cluster_of, truth)
    assert scores.precision >= 0.98, scores
    assert scores.f1 >= 0.93, scores
