"""Governance commands end to end on a DuckDB store: keys, audit verify, consent import, retention, quality."""

from __future__ import annotations

from pathlib import Path

import orjson
import sqlalchemy as sa
from click.testing import CliRunner, Result

from cxloop.cli import main
from cxloop.config import Settings
from cxloop.governance.consent import set_consents
from cxloop.store.engine import Store
from cxloop.store.tables import audit_log

from .seed import add_customer


def _cli(settings: Settings, *args: str) -> Result:
    env = {"CXLOOP_DATABASE_URL": settings.database_url, "CXLOOP_ENVIRONMENT": "test"}
    return CliRunner().invoke(main, ["--data-dir", str(settings.data_dir), *args], env=env)


def test_keys_rotate_status_and_retire(duckdb_store: Store, duckdb_settings: Settings) -> None:
    customer = add_customer(duckdb_store)
    for i in range(3):
        set_consents(
            duckdb_store, duckdb_settings, customer, {"analytics": True}, source="web", actor="a", evidence=f"e{i}"
        )
    before = orjson.loads(_cli(duckdb_settings, "keys", "status", "--format", "json").output)
    rotated = _cli(duckdb_settings, "keys", "rotate", "--batch-size", "2")
    assert rotated.exit_code == 0, rotated.output
    assert "re-encrypted 3 values" in rotated.output
    after = orjson.loads(_cli(duckdb_settings, "keys", "status", "--format", "json").output)
    assert after["keys"][1:] == before["keys"]
    assert after["usage"]["consents.evidence"] == {after["current"]: 3}
    retired = _cli(duckdb_settings, "keys", "retire")
    assert retired.exit_code == 0
    assert before["current"] in retired.output
    with duckdb_store.read() as conn:
        actions = list(conn.execute(sa.select(audit_log.c.action).order_by(audit_log.c.seq)).scalars())
    assert actions[-2:] == ["key.rotate", "key.retire"]
    assert len(_cli(duckdb_settings, "keys", "generate").output.strip()) == 44


def test_audit_verify_exits_1_on_a_broken_chain(duckdb_store: Store, duckdb_settings: Settings) -> None:
    add_user = _cli(duckdb_settings, "user", "add", "--email", "s@example.com", "--password", "long-enough-pw")
    assert add_user.exit_code == 0, add_user.output
    created = _cli(duckdb_settings, "token", "create", "--name", "ci")
    assert created.exit_code == 0, created.output
    ok = _cli(duckdb_settings, "audit", "verify")
    assert ok.exit_code == 0
    assert "intact: 2 entries" in ok.output
    with duckdb_store.write() as conn:
        conn.execute(audit_log.update().where(audit_log.c.seq == 2).values(details={"scopes": ["admin"]}))
    broken = _cli(duckdb_settings, "audit", "verify")
    assert broken.exit_code == 1
    assert "BROKEN at entry 2" in broken.output


def test_consent_import_reports_rows(duckdb_store: Store, duckdb_settings: Settings, tmp_path: Path) -> None:
    customer = add_customer(duckdb_store)
    path = tmp_path / "동의.csv"
    path.write_text(f"customer_id,purpose,granted\n{customer},analytics,yes\n{customer},spam,yes\n", encoding="utf-8")
    result = _cli(duckdb_settings, "consent", "import", str(path))
    assert result.exit_code == 0, result.output
    assert "stored    1" in result.output
    assert "row 3: purpose: unknown purpose 'spam'" in result.output
    missing = _cli(duckdb_settings, "consent", "import", str(tmp_path / "absent.csv"))
    assert missing.exit_code == 2
    assert "cannot read" in missing.output


def test_retention_dry_run_and_quality_check(duckdb_store: Store, duckdb_settings: Settings) -> None:
    dry = _cli(duckdb_settings, "retention", "run", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "would purge" in dry.output
    assert "feedback_text.call" in dry.output
    assert "audit_log" in dry.output
    checked = _cli(duckdb_settings, "quality", "check", "--format", "json")
    assert checked.exit_code == 0, checked.output
    assert {r["check"] for r in orjson.loads(checked.output)} >= {"table.out_of_range", "intake.failed_records"}
