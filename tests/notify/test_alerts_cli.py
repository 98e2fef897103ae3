"""`cxloop alerts` and `cxloop actions` against a data directory with no server running."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from cxloop.cli import main


def _run(data_dir: Path, *args: str) -> str:
    result = CliRunner().invoke(main, ["--data-dir", str(data_dir), *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_rules_load_run_and_actions(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("CXLOOP_DATABASE_URL", raising=False)
    data_dir = tmp_path / "data"
    _run(data_dir, "db", "upgrade")
    assert "churn_intent" in _run(data_dir, "alerts", "rules")
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        "- name: legal\n  trigger: legal_threat\n  channels: {in_app: {roles: [admin]}, emails: [legal@example.com]}\n"
    )
    assert "1 alert rule(s) in force" in _run(data_dir, "alerts", "load", str(rules))
    listed = _run(data_dir, "alerts", "rules")
    assert "legal_threat" in listed
    assert "churn_intent" not in listed
    assert "0 new alert(s); sent 0" in _run(data_dir, "alerts", "run")
    assert "0 action(s) measured" in _run(data_dir, "actions", "review")


def test_a_bad_rules_file_names_the_field(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text("- name: x\n  trigger: sometimes\n")
    result = CliRunner().invoke(main, ["--data-dir", str(tmp_path / "d"), "alerts", "load", str(rules)])
    assert result.exit_code == 2
    assert "rules[0].trigger" in result.output
