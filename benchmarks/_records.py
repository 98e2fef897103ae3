"""Realistic records for the benchmarks: API and file shapes from the demo generator, and SQL that
fills the customers, feedback and events tables directly at the sizes of the query benchmark."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from cxloop.demo.synth import generate_company
from cxloop.domain import RecordKind

#: Bump when the generated query data changes, so cached DuckDB files are rebuilt.
QUERY_DATA_VERSION = 2
#: The newest moment in the generated data (naive UTC); the overview's period ends here.
LATEST = datetime(2026, 10, 31, 14, 59, 59)
SPAN_DAYS = 180
ID_FIELD = {RecordKind.EVENTS: "event_id", RecordKind.FEEDBACK: "feedback_id"}


@dataclass(frozen=True)
class RecordShapes:
    """Templates from the synthetic demo company; copies get unique ids so none is a duplicate."""

    events: list[dict[str, Any]]
    feedback: list[dict[str, Any]]
    customer_names: list[str]

    @classmethod
    def load(cls, customers: int = 1500, seed: int = 42) -> RecordShapes:
        company = generate_company(seed=seed, customers=customers)
        names = sorted({str(c["name"]) for c in company.customers if c.get("name")})
        return cls(company.events, company.feedback, names)

    def records(self, kind: RecordKind, count: int, tag: str) -> list[dict[str, Any]]:
        """`count` records of `kind`, cycling through the templates, with ids unique per `tag`."""
        templates = self.events if kind is RecordKind.EVENTS else self.feedback
        id_field = ID_FIELD[kind]
        out = []
        for j in range(count):
            record = dict(templates[j % len(templates)])
            record[id_field] = f"{record[id_field]}.{tag}.{j}"
            out.append(record)
        return out

    def texts(self) -> list[tuple[str, str | None]]:
        """(text, language) of every distinct feedback text, language as the pipeline would tag it."""
        try:
            from cxloop.text.language import detect_language
        except ImportError:  # the language stage is newer than this benchmark may be
            detect_language = None  # type: ignore[assignment]
        seen = sorted({str(f["text"]) for f in self.feedback if f.get("text")})
        return [(t, detect_language(t).value if detect_language else None) for t in seen]


def to_csv(records: Sequence[dict[str, Any]], columns: Sequence[str]) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(columns)
    for record in records:
        writer.writerow(["" if record.get(c) is None else record[c] for c in columns])
    return buffer.getvalue().encode("utf-8")


def to_jsonl(records: Sequence[dict[str, Any]]) -> bytes:
    return b"".join(orjson.dumps({k: v for k, v in r.items() if v is not None}) + b"\n" for r in records)


# -- direct loading at scale ---------------------------------------------------------------------
# One SQL text per table, with three dialect hooks: the row series, a uniform number in [0, 1) per
# row and salt, and the cast to JSON. Both backends get the same distributions, row for row where
# their hash functions allow.

# Shares taken from the demo company (channels, types, survey mix), which mirrors a Korean retailer.
EVENT_CHANNELS = [("web", 47), ("app", 33), ("email", 14), ("other", 4.5), ("store", 1.1), ("call", 0.2), ("chat", 0.2)]
EVENT_SOURCE = {"web": "web", "app": "app", "email": "mailer", "other": "crm", "store": "pos", "call": "callcenter",
                "chat": "helpdesk"}  # fmt: skip
EVENT_TYPES = [
    ("product_view", 29), ("app_open", 14), ("visit", 12.5), ("email_open", 10.6), ("add_to_cart", 6.7),
    ("purchase", 5.3), ("checkout", 4.6), ("search", 4.3), ("delivery_completed", 4.1), ("email_click", 3),
    ("membership_renewal", 2.9), ("support_contact", 1), ("return_requested", 0.4), ("delivery_delayed", 0.35),
    ("refund", 0.3), ("login_failed", 0.15), ("payment_failed", 0.13), ("app_crash", 0.1),
]  # fmt: skip
EVENT_STAGE = {"product_view": "consideration", "app_open": "use", "visit": "awareness", "email_open": "awareness",
               "add_to_cart": "consideration", "purchase": "purchase", "checkout": "purchase",
               "search": "consideration", "delivery_completed": "delivery", "email_click": "awareness",
               "membership_renewal": "renewal", "support_contact": "support", "return_requested": "support",
               "delivery_delayed": "delivery", "refund": "support", "login_failed": "use",
               "payment_failed": "purchase", "app_crash": "use"}  # fmt: skip
FEEDBACK_CHANNELS = [("survey", 44), ("sns", 14.8), ("app_review", 13.3), ("web_form", 10.7), ("chat", 9.3),
                     ("email", 5), ("call", 2.9)]  # fmt: skip
FEEDBACK_SOURCE = {"survey": "survey", "sns": "sns", "app_review": "google_play", "web_form": "web",
                   "chat": "helpdesk", "email": "crm", "call": "callcenter"}  # fmt: skip
FEEDBACK_STAGES = [("support", 26), ("delivery", 24), ("use", 23), ("purchase", 15), ("consideration", 8),
                   ("churn", 4)]  # fmt: skip
TIERS = [("basic", 55), ("silver", 21), ("gold", 9), ("vip", 2)]
CITIES = [("서울", 36), ("부산", 11), ("대구", 7), ("인천", 7), ("광주", 4), ("대전", 4), ("수원", 4)]


@dataclass(frozen=True)
class SqlDialect:
    name: str

    def series(self, count: int) -> str:
        if self.name == "duckdb":
            return f"range(0, {int(count)}) AS t(i)"
        return f"generate_series(0, {int(count) - 1}) AS t(i)"

    def uniform(self, salt: int) -> str:
        if self.name == "duckdb":
            return f"(CAST(hash(i, {salt}) % 1000003 AS DOUBLE) / 1000003)"
        return f"(CAST(abs(hashint8extended(i, {salt})) % 1000003 AS DOUBLE PRECISION) / 1000003)"

    def json(self, expression: str) -> str:
        return f"CAST({expression} AS JSON)" if self.name == "postgresql" else expression

    def uniforms(self, count: int, salts: dict[str, int]) -> str:
        """A subquery of row numbers `i` with one uniform column per name, each computed once:
        OFFSET 0 keeps PostgreSQL from inlining them into every CASE branch that reads them."""
        columns = ", ".join(f"{self.uniform(salt)} AS {name}" for name, salt in salts.items())
        return f"(SELECT i, {columns} FROM {self.series(count)}{self.fence})"

    @property
    def fence(self) -> str:
        """Ends a subquery that PostgreSQL must not flatten; DuckDB would lose parallelism over it."""
        return " OFFSET 0" if self.name == "postgresql" else ""


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _pick(u: str, weighted: Sequence[tuple[str, float]]) -> str:
    """A CASE choosing a value by cumulative weight."""
    total = sum(w for _, w in weighted)
    cases, cumulative = [], 0.0
    for value, weight in weighted[:-1]:
        cumulative += weight / total
        cases.append(f"WHEN {u} < {cumulative:.6f} THEN {_literal(value)}")
    return f"CASE {' '.join(cases)} ELSE {_literal(weighted[-1][0])} END"


def _map(column: str, mapping: dict[str, str]) -> str:
    return "CASE " + " ".join(f"WHEN {column} = {_literal(k)} THEN {_literal(v)}" for k, v in mapping.items()) + " END"


def _padded_id(prefix: str, number: str) -> str:
    """A 26-character id, like the ULIDs the pipeline makes."""
    return f"{_literal(prefix)} || lpad(CAST({number} AS VARCHAR), {26 - len(prefix)}, '0')"


def _moment(u: str, count: int) -> str:
    """Rows in time order, as a store fed as things happen holds them, give or take a few minutes of
    jitter (late arrivals); more recent days are busier, as in a growing business."""
    seconds = SPAN_DAYS * 86400
    jitter = 1000  # rows
    progress = f"((i + {u} * {jitter}) / {count + jitter}.0)"
    age = f"floor(pow(1 - {progress}, 1.15) * {seconds})"
    return f"(TIMESTAMP '{LATEST:%Y-%m-%d %H:%M:%S}' - INTERVAL '1 second' * {age})"


def _customer_ref(u_known: str, u_who: str, customers: int, share_known: float) -> str:
    # A few customers are far more active than most: pow() skews the choice towards low numbers.
    number = f"CAST(floor(pow({u_who}, 1.6) * {customers}) AS BIGINT)"
    return f"CASE WHEN {u_known} < {share_known} THEN {_padded_id('CU', number)} END"


def _batch_id(prefix: str) -> str:
    return _padded_id(prefix, "CAST(floor(i / 10000.0) AS BIGINT)")


def customers_sql(d: SqlDialect, count: int, names_table: str, names: int) -> str:
    salts = {"u_name": 101, "u_birth": 102, "u_gender": 103, "u_city": 104, "u_tier": 105, "u_since": 106}
    return f"""
INSERT INTO customers (id, name, birth_date, gender, city, tier, customer_since, created_at, updated_at, source,
                       batch_id)
SELECT {_padded_id("CU", "i")}, names.name,
       CAST(DATE '1960-01-01' + CAST(floor(u_birth * 16000) AS INTEGER) AS DATE),
       CASE WHEN u_gender < 0.5 THEN 'F' ELSE 'M' END,
       {_pick("u_city", CITIES)}, {_pick("u_tier", TIERS)},
       TIMESTAMP '2021-01-01 00:00:00' + INTERVAL '1 second' * floor(u_since * 150000000),
       TIMESTAMP '2026-05-01 00:00:00', TIMESTAMP '2026-05-01 00:00:00', 'crm', 'BATCH-CUSTOMERS-000000000'
FROM {d.uniforms(count, salts)} AS r
JOIN {names_table} AS names ON names.k = CAST(floor(u_name * {names}) AS BIGINT)
"""


def events_sql(d: SqlDialect, count: int, customers: int) -> str:
    salts = {"u_known": 201, "u_who": 202, "u_type": 203, "u_channel": 204, "u_when": 205, "u_value": 206}
    properties = (
        'CASE WHEN channel = \'app\' THEN \'{"os": "android", "app_version": "5.0.4"}\' '
        "WHEN type = 'purchase' THEN '{\"payment\": \"card\"}' END"
    )
    priced = "type IN ('purchase', 'refund', 'membership_renewal')"
    return f"""
INSERT INTO events (id, source, external_id, customer_id, type, channel, occurred_at, occurred_utc_offset_minutes,
                    value, currency, journey_stage, properties, batch_id, ingested_at)
SELECT {_padded_id("EV", "i")}, {_map("channel", EVENT_SOURCE)}, 'E' || CAST(i AS VARCHAR), customer_id, type,
       channel, occurred_at, 540,
       CASE WHEN {priced} THEN CAST(floor(u_value * 3000) * 100 AS NUMERIC(18, 2)) END,
       CASE WHEN {priced} THEN 'KRW' END,
       {_map("type", EVENT_STAGE)}, {d.json(properties)}, {_batch_id("BE")}, occurred_at + INTERVAL '90 seconds'
FROM (
    SELECT i, u_value, {_customer_ref("u_known", "u_who", customers, 0.97)} AS customer_id,
           {_pick("u_type", EVENT_TYPES)} AS type, {_pick("u_channel", EVENT_CHANNELS)} AS channel,
           {_moment("u_when", count)} AS occurred_at
    FROM {d.uniforms(count, salts)} AS r{d.fence}
) AS generated
"""


def feedback_sql(d: SqlDialect, count: int, customers: int, texts_table: str, texts: int) -> str:
    salts = {"u_known": 301, "u_who": 302, "u_channel": 304, "u_when": 305, "u_silent": 306, "u_survey": 307,
             "u_score": 308, "u_staged": 309, "u_stage": 310, "u_order": 311, "u_text": 312}  # fmt: skip
    return f"""
INSERT INTO feedback (id, source, external_id, customer_id, channel, occurred_at, occurred_utc_offset_minutes,
                      text, language, rating, survey_type, score, journey_stage, product, order_id, batch_id,
                      ingested_at)
SELECT {_padded_id("FB", "i")}, {_map("channel", FEEDBACK_SOURCE)}, 'F' || CAST(i AS VARCHAR), customer_id, channel,
       occurred_at, 540,
       CASE WHEN NOT silent THEN texts.text END, CASE WHEN NOT silent THEN texts.language END,
       CASE WHEN channel = 'app_review' THEN 1 + CAST(floor(u_score * 5) AS INTEGER) END,
       survey_type,
       CASE survey_type WHEN 'nps' THEN CAST(floor(u_score * 11) AS INTEGER)
                        WHEN 'csat' THEN 1 + CAST(floor(u_score * 5) AS INTEGER)
                        WHEN 'ces' THEN 1 + CAST(floor(u_score * 7) AS INTEGER) END,
       journey_stage,
       CASE WHEN has_order THEN '루프 무선 이어폰' END,
       CASE WHEN has_order THEN 'O' || CAST(i AS VARCHAR) END,
       {_batch_id("BF")}, occurred_at + INTERVAL '90 seconds'
FROM (
    SELECT i, u_score, channel,
           {_customer_ref("u_known", "u_who", customers, 0.72)} AS customer_id,
           {_moment("u_when", count)} AS occurred_at,
           channel = 'survey' AND u_silent < 0.54 AS silent,
           CASE WHEN channel = 'survey' THEN {_pick("u_survey", [("nps", 65), ("csat", 29), ("ces", 6)])} END
               AS survey_type,
           CASE WHEN u_staged >= 0.33 THEN {_pick("u_stage", FEEDBACK_STAGES)} END AS journey_stage,
           u_order < 0.2 AS has_order,
           CAST(floor(u_text * {texts}) AS BIGINT) AS text_k
    FROM (SELECT *, {_pick("u_channel", FEEDBACK_CHANNELS)} AS channel FROM {d.uniforms(count, salts)} AS r) AS c
    {d.fence}
) AS generated
JOIN {texts_table} AS texts ON texts.k = generated.text_k
"""
