"""The CLI in-process on an embedded store: file imports with per-row reports, tokens and users."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import orjson
import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result

from cxloop import access
from cxloop.cli import main
from cxloop.errors import AuthenticationRequired
from cxloop.store import migrate
from cxloop.store.engine import Store
from cxloop.store.tables import intake_records, users

Run = Callable[..., Result]
CSV = (
    "source,channel,occurred_at,text\r\n"
    "callcenter,call,2026-06-03T14:22:05+09:00,배송이 너무 늦어요\r\n"  # row 2
    "callcenter,fax,2026-06-03T15:00:00+09:00,팩스로 보냈어요\r\n"  # row 3: no such channel
    "kakao,chat,2026-06-04 09:00:00,상담원이 친절했어요\r\n"  # row 4
)
KOREAN_CSV = CSV.replace("source,channel,occurred_at,text", "출처,채널,접수 일시,고객 의견")
KOREAN_MAP = ["출처=source", "채널=channel", "접수 일시=occurred_at", "고객 의견=text"]


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return f"duckdb:///{tmp_path / 'store' / 'cxloop.duckdb'}"


@pytest.fixture
def cli(tmp_path: Path, database_url: str) -> Run:
    """Runs `cxloop ARGS` in this process; output and exit code as a user would see them."""
    runner = CliRunner()

    def run(*args: str) -> Result:
        result = runner.invoke(
            main,
            ["--data-dir", str(tmp_path / "data"), *args],
            env={"CXLOOP_DATABASE_URL": database_url, "CXLOOP_NEW_PASSWORD": None},
        )
        assert "Traceback" not in result.output
        assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
        return result

    return run


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    """The store the CLI writes to, migrated as the CLI would, to check what it holds."""
    opened = Store(database_url)
    migrate.upgrade(opened)
    yield opened
    opened.dispose()


def _stored(store: Store) -> int:
    with store.read() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(intake_records)).scalar_one())


def _file(tmp_path: Path, name: str, content: str, encoding: str = "utf-8") -> str:
    path = tmp_path / name
    path.write_bytes(content.encode(encoding))
    return str(path)


def test_a_bad_row_is_listed_and_good_rows_are_stored(cli: Run, store: Store, tmp_path: Path) -> None:
    result = cli("import", _file(tmp_path, "feedback.csv", CSV, "cp949"), "--kind", "feedback")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert "format      csv cp949" in lines
    assert ("stored      2" in lines, "rejected    1" in lines) == (True, True)
    assert any(line.startswith("  row 3: channel: 'fax' is not one of: call, chat") for line in lines)
    assert _stored(store) == 2


def test_a_file_of_only_bad_rows_exits_1(cli: Run, store: Store, tmp_path: Path) -> None:
    bad = "source,channel,occurred_at,text\r\ncallcenter,fax,2026-06-03,?\r\ncallcenter,call,어제,?\r\n"
    result = cli("import", _file(tmp_path, "bad.csv", bad), "--kind", "feedback")
    assert result.exit_code == 1, result.output
    assert "  row 2: channel:" in result.stdout
    assert "  row 3: occurred_at: '어제' is not an ISO-8601 time" in result.stdout
    assert _stored(store) == 0


def test_unknown_columns_without_a_mapping_exit_2_naming_them(cli: Run, store: Store, tmp_path: Path) -> None:
    result = cli("import", _file(tmp_path, "콜센터.csv", KOREAN_CSV), "--kind", "feedback")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "error: unknown column(s) for feedback: 출처, 채널, 접수_일시, 고객_의견." in result.stderr
    assert "hint: map them with --map COLUMN=FIELD; fields: feedback_id, source" in result.stderr
    assert _stored(store) == 0


def test_map_flags_rename_columns(cli: Run, store: Store, tmp_path: Path) -> None:
    flags = [arg for pair in KOREAN_MAP for arg in ("--map", pair)]
    result = cli("import", _file(tmp_path, "콜센터.csv", KOREAN_CSV), "--kind", "feedback", *flags)
    assert result.exit_code == 0, result.output
    assert "  row 3: channel:" in result.stdout
    assert _stored(store) == 2


@pytest.mark.parametrize(
    "mapping",
    [orjson.dumps(dict(pair.split("=") for pair in KOREAN_MAP)).decode(), "# 콜센터 export\n" + "\n".join(KOREAN_MAP)],
    ids=["json", "lines"],
)
def test_a_saved_mapping_file_renames_columns(cli: Run, store: Store, tmp_path: Path, mapping: str) -> None:
    mapping_file = _file(tmp_path, "callcenter.map", mapping)
    result = cli("import", _file(tmp_path, "콜센터.csv", KOREAN_CSV), "--kind", "feedback", "--mapping", mapping_file)
    assert result.exit_code == 0, result.output
    assert _stored(store) == 2


def test_a_map_flag_overrides_the_saved_mapping(cli: Run, store: Store, tmp_path: Path) -> None:
    saved = _file(tmp_path, "callcenter.map", "\n".join([*KOREAN_MAP[:3], "고객 의견=product"]))
    file = _file(tmp_path, "콜센터.csv", KOREAN_CSV)
    result = cli("import", file, "--kind", "feedback", "--mapping", saved, "--map", "고객 의견=text")
    assert result.exit_code == 0, result.output
    with store.read() as conn:
        payloads = conn.execute(sa.select(intake_records.c.payload)).scalars().all()
    assert sorted(p["text"] for p in payloads) == ["배송이 너무 늦어요", "상담원이 친절했어요"]


def test_json_output_is_the_import_report(cli: Run, tmp_path: Path) -> None:
    result = cli("import", _file(tmp_path, "feedback.csv", CSV), "--kind", "feedback", "--format", "json")
    assert result.exit_code == 0, result.output
    report = orjson.loads(result.stdout)
    assert (report["rows"], report["accepted"], report["rejected"], report["encoding"]) == (3, 2, 1, "utf-8")
    assert [(r["row"], r["field"]) for r in report["rejections"]] == [(3, "channel")]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ((), "error: cannot read {missing}: No such file or directory"),
        (("--mapping", "{missing}"), "error: cannot read mapping file {missing}"),
        (("--map", "text=comment"), "error: mapping 'text=comment': 'comment' is not a feedback field"),
        (("--map", "text"), "error: mapping 'text' must look like source_column=canonical_field"),
    ],
    ids=["missing-file", "missing-mapping-file", "map-to-unknown-field", "map-without-equals"],
)
def test_unusable_arguments_exit_2_with_one_clear_line(
    cli: Run, store: Store, tmp_path: Path, extra: tuple[str, ...], message: str
) -> None:
    missing = str(tmp_path / "absent.csv")
    file = missing if not extra else _file(tmp_path, "feedback.csv", CSV)
    result = cli("import", file, "--kind", "feedback", *(arg.format(missing=missing) for arg in extra))
    assert result.exit_code == 2
    assert message.format(missing=missing) in result.stderr
    assert _stored(store) == 0


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.csv", "", "error: the file is empty"),
        ("photo.csv", "\x00\x01PNG", "error: the file looks binary"),
        ("sheet.xlsx", "not a workbook", "error: the file is not a valid XLSX workbook"),
    ],
)
def test_broken_files_exit_2_with_one_clear_line(
    cli: Run, tmp_path: Path, name: str, content: str, message: str
) -> None:
    result = cli("import", _file(tmp_path, name, content), "--kind", "feedback")
    assert result.exit_code == 2
    assert result.stderr.startswith(message)


def test_an_unknown_kind_is_a_usage_error(cli: Run, tmp_path: Path) -> None:
    result = cli("import", _file(tmp_path, "feedback.csv", CSV), "--kind", "complaints")
    assert result.exit_code == 2
    assert "Invalid value for '--kind'" in result.stderr


def test_tokens_are_created_listed_and_revoked(cli: Run, store: Store) -> None:
    created = cli("token", "create", "--name", "crm-sync", "--scopes", "ingest")
    assert created.exit_code == 0, created.output
    secret = created.stdout.strip()
    assert secret.startswith("cxl_")
    assert "it cannot be shown again" in created.stderr
    assert access.authenticate_token(store, secret).name == "crm-sync"

    listed = cli("token", "list", "--format", "json")
    (token,) = orjson.loads(listed.stdout)
    assert (token["name"], token["scopes"], token["revoked_at"]) == ("crm-sync", "ingest", None)
    assert "token_hash" not in token
    assert secret not in listed.stdout
    assert "crm-sync" in cli("token", "list").stdout

    assert cli("token", "revoke", "crm-sync").stdout.strip() == "revoked 1 token(s)"
    assert "revoked" in cli("token", "list").stdout.split()
    with pytest.raises(AuthenticationRequired, match="revoked"):
        access.authenticate_token(store, secret)


def test_a_token_with_an_unknown_scope_exits_2(cli: Run) -> None:
    result = cli("token", "create", "--name", "x", "--scopes", "ingest,superuser")
    assert result.exit_code == 2
    assert "error: unknown scope 'superuser'; scopes are: ingest, read, admin" in result.stderr


def test_an_admin_is_added_with_a_password(cli: Run, store: Store) -> None:
    result = cli("user", "add", "--email", " Admin@Example.KR ", "--admin", "--password", "correct horse")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("added admin admin@example.kr (")
    assert access.authenticate_password(store, "admin@example.kr", "correct horse")["role"] == "admin"
    again = cli("user", "add", "--email", "admin@example.kr", "--password", "correct horse")
    assert again.exit_code == 2
    assert "error: a user with e-mail admin@example.kr already exists" in again.stderr


def test_a_short_or_missing_password_exits_2(cli: Run, store: Store) -> None:
    short = cli("user", "add", "--email", "a@example.kr", "--admin", "--password", "short")
    assert short.exit_code == 2
    assert "error: a password needs at least 10 characters" in short.stderr
    missing = cli("user", "add", "--email", "a@example.kr", "--admin")
    assert missing.exit_code == 2
    assert "no password given: pass --password or set CXLOOP_NEW_PASSWORD" in missing.stderr
    with store.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(users)).scalar_one() == 0
