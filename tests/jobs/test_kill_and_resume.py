"""Durability: a crash or kill between intake and processing loses nothing, and processing resumes.

Both tests SIGKILL a real process in the middle of draining the queue: a `cxloop worker` on
PostgreSQL, and a `cxloop serve` (with its embedded worker) on DuckDB. Afterwards every processed
record has exactly its feedback row, nothing is half-written, and a restart finishes the rest.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import sqlalchemy as sa

from cxloop.config import load_settings
from cxloop.domain import RecordKind
from cxloop.jobs.intake import accept_records
from cxloop.store import migrate
from cxloop.store.engine import Store
from support.cxloop_process import CxloopServer, clean_env, run_cxloop
from support.postgres import ThrowawayPostgres

pytestmark = pytest.mark.slow

TOTAL = 20_000
# The embedded worker shares one write lock with ingestion, so it drains slower; half is plenty to
# catch it mid-way and keeps the test under a minute on a 2-core machine.
EMBEDDED_TOTAL = 10_000
# Long enough for a slow shared machine; every wait ends as soon as its condition holds.
PROGRESS_TIMEOUT = 180.0
DRAIN_TIMEOUT = 300.0


def _feedback(n: int) -> dict[str, Any]:
    # 2,000 recurring customers, so the identify stage does real linking work while it is killed.
    return {
        "source": "callcenter",
        "feedback_id": f"K-{n:05d}",
        "phone": f"010-7{n % 2000:03d}-{n % 2000:04d}",
        "channel": "call",
        "occurred_at": "2026-06-03T14:22:05+09:00",
        "text": f"배송이 너무 늦어요 ({n})",
    }


def _wait_for(condition: Callable[[], Any], timeout: float, failure: Callable[[], str]) -> Any:
    """Poll `condition` until it returns something truthy; fail with `failure()` after `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(failure())


def _done(store: Store) -> int:
    with store.read() as conn:
        return int(conn.execute(sa.text("SELECT count(*) FROM intake_records WHERE status = 'done'")).scalar_one())


def _assert_consistent(store: Store, *, expect_done: int | None = None) -> int:
    """Nothing half-processed: each done intake record has its one feedback row, and no other exists."""
    with store.read() as conn:
        facts = conn.execute(
            sa.text(
                """
                SELECT
                  (SELECT count(*) FROM intake_records WHERE status = 'done') AS done,
                  (SELECT count(*) FROM intake_records WHERE status NOT IN ('done', 'pending')) AS other,
                  (SELECT count(*) FROM feedback) AS feedback_rows,
                  (SELECT count(DISTINCT source || '/' || external_id) FROM feedback) AS distinct_keys,
                  (SELECT count(*) FROM intake_records i JOIN feedback f ON f.id = i.record_id
                    WHERE i.status = 'done' AND f.source = i.source AND f.external_id = i.external_id)
                    AS done_with_their_row,
                  (SELECT count(*) FROM intake_records WHERE status = 'pending' AND record_id IS NOT NULL)
                    AS pending_with_a_row
                """
            )
        ).one()
    assert facts.other == 0, f"{facts.other} intake records ended neither done nor pending"
    assert facts.feedback_rows == facts.done, (
        f"half-processed: {facts.done} intake records are done but there are {facts.feedback_rows} feedback rows"
    )
    assert facts.distinct_keys == facts.feedback_rows, "a record was turned into feedback twice"
    assert facts.done_with_their_row == facts.done, "a done intake record does not point at its feedback row"
    assert facts.pending_with_a_row == 0
    if expect_done is not None:
        assert facts.done == expect_done
    return int(facts.done)


# -- PostgreSQL: a separate worker process ----------------------------------------------------


def _wait_for_backends_to_end(store: Store, application_name: str) -> None:
    """A killed client's backend ends (and releases its row locks) once PostgreSQL notices the
    closed socket; until then SKIP LOCKED would hide its rows from the restarted worker."""

    def gone() -> bool:
        with store.read() as conn:
            query = sa.text("SELECT count(*) FROM pg_stat_activity WHERE application_name = :name")
            return conn.execute(query, {"name": application_name}).scalar_one() == 0

    _wait_for(gone, 60, lambda: f"the killed worker's PostgreSQL sessions ({application_name}) did not end")


@pytest.mark.postgres
def test_killed_postgres_worker_loses_nothing_and_resumes(postgres_server: ThrowawayPostgres, tmp_path: Path) -> None:
    url = postgres_server.create_database("t_kill_and_resume")
    settings = load_settings(environment="test", data_dir=tmp_path / "data", database_url=url)
    store = Store(settings.resolved_database_url)
    migrate.upgrade(store)
    for start in range(0, TOTAL, settings.max_batch_records):
        items = [(n, _feedback(n)) for n in range(start, min(TOTAL, start + settings.max_batch_records))]
        receipt = accept_records(store, settings, RecordKind.FEEDBACK, items, origin="api")
        assert (receipt.accepted, receipt.rejected) == (len(items), 0)

    env = clean_env(CXLOOP_DATABASE_URL=url, CXLOOP_WORKER_BATCH_SIZE="500", PGAPPNAME="cxloop-doomed-worker")
    log_path = tmp_path / "worker.log"
    with log_path.open("wb") as log:
        worker = subprocess.Popen(
            [sys.executable, "-m", "cxloop", "worker"], env=env, stdout=log, stderr=subprocess.STDOUT, cwd=tmp_path
        )
    try:

        def midway() -> bool:
            if worker.poll() is not None:
                raise AssertionError(f"the worker exited early ({worker.returncode}):\n{log_path.read_text()}")
            done = _done(store)
            if done == TOTAL:
                raise AssertionError("the worker finished before it could be killed: raise TOTAL or lower the batch")
            return done > 0

        _wait_for(midway, PROGRESS_TIMEOUT, lambda: f"the worker made no progress:\n{log_path.read_text()}")
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=60)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait(timeout=60)

    _wait_for_backends_to_end(store, "cxloop-doomed-worker")
    done_at_kill = _assert_consistent(store)
    assert 0 < done_at_kill < TOTAL

    resumed = run_cxloop("worker", "--until-idle", env=clean_env(CXLOOP_DATABASE_URL=url), cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert f"processed {TOTAL - done_at_kill:,} records" in resumed.stdout, resumed.stdout
    _assert_consistent(store, expect_done=TOTAL)
    store.dispose()


# -- DuckDB: the server owns the file and runs the worker inside ------------------------------


def _status(http: httpx.Client) -> dict[str, int]:
    response = http.get("/api/v1/status")
    assert response.status_code == 200, response.text
    counts: dict[str, int] = response.json()["by_kind"].get("feedback", {})
    return counts


def test_killed_duckdb_server_loses_nothing_and_resumes(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    # Small batches: the embedded worker must still be busy when the server is killed.
    env = clean_env(CXLOOP_WORKER_BATCH_SIZE="200", CXLOOP_WORKER_POLL_SECONDS="0.05")
    server = CxloopServer(data_dir, env=env, name="first").start()
    try:
        # The server holds the DuckDB file, so this CLI command must go through its API.
        created = run_cxloop(
            "--data-dir", str(data_dir), "token", "create", "--name", "t", "--scopes", "ingest,read", env=env
        )
        assert created.returncode == 0, created.stderr
        secret = created.stdout.strip()
        assert secret.startswith("cxl_"), created.stdout
        http = httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {secret}"}, timeout=120)
        for start in range(0, EMBEDDED_TOTAL, 5000):
            batch = [_feedback(n) for n in range(start, start + 5000)]
            response = http.post("/api/v1/feedback", json=batch)
            assert response.status_code == 202, response.text
            assert response.json()["accepted"] == 5000

        def midway() -> bool:
            counts = _status(http)
            if counts.get("done", 0) == EMBEDDED_TOTAL:
                raise AssertionError(
                    "processing finished before the kill: raise EMBEDDED_TOTAL or lower the batch size"
                )
            return counts.get("done", 0) > 0

        _wait_for(midway, PROGRESS_TIMEOUT, lambda: f"the embedded worker made no progress:\n{server.log_tail()}")
        http.close()
        server.kill()
    finally:
        server.kill()

    # The killed server left its announcement behind.
    assert (data_dir / "server.json").exists()
    store = Store(f"duckdb:///{data_dir / 'cxloop.duckdb'}")
    try:
        done_at_kill = _assert_consistent(store)
    finally:
        store.dispose()
    assert 0 < done_at_kill < EMBEDDED_TOTAL
    # The pid in the announcement is dead, so the CLI opens the file itself instead of calling it.
    status = run_cxloop("--data-dir", str(data_dir), "status", "--format", "json", env=env)
    assert status.returncode == 0, status.stderr
    counts = orjson.loads(status.stdout)["by_kind"]["feedback"]
    assert counts == {"done": done_at_kill, "pending": EMBEDDED_TOTAL - done_at_kill}

    # Resuming needs no small batches; the default size drains the rest quickly.
    restarted = CxloopServer(data_dir, env=clean_env(CXLOOP_WORKER_POLL_SECONDS="0.05"), name="second").start()
    try:
        with httpx.Client(base_url=restarted.url, headers={"Authorization": f"Bearer {secret}"}, timeout=120) as http:
            _wait_for(
                lambda: _status(http) == {"done": EMBEDDED_TOTAL},
                DRAIN_TIMEOUT,
                lambda: f"the restarted server did not finish: {_status(http)}\n{restarted.log_tail()}",
            )
            listed = http.get("/api/v1/feedback", params={"page_size": 1})
            assert listed.status_code == 200, listed.text
            assert listed.json()["total"] == EMBEDDED_TOTAL
    finally:
        restarted.stop()
    # uvicorn re-raises the SIGTERM it handled once shutdown is complete, hence -SIGTERM.
    assert restarted.process is not None
    assert restarted.process.returncode in (0, -signal.SIGTERM)
    assert not (data_dir / "server.json").exists(), "a clean shutdown removes the announcement"

    store = Store(f"duckdb:///{data_dir / 'cxloop.duckdb'}")
    try:
        _assert_consistent(store, expect_done=EMBEDDED_TOTAL)
        with store.read() as conn:
            created_by = conn.execute(sa.text("SELECT created_by FROM api_tokens WHERE name = 't'")).scalar_one()
        assert created_by == "local-cli", "the token was not created through the running server"
    finally:
        store.dispose()
