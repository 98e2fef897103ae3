"""`cxloop customer export|erase` on a DuckDB store: lookup by e-mail or id, kept exports, confirmation."""

from __future__ import annotations

import zipfile

import sqlalchemy as sa
from click.testing import CliRunner, Result

from cxloop.cli import main
from cxloop.config import Settings
from cxloop.store.engine import Store
from cxloop.store.tables import audit_log, customers

from .seed import add_customer


def _cli(settings: Settings, *args: str) -> Result:
    env = {"CXLOOP_DATABASE_URL": settings.database_url, "CXLOOP_ENVIRONMENT": "test"}
    return CliRunner().invoke(main, ["--data-dir", str(settings.data_dir), *args], env=env)


def test_export_by_email_keeps_a_file_that_erase_removes(duckdb_store: Store, duckdb_settings: Settings) -> None:
    minsu = add_customer(duckdb_store, name="김민수", email="minsu@example.com")
    other = add_customer(duckdb_store, name="Emily", email="emily@example.com")
    exported = _cli(duckdb_settings, "customer", "export", "--email", "MinSu@Example.com")
    assert exported.exit_code == 0, exported.output
    kept = list((duckdb_settings.data_dir / "exports" / minsu).glob("*.zip"))
    assert len(kept) == 1
    assert "customers.json" in zipfile.ZipFile(kept[0]).namelist()

    assert _cli(duckdb_settings, "customer", "erase", "--id", minsu).exit_code == 2  # no --yes
    both = _cli(duckdb_settings, "customer", "erase", "--id", minsu, "--email", "minsu@example.com", "--yes")
    assert both.exit_code == 2
    assert "exactly one" in both.output
    unknown = _cli(duckdb_settings, "customer", "export", "--email", "nobody@example.com")
    assert unknown.exit_code == 2
    assert "no customer" in unknown.output
    assert _cli(duckdb_settings, "customer", "export", "--id", "NOPE").exit_code != 0

    erased = _cli(duckdb_settings, "customer", "erase", "--id", minsu, "--yes", "--format", "json")
    assert erased.exit_code == 0, erased.output
    assert not (duckdb_settings.data_dir / "exports" / minsu).exists()
    with duckdb_store.read() as conn:
        assert list(conn.execute(sa.select(customers.c.id)).scalars()) == [other]
        actions = list(conn.execute(sa.select(audit_log.c.action).order_by(audit_log.c.seq)).scalars())
    assert actions == ["export", "erase"]
