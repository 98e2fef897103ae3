"""Routing and case creation throughput: the `route` pipeline stage over enriched feedback batches.

Each run builds a fresh DuckDB store with 5,000 customers (tiers, cities), three staffed teams and
the shipped routing rules, then feeds batches of 2,000 stored, already-enriched feedback items
(synthetic topics, flags and sentiment; with four items per customer per run, most later items join
the customer's open case as recontacts) through `cxloop.jobs.routing.route_feedback` inside a write
transaction, as the worker does.
Text analysis is measured by bench_pipeline_text; this isolates routing, case creation, recontact
joining, assignment and the SLA due-time calculation. Reports the median of the runs.

Run: .venv/bin/python benchmarks/bench_routing.py [--items N] [--repeats N] [--json PATH]
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import time
from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from _common import WORK_DIR, Table, markdown_table, write_results

from cxloop.config import load_settings
from cxloop.domain import RecordKind, new_id
from cxloop.jobs.pipeline import PipelineItem, StageContext
from cxloop.jobs.routing import route_feedback
from cxloop.store import cases as case_repo
from cxloop.store import migrate
from cxloop.store.engine import Store
from cxloop.store.tables import case_feedback, cases, customers, feedback, team_members, users

TITLE = "Routing and case creation"
BATCH = 2000
CUSTOMERS = 5000
TOPICS = ("delivery", "app_errors", "payment", "refund_return", "price", "packaging", "agent_service")
FLAG_SETS = ((), (), (), ("churn_intent",), ("legal_threat",), ("churn_intent", "vip"), ("repeated_contact",))


def _seed(store: Store, rng: random.Random, now: datetime) -> list[str]:
    ids = [new_id() for _ in range(CUSTOMERS)]
    rows = [
        {"id": cid, "name": f"c{i}", "tier": rng.choice(("basic", "silver", "gold", "vip")),
         "city": rng.choice(("서울", "부산", "대구")), "created_at": now, "updated_at": now, "source": "bench"}
        for i, cid in enumerate(ids)
    ]  # fmt: skip
    with store.write() as conn:
        store.dialect.bulk_insert(conn, customers, rows)
        for team in ("logistics", "digital", "cx-support"):
            for n in range(4):
                user_id = new_id()
                conn.execute(users.insert().values(
                    id=user_id, email=f"{team}{n}@bench.example", name=f"{team}{n}", password_hash="-",  # noqa: S106 - no one signs in as these
                    role="agent", is_active=True, failed_logins=0, created_at=now, source="bench",
                ))  # fmt: skip
                team_id = case_repo.ensure_teams(conn, [team], now)[team]
                conn.execute(
                    team_members.insert().values(team_id=team_id, user_id=user_id, skills={"languages": ["ko"]})
                )
    return ids


def _batch(rng: random.Random, customer_ids: list[str], now: datetime) -> list[PipelineItem]:
    items = []
    for _ in range(BATCH):
        fid = new_id()
        topic = rng.choice(TOPICS)
        negative = rng.random() < 0.55
        row = {
            "id": fid, "source": "bench", "external_id": fid, "customer_id": rng.choice(customer_ids),
            "channel": rng.choice(("call", "chat", "email", "app_review")), "occurred_at": now,
            "occurred_utc_offset_minutes": 540, "text": "배송이 늦어요 " * 3, "language": "ko",
            "sentiment_label": "negative" if negative else "positive", "sentiment_score": -0.6 if negative else 0.6,
            "topics": [{"topic": topic, "sentiment": "negative", "score": -0.6, "start": 0, "end": 5}],
            "flags": list(rng.choice(FLAG_SETS)), "priority": rng.randint(10, 90), "batch_id": "bench",
            "ingested_at": now,
        }  # fmt: skip
        items.append(
            PipelineItem(
                intake_id=fid,
                batch_id="bench",
                kind=RecordKind.FEEDBACK,
                source="bench",
                external_id=fid,
                payload={},
                received_at=now,
                record_id=fid,
                customer_id=row["customer_id"],
                row=row,
            )
        )
    return items


def run_once(items_total: int, seed: int) -> tuple[float, int, int]:
    """Seconds spent in the route stage for `items_total` items, cases opened, recontacts joined."""
    folder = WORK_DIR / f"routing-{seed}"
    shutil.rmtree(folder, ignore_errors=True)
    settings = load_settings(environment="test", data_dir=folder, database_url=f"duckdb:///{folder / 'bench.duckdb'}")
    store = Store(settings.resolved_database_url)
    migrate.upgrade(store)
    rng = random.Random(seed)
    now = datetime(2026, 9, 21, 1, 0)
    customer_ids = _seed(store, rng, now)
    elapsed = 0.0
    for index in range(items_total // BATCH):
        batch = _batch(rng, customer_ids, now + timedelta(minutes=index))
        with store.write() as conn:
            store.dialect.bulk_insert(conn, feedback, [item.row for item in batch])  # the store stage's work
            ctx = StageContext(conn=conn, dialect=store.dialect, settings=settings, now=now + timedelta(minutes=index))
            started = time.perf_counter()
            route_feedback(batch, ctx)
            elapsed += time.perf_counter() - started
    with store.read() as conn:
        opened = int(conn.execute(sa.select(sa.func.count()).select_from(cases)).scalar_one())
        joined = int(
            conn.execute(
                sa.select(sa.func.count()).select_from(case_feedback).where(case_feedback.c.is_recontact)
            ).scalar_one()
        )
    store.dispose()
    shutil.rmtree(folder, ignore_errors=True)
    return elapsed, opened, joined


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=20_000, help="feedback items per run (multiple of 2,000)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="10,000 items, 3 runs")
    parser.add_argument("--json", type=Path, help="also write the results as JSON here")
    args = parser.parse_args()
    items = 10_000 if args.quick else max(BATCH, args.items - args.items % BATCH)
    runs = [run_once(items, seed) for seed in range(args.repeats)]
    rates = [items / seconds for seconds, _, _ in runs]
    rate = statistics.median(rates)
    table = Table(
        f"Route stage on DuckDB ({items:,} items per run, batches of {BATCH:,}, median of {args.repeats})",
        ["measure", "value", "target", "met?"],
    )
    table.add("items/s (median)", round(rate), 1000, rate >= 1000)
    table.add("items/s (slowest run)", round(min(rates)), None, None)
    table.add("cases opened per run (median)", statistics.median(r[1] for r in runs), None, None)
    table.add("recontacts joined per run (median)", statistics.median(r[2] for r in runs), None, None)
    table.notes.append(
        "Wall-clock seconds inside route_feedback only (routing, team lookup, recontact join, assignment, SLA due "
        "times, bulk writes); building and storing the feedback rows is not counted."
    )
    print(f"\n### {table.title}\n")
    print(markdown_table(table.columns, table.rows))
    if args.json:
        write_results(args.json, title=TITLE, mode="quick" if args.quick else "full", tables=[table])


if __name__ == "__main__":
    main()
