"""Identity resolution of person records: which records are one person. The public API.

    from cxloop.identity.resolve import resolve, LinkPolicy, MatchThresholds

    result = resolve(records, id_field="record_id")
    result.cluster_of["r1"]      # cluster id: the id of the cluster's first record (input order)
    result.links                 # [Link(left, right, rule, score, reasons)]: why records were joined
    result.review                # [CandidatePair]: uncertain pairs for a person to decide
    result.flagged               # {record_id: [Flag(field, value, reason)]}: unreadable values

`records` are mappings with the canonical fields first_name, last_name, full_name, birth_date,
email, phone, address, city, postcode, gender, national_id, source, external_id (all optional;
any value type; rename source columns beforehand). Every record must carry a distinct, non-empty
`id_field`; `InvalidInput` names the first that does not.

1. Normalization (`person.normalize_person`): malformed values are flagged and ignored.
2. Deterministic links (`linking.link_deterministic`): shared external id (per source), national id
   hash, e-mail or phone, with the vetoes of `LinkPolicy` (a family phone does not merge people whose
   e-mails and birth dates differ). `Link.rule` is the identifier kind, `score` 1.0.
3. Probabilistic links (`matching.score_pairs`, Splink), when `probabilistic`: pairs in different
   clusters scoring at least `thresholds.upper` are linked (`rule` "probabilistic", `score` the match
   probability, `reasons` the fields that agreed); pairs between `lower` and `upper` are returned in
   `review` and not linked; below `lower` nothing. Clusters are connected components of all links.

Cheap to import: Splink, pyarrow and scipy load on first use.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cxloop.errors import InvalidInput
from cxloop.identity.linking import LinkPolicy, LinkRule
from cxloop.identity.matching import MatchSettings
from cxloop.identity.person import EmailRules, Flag, Person, normalize_person, text_of

__all__ = [
    "CandidatePair",
    "EmailRules",
    "Flag",
    "Link",
    "LinkPolicy",
    "LinkRule",
    "MatchSettings",
    "MatchThresholds",
    "Resolution",
    "normalize_records",
    "resolve",
]


@dataclass(frozen=True, slots=True)
class MatchThresholds:
    """Match probability at or above `upper`: linked; from `lower` up to `upper`: review; below: nothing."""

    upper: float = 0.95
    lower: float = 0.6

    def __post_init__(self) -> None:
        if not 0.0 < self.lower <= self.upper <= 1.0:
            raise InvalidInput(f"thresholds must satisfy 0 < lower <= upper <= 1, got {self.lower}, {self.upper}")


@dataclass(frozen=True, slots=True)
class Link:
    left: str  # record ids
    right: str
    rule: str  # "email", "phone", "external_key", "national_id" or "probabilistic"
    score: float
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CandidatePair:
    left: str
    right: str
    probability: float
    match_weight: float
    agreed: tuple[str, ...]  # "birth_date: exact", "first_name: similar", ...
    disagreed: tuple[str, ...]  # fields present on both records that differ


@dataclass(slots=True)
class Resolution:
    cluster_of: dict[str, str]
    links: list[Link] = field(default_factory=list)
    review: list[CandidatePair] = field(default_factory=list)
    flagged: dict[str, list[Flag]] = field(default_factory=dict)
    shared_values: list[tuple[str, int]] = field(default_factory=list)  # (kind, records) ignored as placeholders

    @property
    def clusters(self) -> dict[str, list[str]]:
        grouped: dict[str, list[str]] = {}
        for record_id, cluster in self.cluster_of.items():
            grouped.setdefault(cluster, []).append(record_id)
        return grouped


def normalize_records(
    records: Sequence[Mapping[str, Any]], *, id_field: str = "record_id", policy: LinkPolicy | None = None
) -> list[Person]:
    policy = policy or LinkPolicy()
    key = policy.national_id_key or secrets.token_bytes(32)
    persons: list[Person] = []
    seen: set[str] = set()
    for position, record in enumerate(records, start=1):
        if not isinstance(record, Mapping):
            raise InvalidInput(f"record {position} is not a mapping of fields")
        record_id = text_of(record.get(id_field))
        if not record_id:
            raise InvalidInput(f"record {position} has no {id_field!r}")
        if record_id in seen:
            raise InvalidInput(f"record {position} repeats {id_field} {record_id!r}")
        seen.add(record_id)
        persons.append(normalize_person(record, record_id, key=key, email_rules=policy.email_rules))
    return persons


def resolve(
    records: Sequence[Mapping[str, Any]],
    *,
    id_field: str = "record_id",
    policy: LinkPolicy | None = None,
    thresholds: MatchThresholds | None = None,
    probabilistic: bool = True,
    match_settings: MatchSettings | None = None,
) -> Resolution:
    """Cluster `records` into persons; see the module docstring."""
    import numpy as np

    from cxloop.identity.linking import components, link_deterministic

    policy = policy or LinkPolicy()
    thresholds = thresholds or MatchThresholds()
    persons = normalize_records(records, id_field=id_field, policy=policy)
    ids = [p.record_id for p in persons]
    edges = link_deterministic(persons, policy)
    left, right = edges.left, edges.right
    links = [
        Link(ids[a], ids[b], rule, 1.0, (f"same {rule}",))
        for a, b, rule in zip(left.tolist(), right.tolist(), edges.rule, strict=True)
    ]
    labels = components(len(persons), left, right)
    pending: list[tuple[int, int, CandidatePair]] = []
    if probabilistic and len(persons) > 1:
        from cxloop.identity.matching import score_pairs

        extra_left: list[int] = []
        extra_right: list[int] = []
        for pair in score_pairs(persons, lower=thresholds.lower, settings=match_settings or MatchSettings()):
            if labels[pair.left] == labels[pair.right]:
                continue
            if pair.probability >= thresholds.upper and pair.agrees_strongly_on(policy.personal_fields):
                extra_left.append(pair.left)
                extra_right.append(pair.right)
                links.append(Link(ids[pair.left], ids[pair.right], "probabilistic", pair.probability, pair.agreed))
            else:
                candidate = CandidatePair(
                    ids[pair.left], ids[pair.right], pair.probability, pair.weight, pair.agreed, pair.disagreed
                )
                pending.append((pair.left, pair.right, candidate))
        if extra_left:
            left = np.concatenate([left, np.asarray(extra_left, dtype=np.int64)])
            right = np.concatenate([right, np.asarray(extra_right, dtype=np.int64)])
            labels = components(len(persons), left, right)
    # A review pair the automatic links have since joined needs no review.
    review = [candidate for a, b, candidate in pending if labels[a] != labels[b]]
    first_of: dict[int, str] = {}
    cluster_of = {
        record_id: first_of.setdefault(int(label), record_id) for record_id, label in zip(ids, labels, strict=True)
    }
    review.sort(key=lambda p: -p.probability)
    flagged = {p.record_id: p.flags for p in persons if p.flags}
    return Resolution(cluster_of, links, review, flagged, edges.shared_values)
