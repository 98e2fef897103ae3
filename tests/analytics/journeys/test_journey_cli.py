"""`cxloop funnel`, `paths` and `cohorts` against a real DuckDB store, in every output format."""

from __future__ import annotations

import csv
import io

import orjson
import pytest
from click.testing import CliRunner, Result

from analytics.journeys.journey_data import FUNNEL, load, standard_tables
from cxloop.cli import main
from cxloop.config import Settings
from cxloop.store.engine import Store

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def cli(settings: Settings, *args: str) -> Result:
    env = {"CXLOOP_DATABASE_URL": settings.database_url}
    return CliRunner().invoke(main, ["--data-dir", str(settings.data_dir), *args], env=env)


def test_funnel_in_every_format(duckdb_settings: Settings, duckdb_store: Store) -> None:
    load(duckdb_store, standard_tables())
    duckdb_store.dispose()  # the CLI opens the file itself, as it would with no server running
    table = cli(duckdb_settings, "funnel", *FUNNEL, "--window", "1d")
    assert table.exit_code == 0, table.output
    assert "entering 2026-04-27 – 2026-05-26, converted 1 of 4 within 1d" in table.output
    as_json = orjson.loads(cli(duckdb_settings, "funnel", *FUNNEL, "--format", "json").output)
    assert [s["customers"] for s in as_json["steps"]] == [4, 4, 2, 2, 2]
    rows = list(
        csv.DictReader(
            io.StringIO(cli(duckdb_settings, "funnel", *FUNNEL, "--by", "channel", "--format", "csv").output)
        )
    )
    web = [r for r in rows if r["group"] == "web"]
    assert [r["customers"] for r in web] == ["3", "3", "2", "2", "2"]
    assert rows[2]["drop_off"] == "2"


def test_paths_and_cohorts(duckdb_settings: Settings, duckdb_store: Store) -> None:
    load(duckdb_store, standard_tables())
    duckdb_store.dispose()
    paths = cli(duckdb_settings, "paths", "--from-event", "visit", "--to-event", "purchase", "--depth", "3")
    assert paths.exit_code == 0
    assert "visit > product_view > … > purchase" in paths.output
    cohorts = cli(duckdb_settings, "cohorts", "--grain", "week", "--periods", "3", "--format", "csv")
    first = next(csv.DictReader(io.StringIO(cohorts.output)))
    assert (first["cohort"], first["size"], first["p1"]) == ("2026-05-04", "4", "0.75")


def test_bad_input_is_one_clear_line(duckdb_settings: Settings, duckdb_store: Store) -> None:
    one_step = cli(duckdb_settings, "funnel", "visit")
    assert one_step.exit_code == 2
    assert "at least 2 steps" in one_step.output
    bad_window = cli(duckdb_settings, "funnel", "visit", "purchase", "--window", "week")
    assert bad_window.exit_code == 2
    assert "not a duration" in bad_window.output
    empty = cli(duckdb_settings, "funnel", "visit", "purchase")
    assert empty.exit_code == 0
    assert empty.output.strip() == "no data"
