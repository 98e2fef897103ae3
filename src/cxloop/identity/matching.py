"""Probabilistic matching (Fellegi-Sunter, Splink 5 on DuckDB) of normalized `Person`s.

Each comparison has its levels from the strongest agreement down to "different", each with a prior
m (share among true matches) and u (share among non-matches). With enough records
(`train_min_records`) the priors are replaced from the data: u by random sampling, m by
expectation maximisation on two blocking rules (each trains the fields it does not block on). With
fewer records EM has too few pairs to be trusted, so the priors stay: they are set from what is true
of person data in general (an exact birth date agrees among ~1/20,000 random pairs, names are far
more common, ...), not tuned on any benchmark.

The share of pairs that match (the prior odds of every pair) starts cautious, 0.5 duplicates per
record, and is then estimated from the batch with m and u held (see `_estimated_share`): a batch
full of duplicates weighs the same evidence against a higher base rate.

Candidate pairs come from blocking rules (`match_levels.BLOCKING`) on keys that survive typos in
other fields; a key shared by many records (a placeholder such as 1900-01-01) blocks nothing.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cxloop.identity.match_levels import BLOCKING, COLUMNS, COMPARISONS, TERM_FREQUENCY, TRAINING, WEAK_LEVELS, Level
from cxloop.identity.person import Person

_log = logging.getLogger(__name__)
__all__ = ["BLOCKING", "COMPARISONS", "WEAK_LEVELS", "MatchSettings", "ScoredPair", "score_pairs"]


@dataclass(frozen=True, slots=True)
class MatchSettings:
    """`train`: estimate m and u from the batch (when it has `train_min_records`) instead of the priors."""

    train: bool = False
    train_min_records: int = 2000
    max_block: int = 400
    # Candidate pairs each blocking rule may produce, per record in the batch (see `_table`).
    pairs_per_record: float = 2.0
    # Value frequencies of a small batch say little about the population (five "김민수" in five rows).
    frequency_min_records: int = 1000
    # A birth date counts as common (a placeholder) when this many records, or 0.1% of them, share it.
    common_date_min: int = 10
    u_sample_pairs: float = 3e5
    seed: int = 1
    # The share of pairs that match starts from 0.5 expected duplicates per record and is then
    # estimated from the batch (batches of at least this many records), up to this many per record.
    estimate_duplicates_min_records: int = 200
    max_duplicates_per_record: float = 5.0


@dataclass(frozen=True, slots=True)
class ScoredPair:
    left: int  # record indices, left < right
    right: int
    probability: float
    weight: float
    agreed: tuple[str, ...]  # "birth_date: exact", ...
    disagreed: tuple[str, ...]

    def agrees_strongly_on(self, fields: Sequence[str]) -> bool:
        """Whether one of `fields` agrees at a level not in `WEAK_LEVELS` ("somewhat similar", ...)."""
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


def _table(persons: Sequence[Person], settings: MatchSettings) -> Any:
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    columns: dict[str, list[Any]] = {"unique_id": list(range(len(persons)))}
    for name in COLUMNS:
        columns[name] = [getattr(p, name) for p in persons]
    columns["birth_year"] = [d[:4] if d else None for d in columns["birth_date"]]
    columns["name_set"] = [
        "|".join(sorted((first, last))) if first and last else None
        for first, last in zip(columns["first_key"], columns["last_key"], strict=True)
    ]
    # Explicit types: a column that is empty in this batch must still be text to the SQL.
    table = pa.table(
        columns, schema=pa.schema([("unique_id", pa.int64()), *((n, pa.string()) for n in list(columns)[1:])])
    )
    # One blocking key per rule. A key shared by many records pairs them all and says little (a
    # placeholder, "Kim" in Seoul): each rule spends a budget of pairs proportional to the batch on its
    # most specific keys, and blanks the rest (and any key of more than `max_block` records). The
    # compared columns keep every value.
    budget = max(settings.pairs_per_record * len(persons), settings.max_block**2)
    for rule in {*BLOCKING, *TRAINING}:
        key = table.column(rule[0]).combine_chunks()
        for name in rule[1:]:
            key = pc.binary_join_element_wise(key, table.column(name).combine_chunks(), "\x1f")
        codes = np.asarray(pc.fill_null(key.dictionary_encode().indices, -1).to_numpy(zero_copy_only=False))
        sizes = np.bincount(codes[codes >= 0], minlength=1)
        order = np.argsort(sizes, kind="stable")
        spent = np.cumsum(sizes[order] * (sizes[order] - 1) // 2)
        kept = np.zeros(len(sizes), dtype=bool)
        kept[order] = (spent <= budget) & (sizes[order] <= settings.max_block)
        blank = (codes < 0) | ~kept[np.maximum(codes, 0)]
        table = table.append_column(
            _key_name(rule), pc.if_else(pa.array(blank), pa.nulls(len(codes), pa.string()), key)
        )
    return table


def _key_name(rule: Sequence[str]) -> str:
    return "bk_" + "__".join(rule)


def _block(rule: Sequence[str]) -> str:
    return f"l.{_key_name(rule)} = r.{_key_name(rule)}"


def _date_frequencies(table: Any, min_count: int) -> Any:
    """Birth date frequencies for the term-frequency adjustment, only of dates shared by at least
    `min_count` records. A batch with duplicates counts one person's date once per record (four
    records, four counts), which would mark every real date "common"; a pile-up beyond what one
    person's duplicates and chance explain is a placeholder (1900-01-01) and weighs little."""
    import pyarrow as pa
    import pyarrow.compute as pc

    counts = pc.value_counts(table.column("birth_date").drop_null())
    values, numbers = counts.field("values"), counts.field("counts")
    keep = pc.greater_equal(numbers, min_count)
    frequency = pc.divide(pc.cast(pc.filter(numbers, keep), pa.float64()), float(table.num_rows))
    return pa.table({"birth_date": pc.filter(values, keep), "tf_birth_date": frequency})


def score_pairs(
    persons: Sequence[Person], *, lower: float, settings: MatchSettings = MatchSettings()
) -> list[ScoredPair]:
    """Every blocked pair scoring at least `lower`, with its probability and the fields that agreed."""
    if len(persons) < 2:
        return []
    logging.getLogger("splink").setLevel(logging.ERROR)
    train = settings.train and len(persons) >= settings.train_min_records
    table = _table(persons, settings)
    # A field nobody filled in this batch has nothing to learn or compare.
    active = {name: levels for name, levels in COMPARISONS.items() if table.column(name).null_count < len(persons)}
    linker, connection = _linker(table, active, len(persons), settings, train=train)
    if train:
        try:
            linker.training.estimate_probability_two_random_records_match([_block(TRAINING[0])], recall=0.7)
            linker.training.estimate_u_using_random_sampling(max_pairs=settings.u_sample_pairs, seed=settings.seed)
            for rule in TRAINING[1:]:
                linker.training.estimate_parameters_using_expectation_maximisation(_block(rule))
        except (ValueError, ZeroDivisionError) as exc:
            # EM can collapse a level to m = 0 on a batch that never shows it; the priors still hold.
            _log.warning("training the match model failed (%s); scoring with the priors", exc)
            linker, connection = _linker(table, active, len(persons), settings, train=False)
    count = len(persons)
    if train or count < settings.estimate_duplicates_min_records:  # training estimated the share itself
        predictions = linker.inference.predict(threshold_match_probability=lower, warning_mode="never")
        return [_scored(row, active, 0.0) for row in predictions.as_record_list()]
    name = linker.inference.predict(warning_mode="never").physical_name  # every blocked pair weighs in
    weights = connection.execute(f"SELECT match_weight FROM {name}").fetchnumpy()["match_weight"]
    prior = _prior_share(count)
    share = _estimated_share(weights, count * (count - 1) / 2, prior, settings.max_duplicates_per_record / (count - 1))
    shift = _bits(share) - _bits(prior)
    rows = connection.execute(f"SELECT * FROM {name} WHERE match_weight + {shift} >= {_bits(lower)}")
    return [_scored(row, active, shift) for row in rows.fetch_arrow_table().to_pylist()]


def _prior_share(count: int) -> float:
    """A small batch is a sample of a larger population: two random records rarely match (0.5
    expected duplicates per record, at most 1 in 1,000 pairs)."""
    return min(0.001, 0.5 / max(count - 1, 1))


def _bits(probability: float) -> float:
    return math.log2(probability / (1 - probability)) if probability < 1 else math.inf


def _estimated_share(weights: Any, pairs: float, prior: float, ceiling: float) -> float:
    """The share of all pairs that match, estimated as Fellegi-Sunter EM does with m and u held: the
    expected number of matches among the blocked pairs (the sum of their match probabilities) over
    all pairs, repeated until it settles. A batch full of duplicates (a CRM export, a messy merge)
    then weighs a pair's evidence against its real base rate rather than the cautious prior; the
    estimate stays between the prior and `ceiling`."""
    import numpy as np

    evidence = np.asarray(weights, dtype=np.float64) - _bits(prior)  # the pair's Bayes factor in bits
    share = prior
    for _ in range(50):
        odds = np.clip(evidence + _bits(share), -60.0, 60.0)
        updated = min(max(float(np.sum(1.0 / (1.0 + np.exp2(-odds)))) / pairs, prior), max(ceiling, prior))
        if abs(updated - share) <= 1e-4 * share:
            return updated
        share = updated
    return share


def _linker(
    table: Any, active: dict[str, tuple[Level, ...]], count: int, settings: MatchSettings, *, train: bool
) -> tuple[Any, Any]:
    """A Splink linker on its own DuckDB connection (returned too, to query the predictions)."""
    import duckdb
    from splink import DuckDBAPI, Linker

    frequencies = count >= settings.frequency_min_records
    spec = {
        "link_type": "dedupe_only",
        "comparisons": [
            _comparison(name, levels, priors=not train, frequencies=frequencies) for name, levels in active.items()
        ],
        "blocking_rules_to_generate_predictions": [
            {"blocking_rule": _block(rule), "sql_dialect": "duckdb"} for rule in BLOCKING
        ],
        "probability_two_random_records_match": _prior_share(count),
        "retain_matching_columns": True,  # with them come the gamma (level) columns that explain a pair
        "retain_intermediate_calculation_columns": False,
        "additional_columns_to_retain": [],
    }
    connection = duckdb.connect()
    api = DuckDBAPI(connection)
    linker = Linker(api.register(table), spec, log_level=logging.ERROR)
    if frequencies and "birth_date" in active:
        dates = _date_frequencies(table, max(settings.common_date_min, count // 1000))
        linker.table_management.register_term_frequency_lookup(api.register(dates), "birth_date")
    return linker, connection


def _scored(row: dict[str, Any], active: dict[str, tuple[Level, ...]], shift: float) -> ScoredPair:
    """The pair of a prediction row; `shift` (bits) moves its weight to the estimated share of matches."""
    agreed: list[str] = []
    disagreed: list[str] = []
    for name, levels in active.items():
        gamma = int(row[f"gamma_{name}"])
        if gamma == 0:
            disagreed.append(name)
        elif gamma > 0:
            agreed.append(f"{name}: {levels[len(levels) - gamma][0]}")
    left, right = sorted((int(row["unique_id_l"]), int(row["unique_id_r"])))
    weight = float(row["match_weight"]) + shift
    probability = float(row["match_probability"]) if shift == 0 else 1.0 / (1.0 + 2.0 ** -min(max(weight, -60), 60))
    return ScoredPair(left, right, probability, weight, tuple(agreed), tuple(disagreed))
