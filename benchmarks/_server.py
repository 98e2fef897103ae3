"""Stores and servers for the platform benchmark: fresh stores on DuckDB or a throwaway PostgreSQL,
a `cxloop serve` process, and the HTTP client side of the ingest API."""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import httpx
from _common import free_port, make_postgres_durable, throwaway_postgres_class

from cxloop.config import load_settings
from cxloop.store.engine import Store

logger = logging.getLogger("bench")


class ServerProcess:
    """`python -m cxloop --data-dir DIR serve` on a free port, started and stopped by this object.

    With a PostgreSQL `database_url` the schema is upgraded first, as an operator would."""

    def __init__(self, data_dir: Path, database_url: str, *, worker: bool, log: Path) -> None:
        self.data_dir = data_dir
        self.database_url = database_url
        self.worker = worker
        self.log = log
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._process: subprocess.Popen[bytes] | None = None
        self._env = {**os.environ, "CXLOOP_DATABASE_URL": database_url, "CXLOOP_ENVIRONMENT": "development"}
        self._env.pop("CXLOOP_DATA_DIR", None)

    def cli(self, *args: str) -> str:
        """Run a cxloop command beside the server; returns its standard output."""
        command = [sys.executable, "-m", "cxloop", "--data-dir", str(self.data_dir), *args]
        result = subprocess.run(command, env=self._env, capture_output=True, text=True, check=False, timeout=300)
        if result.returncode != 0:
            raise RuntimeError(f"cxloop {' '.join(args)} failed ({result.returncode}):\n{result.stderr[-2000:]}")
        return result.stdout

    def start(self) -> Self:
        if self.database_url.startswith("postgresql"):
            self.cli("db", "upgrade")
        command = [sys.executable, "-m", "cxloop", "--data-dir", str(self.data_dir), "serve", "--port", str(self.port)]
        if not self.worker:
            command.append("--no-worker")
        with self.log.open("ab") as log:
            self._process = subprocess.Popen(command, env=self._env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"the server exited with {self._process.returncode}; see {self.log}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"the server did not answer /healthz within 120 s; see {self.log}")

    def create_token(self) -> str:
        """A token made with the CLI, which forwards to this server when it owns the DuckDB file."""
        return self.cli("token", "create", "--name", "bench", "--scopes", "ingest,read").strip().splitlines()[0]

    def kill(self) -> None:
        """SIGKILL: no clean shutdown, so what is found afterwards was on disk before the answer."""
        if self._process is not None and self._process.poll() is None:
            self._process.send_signal(signal.SIGKILL)
            self._process.wait(timeout=60)

    def stop(self) -> None:
        if self._process is None or self._process.poll() is not None:
            return
        self._process.send_signal(signal.SIGTERM)
        try:
            self._process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.kill()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


@dataclass
class PostedBatches:
    """What the API answered to a series of batch requests of one kind."""

    kind: str
    latencies: list[float] = field(default_factory=list)
    wall_seconds: float = 0.0
    receipts: list[dict[str, Any]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    @property
    def accepted(self) -> int:
        return sum(int(r["accepted"]) for r in self.receipts)


def post_batches(base_url: str, token: str, kind: str, bodies: Sequence[bytes], *, clients: int) -> PostedBatches:
    """POST every body to /api/v1/{kind} from `clients` threads, one connection each; bodies are
    serialized beforehand so the client spends its time waiting, not encoding."""
    local = threading.local()
    opened: list[httpx.Client] = []
    lock = threading.Lock()

    def client() -> httpx.Client:
        if not hasattr(local, "client"):
            local.client = httpx.Client(
                base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=httpx.Timeout(600.0)
            )
            with lock:
                opened.append(local.client)
        return local.client  # type: ignore[no-any-return]

    def send(body: bytes) -> tuple[float, int, Any]:
        began = time.perf_counter()
        response = client().post(f"/api/v1/{kind}", content=body, headers={"content-type": "application/json"})
        took = time.perf_counter() - began
        return took, response.status_code, response.json() if response.content else None

    posted = PostedBatches(kind)
    started = time.perf_counter()
    try:
        with ThreadPoolExecutor(max_workers=clients) as pool:
            answers = list(pool.map(send, bodies))
    finally:
        posted.wall_seconds = time.perf_counter() - started
        for c in opened:
            c.close()
    for took, status, body in answers:
        posted.latencies.append(took)
        if status == 202 and isinstance(body, dict):
            posted.receipts.append(body)
        else:
            posted.failures.append(f"HTTP {status}: {str(body)[:300]}")
    return posted


def check_batches(base_url: str, token: str, posted: Sequence[PostedBatches]) -> list[str]:
    """Ask the server about every batch it acknowledged; returns the disagreements."""
    problems = []
    with httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=120) as client:
        for series in posted:
            for receipt in series.receipts:
                response = client.get(f"/api/v1/batches/{receipt['batch_id']}")
                if response.status_code != 200:
                    problems.append(f"batch {receipt['batch_id']}: HTTP {response.status_code}")
                    continue
                batch = response.json()
                queued = sum(batch["processing"]["status_counts"].values())
                if batch["accepted_count"] != receipt["accepted"] or queued != receipt["accepted"]:
                    problems.append(
                        f"batch {receipt['batch_id']}: answered {receipt['accepted']} accepted, the server "
                        f"now reports {batch['accepted_count']} with {queued} queued records"
                    )
    return problems


class Stores:
    """Fresh stores for each measurement: a DuckDB file in a scratch folder, or a new database on one
    throwaway PostgreSQL server, started on first use with durability switched back on."""

    def __init__(self, scratch: Path) -> None:
        self.scratch = scratch
        self.postgres_settings: list[str] = []
        self.postgres_problem: str | None = None
        self._pg: Any = None

    def _server(self) -> Any:
        if self._pg is None and self.postgres_problem is None:
            server_class = throwaway_postgres_class()
            try:
                self._pg = server_class().start()
            except Exception as exc:  # missing binaries, no free port: report, don't abort the run
                self.postgres_problem = f"PostgreSQL unavailable: {exc}".splitlines()[0]
                logger.warning("%s", self.postgres_problem)
                return None
            if self._pg.is_external:
                self.postgres_settings = ["external server (CXLOOP_TEST_POSTGRES_URL), settings as found"]
            else:
                self.postgres_settings = make_postgres_durable(self._pg.url)
        return self._pg

    def fresh(self, backend: str, name: str) -> tuple[str, Path] | None:
        """(database URL, data dir) of an empty store, or None when the backend is unavailable."""
        data_dir = self.scratch / f"{backend}-{name}"
        shutil.rmtree(data_dir, ignore_errors=True)
        data_dir.mkdir(parents=True)
        if backend == "duckdb":
            return f"duckdb:///{data_dir / 'cxloop.duckdb'}", data_dir
        server = self._server()
        return (server.create_database(f"bench_{name}"), data_dir) if server is not None else None

    def close(self) -> None:
        if self._pg is not None:
            self._pg.stop()


def store_settings(url: str, data_dir: Path) -> Any:
    """cxloop settings for a store: the DuckDB file inside `data_dir`, or a PostgreSQL URL."""
    return load_settings(data_dir=data_dir, database_url="" if url.startswith("duckdb") else url)


def count_intake(url: str) -> dict[str, Counter[str]]:
    """Queued records per kind and status, read by a fresh connection."""
    store = Store(url)
    try:
        with store.read() as conn:
            rows = conn.exec_driver_sql("SELECT kind, status, count(*) FROM intake_records GROUP BY 1, 2").all()
    finally:
        store.dispose()
    counts: dict[str, Counter[str]] = {}
    for kind, status, n in rows:
        counts.setdefault(str(kind), Counter())[str(status)] = int(n)
    return counts
