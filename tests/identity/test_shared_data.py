"""Accuracy on the public FEBRL and fake_1000 person sets (skipped where ../shared/data is absent)."""

from __future__ import annotations

import pytest

from cxloop.identity.datasets import read_fake_1000, read_febrl
from cxloop.identity.evaluation import pair_scores
from cxloop.identity.resolve import resolve
from support.helpers import require_shared_data


@pytest.mark.shared_data
def test_febrl3_pairwise_f1() -> None:
    records, truth = read_febrl(require_shared_data("identity", "febrl3.csv"))
    scores = pair_scores(resolve(records).cluster_of, truth)
    assert scores.f1 >= 0.99, scores
    assert scores.precision >= 0.99, scores


@pytest.mark.shared_data
def test_fake_1000_pairwise_scores() -> None:
    records, truth = read_fake_1000(require_shared_data("identity", "fake_1000.csv"))
    scores = pair_scores(resolve(records).cluster_of, truth)
    # fake_1000 is much noisier (nicknames, wrong birth dates, missing fields): a lower bar.
    assert scores.precision >= 0.85, scores
    assert scores.recall >= 0.6, scores
