"""Deterministic linking: records sharing a strong identifier are one person, unless the policy vetoes it.

Records are grouped by each identifier (vectorized: pyarrow dictionary codes, numpy sorts); a group
whose members cannot trip a veto is linked whole, without looking at pairs. Only groups where a veto
could apply (e.g. one phone with two different e-mails and two different birth dates) are split
greedily, member by member, so a family's shared phone does not merge the family. Connected
components over the resulting edges (scipy) give the clusters.

Known limit: vetoes are checked between the records that share one identifier, not across a whole
cluster; two records linked through a chain of different identifiers are not re-checked.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cxloop.identity.person import EmailRules, Person

if TYPE_CHECKING:  # numpy loads on first use, so importing the API stays cheap
    import numpy as np
    import numpy.typing as npt

    IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class LinkRule:
    """Link records sharing `kind` (a `Person` attribute: external_key, national_id, email, phone),
    unless, for any veto, both records have every veto field and every one of them differs."""

    kind: str
    vetoes: tuple[tuple[str, ...], ...] = ()


DEFAULT_RULES = (
    LinkRule("national_id"),
    LinkRule("external_key", (("national_id",),)),
    LinkRule("email", (("national_id",),)),
    # A phone is often a family's: a shared phone alone does not make two people one when their given
    # names, or both their e-mails and birth dates, differ.
    LinkRule("phone", (("first_key",), ("email", "birth_date"), ("national_id",))),
)


@dataclass(frozen=True, slots=True)
class LinkPolicy:
    """How records are linked. `max_group_size`: a value shared by more records is a placeholder
    (a shop's phone, "test@test.com") and links nothing. `national_id_key` keys the national id hash;
    callers that keep results across runs must pass a stable secret (empty: a random key per run)."""

    rules: tuple[LinkRule, ...] = DEFAULT_RULES
    max_group_size: int = 50
    # A probabilistic pair is linked automatically only if one of these agrees (not just "somewhat"):
    # agreement on household fields alone (phone, address, last name) is a family, not one person.
    personal_fields: tuple[str, ...] = ("first_name", "birth_date", "email_local", "national_id")
    email_rules: EmailRules = field(default_factory=EmailRules)
    national_id_key: bytes = b""

    def __post_init__(self) -> None:
        known = set(Person.__slots__) - {"record_id", "flags"}
        for rule in self.rules:
            for name in (rule.kind, *(f for veto in rule.vetoes for f in veto)):
                if name not in known:
                    raise ValueError(f"unknown person field {name!r} in link rule {rule.kind!r}")
        if self.max_group_size < 2:
            raise ValueError("max_group_size must be at least 2")


@dataclass(frozen=True, slots=True)
class Edges:
    """Links found: record indices (left, right) and the rule (identifier kind) that made each."""

    left: IntArray
    right: IntArray
    rule: list[str]
    shared_values: list[tuple[str, int]]  # (kind, records) of values ignored as placeholders


def codes_of(values: Sequence[Any]) -> IntArray:
    """Dense integer codes of values, -1 for None."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    indices = pa.array(values, type=pa.string()).dictionary_encode().indices
    return np.asarray(pc.fill_null(indices, -1).to_numpy(zero_copy_only=False), dtype=np.int64)


def _distinct_per_group(group_of: IntArray, field_codes: IntArray, groups: int) -> IntArray:
    import numpy as np

    present = field_codes >= 0
    width = int(field_codes.max(initial=0)) + 1
    pairs = np.unique(group_of[present] * width + field_codes[present])
    return np.bincount(pairs // width, minlength=groups).astype(np.int64)


def _vetoed(a: int, b: int, rule: LinkRule, fields: dict[str, IntArray]) -> bool:
    for veto in rule.vetoes:
        if all(fields[f][a] >= 0 and fields[f][b] >= 0 and fields[f][a] != fields[f][b] for f in veto):
            return True
    return False


def link_deterministic(persons: Sequence[Person], policy: LinkPolicy) -> Edges:
    import numpy as np

    fields: dict[str, IntArray] = {}

    def field_codes(name: str) -> IntArray:
        if name not in fields:
            fields[name] = codes_of([getattr(p, name) for p in persons])
        return fields[name]

    lefts: list[IntArray] = []
    rights: list[IntArray] = []
    rules: list[str] = []
    shared: list[tuple[str, int]] = []
    for rule in policy.rules:
        codes = field_codes(rule.kind)
        valid = np.flatnonzero(codes >= 0)
        order = valid[np.argsort(codes[valid], kind="stable")]
        if len(order) < 2:
            continue
        sorted_codes = codes[order]
        starts = np.flatnonzero(np.r_[True, sorted_codes[1:] != sorted_codes[:-1]])
        sizes = np.diff(np.r_[starts, len(order)])
        group_of = np.repeat(np.arange(len(starts)), sizes)
        shared += [(rule.kind, int(s)) for s in sizes[sizes > policy.max_group_size]]
        usable = (sizes >= 2) & (sizes <= policy.max_group_size)
        risky = np.zeros(len(starts), dtype=bool)
        for veto in rule.vetoes:
            could = usable.copy()
            for name in veto:
                could &= _distinct_per_group(group_of, field_codes(name)[order], len(starts)) >= 2
            risky |= could
        first = order[starts][group_of]
        whole = (usable & ~risky)[group_of] & (order != first)
        lefts.append(first[whole])
        rights.append(order[whole])
        rules += [rule.kind] * int(whole.sum())
        for group in np.flatnonzero(risky):
            members = order[starts[group] : starts[group] + sizes[group]].tolist()
            subclusters: list[list[int]] = []
            for member in members:
                home = next((s for s in subclusters if not any(_vetoed(m, member, rule, fields) for m in s)), None)
                if home is None:
                    subclusters.append([member])
                    continue
                lefts.append(np.array([home[0]], dtype=np.int64))
                rights.append(np.array([member], dtype=np.int64))
                rules.append(rule.kind)
                home.append(member)
    empty = np.zeros(0, dtype=np.int64)
    return Edges(np.concatenate(lefts) if lefts else empty, np.concatenate(rights) if rights else empty, rules, shared)


def components(count: int, left: IntArray, right: IntArray) -> IntArray:
    """Cluster label per record index (connected components of the links)."""
    import numpy as np
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    graph = coo_matrix((np.ones(len(left), dtype=np.int8), (left, right)), shape=(count, count))
    _, labels = connected_components(graph, directed=False)
    return np.asarray(labels, dtype=np.int64)
