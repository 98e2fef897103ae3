"""Shared fixtures: real stores on DuckDB and on a throwaway PostgreSQL server, apps and tokens."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cxloop.config import Settings, load_settings
from cxloop.domain import TokenScope
from cxloop.store import migrate
from cxloop.store.engine import Store
from support.helpers import make_token
from support.postgres import ThrowawayPostgres

BACKENDS = ["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[ThrowawayPostgres]:
    server = ThrowawayPostgres()
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _database_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    if backend == "duckdb":
        return f"duckdb:///{tmp_path / 'store' / 'cxloop.duckdb'}"
    server: ThrowawayPostgres = request.getfixturevalue("postgres_server")
    return str(server.create_database(f"t_{uuid.uuid4().hex[:12]}"))


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """Runs a test once on DuckDB and once on PostgreSQL."""
    return str(request.param)


@pytest.fixture
def settings(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Settings]:
    url = _database_url(backend, tmp_path, request)
    yield load_settings(environment="test", data_dir=tmp_path / "data", database_url=url, worker_poll_seconds=0.05)
    if backend == "postgres":
        # Dropped right away: hundreds of leftover databases make the server slow to stop.
        request.getfixturevalue("postgres_server").drop_database(url.rsplit("/", 1)[1])


@pytest.fixture
def duckdb_settings(tmp_path: Path) -> Settings:
    """For tests about behaviour that is the same on both stores and needs only one."""
    return load_settings(
        environment="test",
        data_dir=tmp_path / "data",
        database_url=f"duckdb:///{tmp_path / 'store' / 'cxloop.duckdb'}",
        worker_poll_seconds=0.05,
    )


def _store(settings: Settings) -> Iterator[Store]:
    store = Store(settings.resolved_database_url)
    migrate.upgrade(store)
    try:
        yield store
    finally:
        store.dispose()


@pytest.fixture
def store(settings: Settings) -> Iterator[Store]:
    """A migrated, empty store on the parametrized backend."""
    yield from _store(settings)


@pytest.fixture
def duckdb_store(duckdb_settings: Settings) -> Iterator[Store]:
    yield from _store(duckdb_settings)


def _client(settings: Settings, store: Store) -> Iterator[TestClient]:
    from cxloop.web.app import create_app

    app = create_app(settings, store=store, run_worker=False)
    with TestClient(app, base_url="http://testserver") as client:
        yield client


@pytest.fixture
def client(settings: Settings, store: Store) -> Iterator[TestClient]:
    """The app on the parametrized backend; the pipeline worker is run explicitly by tests."""
    yield from _client(settings, store)


@pytest.fixture
def duckdb_client(duckdb_settings: Settings, duckdb_store: Store) -> Iterator[TestClient]:
    yield from _client(duckdb_settings, duckdb_store)


@pytest.fixture
def ingest_headers(store: Store) -> dict[str, str]:
    return make_token(store, TokenScope.INGEST, TokenScope.READ)


@pytest.fixture(scope="session")
def playwright() -> Iterator[Any]:
    """One Playwright driver for the whole session: its sync API allows only one at a time."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Any) -> Iterator[Any]:
    from support.browser import ChromiumUnavailableError, launch_chromium

    try:
        chromium = launch_chromium(playwright)
    except ChromiumUnavailableError as exc:
        pytest.skip(str(exc))
    try:
        yield chromium
    finally:
        chromium.close()


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    # Tests talk to servers on loopback only.
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    os.environ.pop("CXLOOP_DATABASE_URL", None)
