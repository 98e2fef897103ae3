"""The `cxloop` command line: thin commands, one-line errors, and forwarding to a running server."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import Any

import orjson
import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result

from cxloop.cli import main
from cxloop.config import Settings
from cxloop.domain import RecordKind
from cxloop.jobs.intake import accept_records
from cxloop.jobs.worker import Worker
from cxloop.store import intake as intake_repo
from cxloop.store import migrate
from cxloop.store.engine import Store
from cxloop.store.tables import api_tokens, feedback, intake_records
from support.cxloop_process import CxloopServer, clean_env, run_cxloop


def _cli(settings: Settings, *args: str) -> Result:
    """Run the CLI in this process against the test's store, exactly as a user would configure it."""
    runner = CliRunner()
    return runner.invoke(
        main, ["--data-dir", str(settings.data_dir), *args], env={"CXLOOP_DATABASE_URL": settings.database_url}
    )


def _feedback(n: int) -> dict[str, Any]:
    return {
        "source": "callcenter",
        "feedback_id": f"CLI-{n}",
        "phone": "010-1234-5678",
        "channel": "call",
        "occurred_at": "2026-06-03T14:22:05+09:00",
        "text": f"환불은 언제 되나요 {n}",
    }


def _accept(store: Store, settings: Settings, numbers: range) -> None:
    receipt = accept_records(store, settings, RecordKind.FEEDBACK, [(n, _feedback(n)) for n in numbers], origin="api")
    assert receipt.accepted == len(numbers)


def test_help_runs_as_a_module() -> None:
    result = run_cxloop("--help")
    assert result.returncode == 0, result.stderr
    for command in ("db", "import", "serve", "status", "token", "user", "worker"):
        assert f"  {command} " in result.stdout


def test_db_upgrade_creates_the_schema_and_is_idempotent(settings: Settings) -> None:
    head = migrate.head_revisions(Store(settings.resolved_database_url))[0]
    for _ in range(2):
        result = _cli(settings, "db", "upgrade")
        assert result.exit_code == 0, result.output
        assert result.stdout.strip() == f"schema at revision {head}"
    store = Store(settings.resolved_database_url)
    try:
        assert migrate.is_up_to_date(store)
    finally:
        store.dispose()


def test_status_as_table_and_json(store: Store, settings: Settings) -> None:
    _accept(store, settings, range(3))
    Worker(store, settings).run_until_idle()
    _accept(store, settings, range(3, 6))
    with store.write() as conn:
        failed_id = conn.execute(
            sa.select(intake_records.c.id).where(intake_records.c.external_id == "CLI-5")
        ).scalar_one()
        intake_repo.record_failure(conn, failed_id, "stage 'store' failed: boom", max_attempts=1)

    table = _cli(settings, "status")
    assert table.exit_code == 0, table.output
    lines = table.stdout.splitlines()
    assert lines[0].startswith("via store ")
    assert "feedback" in lines[1]
    assert "done=3" in lines[1]
    assert "pending=2" in lines[1]
    assert "failed=1" in lines[1]
    assert lines[2].startswith("oldest waiting: 20")
    assert lines[3] == "error feedback callcenter/CLI-5 (failed, 1 tries): stage 'store' failed: boom"

    as_json = _cli(settings, "status", "--format", "json")
    assert as_json.exit_code == 0, as_json.output
    summary = orjson.loads(as_json.stdout)
    assert summary["by_kind"] == {"feedback": {"done": 3, "failed": 1, "pending": 2}}
    assert summary["oldest_pending_received_at"] is not None
    # Error rows come straight from the store; they must serialize like everything else.
    assert [(e["external_id"], e["status"]) for e in summary["recent_errors"]] == [("CLI-5", "failed")]


def test_worker_until_idle_drains_the_queue(store: Store, settings: Settings) -> None:
    _accept(store, settings, range(4))
    result = _cli(settings, "worker", "--until-idle")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "processed 4 records"
    with store.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(feedback)).scalar_one() == 4
    again = _cli(settings, "worker", "--until-idle")
    assert again.stdout.strip() == "processed 0 records"


def test_token_create_prints_the_secret_once_and_stores_only_its_hash(
    duckdb_store: Store, duckdb_settings: Settings
) -> None:
    result = _cli(duckdb_settings, "token", "create", "--name", "crm-sync", "--scopes", "ingest,read")
    assert result.exit_code == 0, result.output
    secret = result.stdout.strip()
    assert secret.startswith("cxl_")
    assert len(result.stdout.splitlines()) == 1, "stdout holds the secret and nothing else"
    assert "cannot be shown again" in result.stderr
    with duckdb_store.read() as conn:
        rows = [dict(r) for r in conn.execute(sa.select(api_tokens)).mappings()]
    assert len(rows) == 1
    token = rows[0]
    assert token["token_hash"] == hashlib.sha256(secret.encode()).hexdigest()
    assert token["prefix"] == secret[:10]
    assert token["scopes"] == "ingest,read"
    assert not any(secret in str(value) for value in token.values()), "the secret itself must not be stored"
    listed = _cli(duckdb_settings, "token", "list", "--format", "json")
    assert listed.exit_code == 0, listed.output
    assert secret not in listed.output
    assert [t["name"] for t in orjson.loads(listed.stdout)] == ["crm-sync"]


_UNREACHABLE_POSTGRES = "postgresql://nobody@127.0.0.1:1/cx"


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["token", "create", "--name", "t", "--scopes", "ingest,superuser"], {}, "error: unknown scope 'superuser'"),
        (["import", "no-such-file.csv", "--kind", "feedback"], {}, "error: cannot read no-such-file.csv"),
        (["status"], {"CXLOOP_DATABASE_URL": "mysql://db.example/cx"}, "error: unsupported database URL scheme"),
        (
            ["worker", "--until-idle"],
            {"CXLOOP_DATABASE_URL": _UNREACHABLE_POSTGRES},
            "error: the store at postgresql+psycopg://nobody@127.0.0.1:1/cx is not available",
        ),
    ],
    ids=["bad-scope", "missing-file", "unsupported-url", "unreachable-postgres"],
)
def test_errors_print_one_line_and_exit_2(tmp_path: Path, args: list[str], env: dict[str, str], message: str) -> None:
    result = CliRunner().invoke(main, ["--data-dir", str(tmp_path / "data"), *args], env=env)
    assert result.exit_code == 2, result.output
    # A handled error ends in SystemExit(2); anything else would be an escaped exception.
    assert isinstance(result.exception, SystemExit), result.exception
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    assert errors[0].startswith(message), result.stderr
    assert result.stdout == ""


def test_errors_in_a_real_process_show_no_traceback(tmp_path: Path) -> None:
    result = run_cxloop(
        "--data-dir", str(tmp_path), "status", env=clean_env(CXLOOP_DATABASE_URL=_UNREACHABLE_POSTGRES), cwd=tmp_path
    )
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: the store at postgresql+psycopg://nobody@127.0.0.1:1/cx is not available: ")


@pytest.mark.slow
def test_cli_goes_through_the_running_duckdb_server(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    env = clean_env(CXLOOP_WORKER_POLL_SECONDS="0.05")
    csv = tmp_path / "voc.csv"
    csv.write_text(
        "feedback_id,source,phone,channel,occurred_at,text\n"
        "V-1,callcenter,010-1234-5678,call,2026-06-03T14:22:05+09:00,배송이 너무 늦어요\n"
        "V-2,callcenter,01012345678,call,2026-06-03T15:00:00+09:00,환불 문의드립니다\n"
        "V-3,callcenter,,fax,2026-06-03T16:00:00+09:00,bad channel\n",
        encoding="utf-8",
    )

    def cli(*args: str) -> Any:
        return run_cxloop("--data-dir", str(data_dir), *args, env=env, cwd=tmp_path)

    with CxloopServer(data_dir, env=env) as server:
        # The server holds the DuckDB file: each of these would fail on its lock if run locally.
        imported = cli("import", str(csv), "--kind", "feedback", "--format", "json")
        assert imported.returncode == 0, imported.stderr
        report = orjson.loads(imported.stdout)
        assert (report["rows"], report["accepted"], report["rejected"]) == (3, 2, 1)
        assert report["rejections"][0]["field"] == "channel"

        deadline = time.monotonic() + 120
        while True:
            status = cli("status", "--format", "json")
            assert status.returncode == 0, status.stderr
            if orjson.loads(status.stdout)["by_kind"].get("feedback") == {"done": 2}:
                break
            assert time.monotonic() < deadline, f"the server's worker did not process the import: {status.stdout}"
            time.sleep(0.2)

        table = cli("status")
        assert table.stdout.splitlines()[0] == f"via server {server.url}"

        upgrade = cli("db", "upgrade")
        assert upgrade.returncode == 0, upgrade.stderr
        assert "owns the store" in upgrade.stdout

        worker = cli("worker", "--until-idle")
        assert worker.returncode == 2
        assert "already processes the embedded store's queue" in worker.stderr
    assert not (data_dir / "server.json").exists()
