"""`cxloop identity resolve`: a person file in, record_id,cluster_id out; bad input exits 2."""

from __future__ import annotations

import csv
from pathlib import Path

from click.testing import CliRunner, Result

from cxloop.cli import main


def run(tmp_path: Path, *args: str) -> Result:
    return CliRunner().invoke(main, ["--data-dir", str(tmp_path / "data"), "identity", "resolve", *args])


def test_resolve_writes_clusters(tmp_path: Path) -> None:
    source = tmp_path / "people.csv"
    source.write_text(
        "id,name,mail,phone\n1,김민수,minsu@x.com,010-1234-5678\n2,Kim Minsu,MINSU@X.COM,\n3,이영희,,01099998888\n"
        "4,Lee Younghee,,+82 10 9999 8888\n",
        encoding="utf-8",
    )
    out = tmp_path / "out.csv"
    result = run(
        tmp_path, str(source), "--id-column", "id", "--map", "name=full_name", "--map", "mail=email", "-o", str(out)
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(out.open(encoding="utf-8")))
    assert rows[0] == ["record_id", "cluster_id"]
    assert dict(rows[1:]) == {"1": "1", "2": "1", "3": "3", "4": "3"}


def test_jsonl_input(tmp_path: Path) -> None:
    source = tmp_path / "people.jsonl"
    source.write_text('{"record_id": "a", "email": "a@x.com"}\n{"record_id": "b", "email": "A@x.com"}\n')
    out = tmp_path / "out.csv"
    assert run(tmp_path, str(source), "--deterministic-only", "-o", str(out)).exit_code == 0
    assert out.read_text().splitlines()[1:] == ["a,a", "b,a"]


def test_bad_input_is_a_clear_error(tmp_path: Path) -> None:
    source = tmp_path / "people.csv"
    source.write_text("id,email\n1,a@x.com\n", encoding="utf-8")
    out = str(tmp_path / "out.csv")
    missing_id = run(tmp_path, str(source), "-o", out)
    assert missing_id.exit_code == 2
    assert "no id column 'record_id'" in missing_id.output
    unknown = run(tmp_path, str(source), "--id-column", "id", "--map", "mail=email", "-o", out)
    assert unknown.exit_code == 2
    assert "no column 'mail'" in unknown.output
    bad_field = run(tmp_path, str(source), "--id-column", "id", "--map", "email=shoe", "-o", out)
    assert bad_field.exit_code == 2
    assert "not a field" in bad_field.output
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    assert run(tmp_path, str(empty), "-o", out).exit_code == 2
    header_only = tmp_path / "header.csv"
    header_only.write_text("record_id,email\n")
    result = run(tmp_path, str(header_only), "-o", out)
    assert result.exit_code == 2
    assert "no rows" in result.output
    duplicate = tmp_path / "dup.csv"
    duplicate.write_text("record_id,email\n1,a@x.com\n1,b@x.com\n")
    result = run(tmp_path, str(duplicate), "-o", out)
    assert result.exit_code == 2
    assert "repeats" in result.output
    assert run(tmp_path, str(tmp_path / "absent.csv"), "-o", out).exit_code == 2
