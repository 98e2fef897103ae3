"""Probabilistic matching (Fellegi-Sunter, Splink 5 on DuckDB) of normalized `Person`s.

Each comparison has its levels from the strongest agreement down to "different", each with a prior
m (share among true matches) and u (share among non-matches). With enough records
(`train_min_records`) the priors are replaced from the data: u by random sampling, m by
expectation maximisation on two blocking rules (each trains the fields it does not block on). With
fewer records EM has too few pairs to be trusted, so the priors stay: they are set from what is true
of person data in general (an exact birth date agrees among ~1/20,000 random pairs, names are far
more common, ...), not tuned on any benchmark.

Candidate pairs come from blocking rules on keys that survive typos in other fields; a blocking
value shared by more than `max_block` records (a placeholder such as 1900-01-01) blocks nothing.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cxloop.identity.person import Person

_log = logging.getLogger(__name__)
Level = tuple[str, str, float, float]  # label, SQL condition (with {c} for the column), m, u


def _jw(threshold: float) -> str:
    return f"jaro_winkler_similarity({{c}}_l, {{c}}_r) >= {threshold}"


_EXACT = "{c}_l = {c}_r"
_TYPO = "damerau_levenshtein({c}_l, {c}_r) <= 1"
_DIGITS = "regexp_replace({c}, '[^0-9]', '', 'g')"
#: Exact levels of these fields weigh by how common the value is (a shared "Emma" says less than a
#: shared "Yeseul"); Splink counts the frequencies in the batch itself.
TERM_FREQUENCY = {"first_name", "last_name", "city", "birth_date"}
COMPARISONS: dict[str, tuple[Level, ...]] = {
    "first_name": (
        ("exact", _EXACT, 0.70, 0.006),
        ("same romanized", "first_key_l = first_key_r", 0.08, 0.002),
        ("swapped with last name", "first_name_l = last_name_r AND last_name_l = first_name_r", 0.02, 0.0002),
        ("similar", _jw(0.92), 0.10, 0.004),
        ("somewhat similar", _jw(0.80), 0.05, 0.03),
    ),
    "last_name": (
        ("exact", _EXACT, 0.75, 0.01),
        ("same romanized", "last_key_l = last_key_r", 0.06, 0.003),
        ("similar", _jw(0.92), 0.10, 0.005),
        ("somewhat similar", _jw(0.80), 0.04, 0.03),
    ),
    "birth_date": (
        ("exact", _EXACT, 0.85, 0.00005),
        ("one typo", _TYPO, 0.10, 0.002),
        ("same year", "substr({c}_l, 1, 4) = substr({c}_r, 1, 4)", 0.02, 0.015),
    ),
    # Addresses of one city share long prefixes, so "similar" also wants the same house numbers.
    "address": (
        ("exact", _EXACT, 0.70, 0.0001),
        (
            "similar, same numbers",
            f"{_jw(0.88)} AND {_DIGITS.format(c='{c}_l')} = {_DIGITS.format(c='{c}_r')}",
            0.2,
            0.001,
        ),
        ("somewhat similar", _jw(0.80), 0.05, 0.05),
    ),
    "city": (("exact", _EXACT, 0.85, 0.01), ("similar", _jw(0.88), 0.08, 0.01)),
    "postcode": (("exact", _EXACT, 0.85, 0.002), ("one typo", _TYPO, 0.08, 0.02)),
    "email_local": (("exact", _EXACT, 0.80, 0.0001), ("one typo", _TYPO, 0.08, 0.0005)),
    "phone": (("exact", _EXACT, 0.85, 0.00001), ("one typo", _TYPO, 0.08, 0.0001)),
    "national_id": (("exact", _EXACT, 0.90, 0.000001),),
    "gender": (("exact", _EXACT, 0.97, 0.5),),
}
WEAK_LEVELS = {"somewhat similar", "same year"}
COLUMNS = (*COMPARISONS, "first_key", "last_key")
BLOCKING = (
    ("first_key", "last_key"),
    ("birth_date",),
    ("national_id",),
    ("email_local",),
    ("phone",),
    ("postcode", "first_key"),
    ("last_key", "city"),
    ("address",),
)


@dataclass(frozen=True, slots=True)
class MatchSettings:
    """`train`: estimate m and u from the batch (when it has `train_min_records`) instead of the priors."""

    train: bool = False
    train_min_records: int = 2000
    max_block: int = 400
    # Value frequencies of a small batch say little about the population (five "김민수" in five rows).
    frequency_min_records: int = 1000
    u_sample_pairs: float = 3e5
    seed: int = 1


@dataclass(frozen=True, slots=True)
class ScoredPair:
    left: int  # record indices, left < right
    right: int
    probability: float
    weight: float
    agreed: tuple[str, ...]  # "birth_date: exact", ...
    disagreed: tuple[str, ...]

    def agrees_strongly_on(self, fields: Sequence[str]) -> bool:
        """Whether one of `fields` agrees at a level better than "somewhat similar" / "same year"."""
        return any(
            field == name and level not in WEAK_LEVELS
            for field, _, level in (a.partition(": ") for a in self.agreed)
            for name in fields
        )


def _comparison(name: str, levels: Sequence[Level], *, priors: bool, frequencies: bool) -> dict[str, Any]:
    null = f"{name}_l IS NULL OR {name}_r IS NULL"
    out: list[dict[str, Any]] = [{"sql_condition": null, "label_for_charts": "missing", "is_null_level": True}]
    rest_m, rest_u = 1.0, 1.0
    for label, sql, m, u in levels:
        out.append({"sql_condition": sql.format(c=name), "label_for_charts": label})
        if frequencies and label == "exact" and name in TERM_FREQUENCY:
            out[-1] |= {"tf_adjustment_column": name, "tf_adjustment_weight": 1.0}
        if priors:
            out[-1] |= {"m_probability": m, "u_probability": u}
        rest_m, rest_u = rest_m - m, rest_u - u
    out.append({"sql_condition": "ELSE", "label_for_charts": "different"})
    if priors:
        out[-1] |= {"m_probability": max(rest_m, 0.01), "u_probability": max(rest_u, 0.01)}
    return {"output_column_name": name, "comparison_levels": out}


def _table(persons: Sequence[Person], max_block: int) -> Any:
    import pyarrow as pa

    columns: dict[str, list[Any]] = {"unique_id": list(range(len(persons)))}
    for name in COLUMNS:
        columns[name] = [getattr(p, name) for p in persons]
    # Blocking-only copies where values shared by too many records are blanked, so one placeholder
    # cannot produce millions of pairs; the compared columns keep them.
    for name in {c for rule in BLOCKING for c in rule}:
        common = {v for v, n in Counter(columns[name]).items() if n > max_block and v is not None}
        columns[f"bk_{name}"] = [None if v in common else v for v in columns[name]]
    # Explicit types: a column that is empty in this batch must still be text to the SQL.
    schema = pa.schema([("unique_id", pa.int64()), *((name, pa.string()) for name in columns if name != "unique_id")])
    return pa.table(columns, schema=schema)


def _block(columns: Sequence[str]) -> str:
    return " AND ".join(f"l.bk_{c} = r.bk_{c}" for c in columns)


def score_pairs(
    persons: Sequence[Person], *, lower: float, settings: MatchSettings = MatchSettings()
) -> list[ScoredPair]:
    """Every blocked pair scoring at least `lower`, with its probability and the fields that agreed."""
    if len(persons) < 2:
        return []
    logging.getLogger("splink").setLevel(logging.ERROR)
    train = settings.train and len(persons) >= settings.train_min_records
    table = _table(persons, settings.max_block)
    # A field nobody filled in this batch has nothing to learn or compare.
    active = {name: levels for name, levels in COMPARISONS.items() if table.column(name).null_count < len(persons)}
    linker = _linker(table, active, len(persons), settings, train=train)
    if train:
        try:
            linker.training.estimate_probability_two_random_records_match(
                [_block(("first_key", "last_key", "birth_date"))], recall=0.7
            )
            linker.training.estimate_u_using_random_sampling(max_pairs=settings.u_sample_pairs, seed=settings.seed)
            for rule in (("birth_date",), ("first_key", "last_key")):
                linker.training.estimate_parameters_using_expectation_maximisation(_block(rule))
        except (ValueError, ZeroDivisionError) as exc:
            # EM can collapse a level to m = 0 on a batch that never shows it; the priors still hold.
            _log.warning("training the match model failed (%s); scoring with the priors", exc)
            linker = _linker(table, active, len(persons), settings, train=False)
    predictions = linker.inference.predict(threshold_match_probability=lower, warning_mode="never")
    rows: list[dict[str, Any]] = predictions.as_record_list()
    return [_scored(row, active) for row in rows]


def _linker(
    table: Any, active: dict[str, tuple[Level, ...]], count: int, settings: MatchSettings, *, train: bool
) -> Any:
    from splink import DuckDBAPI, Linker

    expected_duplicates = 0.5  # per record; a prior for the share of pairs that match
    spec = {
        "link_type": "dedupe_only",
        "comparisons": [
            _comparison(name, levels, priors=not train, frequencies=count >= settings.frequency_min_records)
            for name, levels in active.items()
        ],
        "blocking_rules_to_generate_predictions": [
            {"blocking_rule": _block(rule), "sql_dialect": "duckdb"} for rule in BLOCKING
        ],
        # A small batch is a sample of a larger population: two random records rarely match.
        "probability_two_random_records_match": min(0.001, expected_duplicates / max(count - 1, 1)),
        "retain_matching_columns": True,  # with them come the gamma (level) columns that explain a pair
        "retain_intermediate_calculation_columns": False,
        "additional_columns_to_retain": [],
    }
    return Linker(DuckDBAPI().register(table), spec, log_level=logging.ERROR)


def _scored(row: dict[str, Any], active: dict[str, tuple[Level, ...]]) -> ScoredPair:
    agreed: list[str] = []
    disagreed: list[str] = []
    for name, levels in active.items():
        gamma = int(row[f"gamma_{name}"])
        if gamma == 0:
            disagreed.append(name)
        elif gamma > 0:
            agreed.append(f"{name}: {levels[len(levels) - gamma][0]}")
    left, right = sorted((int(row["unique_id_l"]), int(row["unique_id_r"])))
    return ScoredPair(
        left, right, float(row["match_probability"]), float(row["match_weight"]), tuple(agreed), tuple(disagreed)
    )
