"""Deterministic linking and its conflict policy."""

from __future__ import annotations

from typing import Any

import pytest

from cxloop.errors import InvalidInput
from cxloop.identity.resolve import LinkPolicy, LinkRule, resolve


def clusters(records: list[dict[str, Any]], **options: Any) -> list[set[str]]:
    result = resolve(records, probabilistic=False, **options)
    return sorted((set(m) for m in result.clusters.values()), key=lambda s: sorted(s))


def test_shared_email_merges_across_writings() -> None:
    records = [
        {"record_id": "a", "email": "Minsu@Example.com", "birth_date": "1990-01-31"},
        {"record_id": "b", "email": " minsu@example.com ", "birth_date": "1985-05-05"},
        {"record_id": "c", "email": "other@example.com"},
    ]
    assert clusters(records) == [{"a", "b"}, {"c"}]


def test_family_phone_does_not_merge_people_whose_email_and_birth_date_differ() -> None:
    records = [
        {"record_id": "mom", "phone": "010-1234-5678", "email": "mom@x.com", "birth_date": "1965-03-01"},
        {"record_id": "son", "phone": "01012345678", "email": "son@x.com", "birth_date": "1995-07-07"},
        {"record_id": "mom2", "phone": "+82 10 1234 5678", "email": "mom@x.com"},
    ]
    assert clusters(records) == [{"mom", "mom2"}, {"son"}]


def test_family_phone_with_different_given_names_does_not_merge() -> None:
    records = [
        {"record_id": "1", "phone": "010-1111-2222", "full_name": "김민수"},
        {"record_id": "2", "phone": "010-1111-2222", "full_name": "김지영"},
        {"record_id": "3", "phone": "010-1111-2222", "full_name": "Kim Minsu"},
    ]
    assert clusters(records) == [{"1", "3"}, {"2"}]


def test_shared_phone_links_when_nothing_conflicts() -> None:
    records = [
        {"record_id": "1", "phone": "010-1111-2222", "email": "a@x.com"},
        {"record_id": "2", "phone": "01011112222", "birth_date": "1990-01-01"},
    ]
    assert clusters(records) == [{"1", "2"}]


def test_policy_is_configurable() -> None:
    records = [
        {"record_id": "1", "phone": "010-1111-2222", "email": "a@x.com", "birth_date": "1990-01-01"},
        {"record_id": "2", "phone": "010-1111-2222", "email": "b@x.com", "birth_date": "1991-01-01"},
    ]
    assert clusters(records) == [{"1"}, {"2"}]
    permissive = LinkPolicy(rules=(LinkRule("phone"),))
    assert clusters(records, policy=permissive) == [{"1", "2"}]
    only_email = LinkPolicy(rules=(LinkRule("email"),))
    assert clusters(records, policy=only_email) == [{"1"}, {"2"}]
    with pytest.raises(ValueError, match="unknown person field"):
        LinkPolicy(rules=(LinkRule("shoe_size"),))


def test_external_ids_are_namespaced_by_source_and_national_id_links() -> None:
    records = [
        {"record_id": "1", "source": "crm", "external_id": "C-1"},
        {"record_id": "2", "source": "crm", "external_id": "C-1"},
        {"record_id": "3", "source": "shop", "external_id": "C-1"},
        {"record_id": "4", "national_id": "900131-1234567"},
        {"record_id": "5", "national_id": "9001311234567", "email": "x@y.com"},
    ]
    assert clusters(records) == [{"1", "2"}, {"3"}, {"4", "5"}]


def test_placeholder_values_shared_by_many_link_nothing() -> None:
    records = [{"record_id": str(i), "email": "test@test.com"} for i in range(60)]
    result = resolve(records, probabilistic=False)
    assert len(set(result.cluster_of.values())) == 60
    assert result.shared_values == [("email", 60)]


def test_chains_link_transitively_and_cluster_id_is_first_record() -> None:
    records = [
        {"record_id": "a", "email": "a@x.com"},
        {"record_id": "b", "email": "a@x.com", "phone": "010-2222-3333"},
        {"record_id": "c", "phone": "010-2222-3333"},
    ]
    result = resolve(records, probabilistic=False)
    assert result.cluster_of == {"a": "a", "b": "a", "c": "a"}
    assert {link.rule for link in result.links} == {"email", "phone"}


def test_bad_batches_are_refused_with_the_record_named() -> None:
    with pytest.raises(InvalidInput, match="record 2 has no 'record_id'"):
        resolve([{"record_id": "a"}, {"email": "x@y.com"}])
    with pytest.raises(InvalidInput, match="repeats"):
        resolve([{"record_id": "a"}, {"record_id": "a"}])
    assert resolve([]).cluster_of == {}


def test_malformed_identifiers_are_flagged_and_do_not_link() -> None:
    records = [
        {"record_id": "1", "email": "broken@", "phone": "123"},
        {"record_id": "2", "email": "broken@", "phone": "123"},
    ]
    result = resolve(records, probabilistic=False)
    assert len(set(result.cluster_of.values())) == 2
    assert {f.field for f in result.flagged["1"]} == {"email", "phone"}
