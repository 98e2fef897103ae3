"""Reading import files: formats, encodings, broken files, column mapping and row numbers."""

from __future__ import annotations

import io
import struct
import unicodedata
import zipfile
from datetime import datetime
from pathlib import Path
from typing import Any

import openpyxl
import orjson
import pytest

from cxloop.config import Settings
from cxloop.domain import RecordKind
from cxloop.errors import InvalidInput, PayloadTooLarge, UnsupportedFile
from cxloop.ingest.files import detect_format, load_mapping_file, parse_mapping, read_rows, read_table
from cxloop.jobs.imports import import_into_store
from cxloop.store.engine import Store

FEEDBACK = RecordKind.FEEDBACK
HEADER = ["source", "channel", "occurred_at", "text"]
ROWS = [
    ["callcenter", "call", "2026-06-03T14:22:05+09:00", "배송이 너무 늦어요"],
    ["kakao", "chat", "2026-06-04 09:00:00", "상담원이 친절했어요"],
]
EXPECTED = [(n, dict(zip(HEADER, row, strict=True))) for n, row in enumerate(ROWS, start=2)]


def _delimited(rows: list[list[str]], delimiter: str = ",", encoding: str = "utf-8") -> bytes:
    return "".join(delimiter.join(row) + "\r\n" for row in rows).encode(encoding)


def _xlsx(rows: list[list[Any]]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row_number, row in enumerate(rows, start=1):
        for column_number, value in enumerate(row, start=1):
            if value is not None:
                sheet.cell(row=row_number, column=column_number, value=value)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _zip_declaring(sizes: list[int]) -> bytes:
    """A tiny zip whose central directory claims members of `sizes` bytes, as a zip bomb would."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for n in range(len(sizes)):
            archive.writestr(f"xl/worksheets/sheet{n + 1}.xml", b"<worksheet/>")
    data = bytearray(buffer.getvalue())
    start = 0
    for size in sizes:
        start = data.index(b"PK\x01\x02", start)
        data[start + 24 : start + 28] = struct.pack("<I", size)  # uncompressed size field
        start += 4
    return bytes(data)


FORMATS = {
    "feedback.csv": _delimited([HEADER, *ROWS]),
    "feedback.tsv": _delimited([HEADER, *ROWS], "\t"),
    "feedback.jsonl": b"\n".join(orjson.dumps(dict(zip(HEADER, row, strict=True))) for row in ROWS),
    "feedback.xlsx": _xlsx([HEADER, *ROWS]),
}


@pytest.mark.parametrize("file_name", list(FORMATS))
def test_each_format_reads_canonical_columns_without_mapping(file_name: str) -> None:
    parsed = read_rows(FORMATS[file_name], file_name, FEEDBACK)
    assert parsed.file_format == file_name.rsplit(".", 1)[1]
    assert parsed.unreadable == []
    # JSON Lines count lines from 1 as editors do; the others count spreadsheet rows with the header at 1.
    offset = -1 if parsed.file_format == "jsonl" else 0
    assert parsed.rows == [(n + offset, row) for n, row in EXPECTED]


def test_a_json_array_file_is_read_like_json_lines() -> None:
    records = [dict(zip(HEADER, row, strict=True)) for row in ROWS]
    parsed = read_rows(orjson.dumps(records, option=orjson.OPT_INDENT_2), "export.json", FEEDBACK)
    assert parsed.rows == [(1, records[0]), (2, records[1])]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"PK\x03\x04rest", "xlsx"),
        (b'  {"source": "x"}\n', "jsonl"),
        (b"source\tchannel\nx\ty\n", "tsv"),
        (b"source,channel\nx,y\n", "csv"),
    ],
)
def test_the_format_of_a_file_without_a_known_extension_is_sniffed(data: bytes, expected: str) -> None:
    assert detect_format("upload", data) == expected


@pytest.mark.parametrize(
    ("encoded", "encoding"),
    [
        (_delimited([HEADER, *ROWS]), "utf-8"),
        (b"\xef\xbb\xbf" + _delimited([HEADER, *ROWS]), "utf-8"),
        (_delimited([HEADER, *ROWS], encoding="cp949"), "cp949"),
        (_delimited([HEADER, *ROWS], encoding="euc-kr"), "cp949"),  # EUC-KR is a subset of CP949
    ],
    ids=["utf-8", "utf-8-bom", "cp949", "euc-kr"],
)
def test_korean_text_is_read_in_every_supported_encoding(encoded: bytes, encoding: str) -> None:
    parsed = read_rows(encoded, "feedback.csv", FEEDBACK)
    assert parsed.encoding == encoding
    assert parsed.columns == HEADER  # a BOM does not stick to the first column name
    assert parsed.rows == EXPECTED


def test_decomposed_hangul_from_macos_is_normalized() -> None:
    decomposed = unicodedata.normalize("NFD", _delimited([HEADER, *ROWS]).decode()).encode()
    assert read_rows(decomposed, "feedback.csv", FEEDBACK).rows == EXPECTED


def test_bytes_in_no_supported_encoding_give_a_clear_error() -> None:
    with pytest.raises(UnsupportedFile, match="neither UTF-8 nor CP949/EUC-KR; save it as UTF-8"):
        read_rows(b"source,channel\ncallcenter,\xff\xfe\xff\n", "feedback.csv", FEEDBACK)


@pytest.mark.parametrize(
    "data",
    [_delimited([HEADER, *ROWS], encoding="utf-16"), b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"],
    ids=["utf-16", "png"],
)
def test_binary_files_give_a_clear_error(data: bytes) -> None:
    with pytest.raises(UnsupportedFile, match="looks binary"):
        read_rows(data, "feedback.csv", FEEDBACK)


@pytest.mark.parametrize("file_name", ["a.csv", "a.tsv", "a.jsonl", "a.json", "a.xlsx"])
@pytest.mark.parametrize("data", [b"", b" \r\n\n\t\n"], ids=["zero-bytes", "whitespace"])
def test_an_empty_file_gives_a_clear_error(file_name: str, data: bytes) -> None:
    with pytest.raises(InvalidInput, match="the file is empty"):
        read_rows(data, file_name, FEEDBACK)


@pytest.mark.parametrize(
    ("file_name", "data"),
    [("a.json", b"[]"), ("a.jsonl", b"[ ]\n"), ("a.xlsx", _xlsx([]))],
)
def test_a_file_without_records_gives_a_clear_error(file_name: str, data: bytes) -> None:
    with pytest.raises(InvalidInput, match="empty"):
        read_rows(data, file_name, FEEDBACK)


@pytest.mark.parametrize(
    ("file_name", "data"),
    [
        ("a.csv", _delimited([HEADER])),
        ("a.csv", _delimited([HEADER, [], [",,,"]])),
        ("a.tsv", _delimited([HEADER], "\t")),
        ("a.xlsx", _xlsx([HEADER])),
    ],
    ids=["csv", "csv-blank-lines", "tsv", "xlsx"],
)
def test_a_header_without_rows_gives_a_clear_error(file_name: str, data: bytes) -> None:
    # As for an empty JSON Lines file: zero records is a mistake worth saying, not "0 stored".
    with pytest.raises(InvalidInput, match=r"no rows|no data rows|empty"):
        read_rows(data, file_name, FEEDBACK)


def test_blank_lines_are_skipped_and_later_rows_keep_their_numbers() -> None:
    data = _delimited([HEADER, ROWS[0], [], [",,,"], ["   "], ROWS[1]])
    parsed = read_rows(data, "feedback.csv", FEEDBACK)
    assert parsed.rows == [EXPECTED[0], (6, EXPECTED[1][1])]


def test_a_row_with_more_cells_than_the_header_is_rejected_alone() -> None:
    data = _delimited([HEADER, ROWS[0], [*ROWS[1], "surplus"], ROWS[0]])
    parsed = read_rows(data, "feedback.csv", FEEDBACK)
    assert [n for n, _ in parsed.rows] == [2, 4]
    assert [(r.position, r.field, r.reason) for r in parsed.unreadable] == [
        (3, None, "has 5 cells but the header has 4")
    ]


def test_an_xlsx_row_with_a_value_beyond_the_header_is_rejected_alone() -> None:
    # Silently dropping the surplus cell would lose what the customer wrote there; CSV rejects the row.
    parsed = read_rows(_xlsx([HEADER, ROWS[0], [*ROWS[1], "surplus"]]), "feedback.xlsx", FEEDBACK)
    assert [n for n, _ in parsed.rows] == [2]
    assert [r.position for r in parsed.unreadable] == [3]


@pytest.mark.parametrize("file_name", ["feedback.csv", "feedback.xlsx"])
def test_unknown_columns_are_all_named_with_the_fields_to_use(file_name: str) -> None:
    header = ["source", "Channel", "날짜", "occurred_at", "Comment"]
    data = _xlsx([header]) if file_name.endswith("xlsx") else _delimited([header])
    with pytest.raises(InvalidInput) as caught:
        read_rows(data, file_name, FEEDBACK)
    assert caught.value.details["unknown_columns"] == ["날짜", "comment"]
    assert "unknown column(s) for feedback: 날짜, comment" in caught.value.message
    assert "--map column=field" in caught.value.message


def test_column_names_are_matched_case_and_space_insensitively() -> None:
    data = _delimited([[" Source", "CHANNEL", "Occurred At", "text "], ROWS[0]])
    assert read_rows(data, "feedback.csv", FEEDBACK).rows == [EXPECTED[0]]


KOREAN_HEADER = ["출처", "채널", "접수 일시", "고객 의견"]
KOREAN_MAP = ["출처=source", "채널=channel", "접수 일시=occurred_at", "고객 의견=text"]


@pytest.mark.parametrize("file_name", ["feedback.csv", "feedback.xlsx"])
def test_mapping_flags_rename_columns(file_name: str) -> None:
    rows = [KOREAN_HEADER, *ROWS]
    data = _xlsx(rows) if file_name.endswith("xlsx") else _delimited(rows, encoding="cp949")
    mapping = parse_mapping(KOREAN_MAP, FEEDBACK)
    assert read_rows(data, file_name, FEEDBACK, mapping).rows == EXPECTED


def test_mapping_applies_to_json_lines_keys() -> None:
    data = orjson.dumps(dict(zip(KOREAN_HEADER, ROWS[0], strict=True)))
    parsed = read_rows(data, "feedback.jsonl", FEEDBACK, parse_mapping(KOREAN_MAP, FEEDBACK))
    assert parsed.rows == [(1, EXPECTED[0][1])]


@pytest.mark.parametrize(
    "content",
    [
        orjson.dumps(dict(pair.split("=") for pair in KOREAN_MAP)),
        ("\ufeff# saved from the call-centre export\n\n" + "\n".join(KOREAN_MAP) + "\n").encode(),
    ],
    ids=["json", "lines-with-bom-and-comment"],
)
def test_a_saved_mapping_file_is_read(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "callcenter.map"
    path.write_bytes(content)
    assert load_mapping_file(path, FEEDBACK) == parse_mapping(KOREAN_MAP, FEEDBACK)


@pytest.mark.parametrize(
    ("pairs", "message"),
    [
        (["고객 의견=comment"], "'comment' is not a feedback field; the fields are: feedback_id, source"),
        (["고객 의견"], "must look like source_column=canonical_field"),
        (["=text"], "must look like source_column=canonical_field"),
    ],
)
def test_a_bad_mapping_is_refused_with_the_reason(pairs: list[str], message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        parse_mapping(pairs, FEEDBACK)


@pytest.mark.parametrize(
    ("content", "message"),
    [(b'{"a": ', "is not valid JSON"), (b'{"a": 1}', "must be a JSON object of column names"),
     (b"\xff\xfe\x00", "cannot read mapping file"), (b"a=nowhere\n", "'nowhere' is not a feedback field")],
)  # fmt: skip
def test_a_bad_mapping_file_is_refused_with_the_reason(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "bad.map"
    path.write_bytes(content)
    with pytest.raises(InvalidInput, match=message):
        load_mapping_file(path, FEEDBACK)


def test_a_missing_mapping_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="cannot read mapping file"):
        load_mapping_file(tmp_path / "absent.json", FEEDBACK)


def test_two_columns_mapped_to_one_field_are_refused() -> None:
    data = _delimited([["source", "channel", "occurred_at", "의견", "text"], [*ROWS[0], "x"]])
    with pytest.raises(InvalidInput, match="more than one column maps to: text"):
        read_rows(data, "feedback.csv", FEEDBACK, parse_mapping(["의견=text"], FEEDBACK))


def test_broken_json_lines_are_rejected_by_line_and_the_rest_kept() -> None:
    good = orjson.dumps(dict(zip(HEADER, ROWS[0], strict=True)))
    data = b"\n".join([good, b'{"source": "kakao",', b"", b"[1, 2]", good])
    parsed = read_rows(data, "feedback.jsonl", FEEDBACK)
    assert [n for n, _ in parsed.rows] == [1, 5]
    assert [(r.position, r.reason.split(":")[0]) for r in parsed.unreadable] == [
        (2, "is not valid JSON"),
        (4, "must be a JSON object"),
    ]


def test_a_broken_json_array_gives_a_clear_error() -> None:
    with pytest.raises(InvalidInput, match="the file is not valid JSON"):
        read_rows(b'[{"source": "kakao"},', "export.json", FEEDBACK)


def test_xlsx_cells_keep_their_types_for_validation() -> None:
    moment = datetime(2026, 6, 3, 14, 22, 5)
    data = _xlsx(
        [["source", "customer_external_id", "channel", "occurred_at", "rating"], ["shop", 12345, "call", moment, 4]]
    )
    assert read_rows(data, "feedback.xlsx", FEEDBACK).rows == [
        (2, {"source": "shop", "customer_external_id": 12345, "channel": "call", "occurred_at": moment, "rating": 4})
    ]


@pytest.mark.parametrize("data", [b"not a zip at all", b"PK\x03\x04truncated"], ids=["text", "truncated"])
def test_a_damaged_workbook_gives_a_clear_error(data: bytes) -> None:
    with pytest.raises(UnsupportedFile, match="not a valid XLSX workbook"):
        read_rows(data, "feedback.xlsx", FEEDBACK)


def test_a_zip_that_is_not_a_workbook_gives_a_clear_error() -> None:
    with pytest.raises(UnsupportedFile, match="the XLSX workbook cannot be read"):
        read_rows(_zip_declaring([12]), "feedback.xlsx", FEEDBACK)


@pytest.mark.parametrize("sizes", [[3 * 1024**3], [600 * 1024**2, 600 * 1024**2]], ids=["one-member", "in-sum"])
def test_a_workbook_that_would_inflate_past_the_limit_is_refused_before_reading(sizes: list[int]) -> None:
    bomb = _zip_declaring(sizes)
    assert len(bomb) < 1000
    with pytest.raises(PayloadTooLarge, match="inflates to more than 1 GB"):
        read_rows(bomb, "feedback.xlsx", FEEDBACK)


@pytest.mark.parametrize("file_name", ["feedback.csv", "feedback.xlsx"])
def test_report_rows_are_the_rows_a_spreadsheet_shows(
    file_name: str, duckdb_store: Store, duckdb_settings: Settings
) -> None:
    rows = [
        HEADER,  # row 1
        ROWS[0],  # row 2
        ["callcenter", "call", "2026-06-03T15:00:00+09:00", "첫 줄\n둘째 줄"],  # row 3, a cell on two lines
        [],  # row 4, blank
        ["callcenter", "fax", "2026-06-03T16:00:00+09:00", "팩스로 보냈어요"],  # row 5, bad channel
        ROWS[1],  # row 6
        ["callcenter", "call", "어제", "언제였더라"],  # row 7, bad time
    ]
    if file_name.endswith("xlsx"):
        data = _xlsx(rows)
    else:
        data = "".join(",".join(f'"{cell}"' for cell in row) + "\r\n" for row in rows).encode()
    report = import_into_store(duckdb_store, duckdb_settings, data, file_name, FEEDBACK)
    assert (report.rows, report.accepted, report.rejected) == (5, 3, 2)
    assert [(r["row"], r["field"]) for r in report.rejections] == [(5, "channel"), (7, "occurred_at")]
    assert "'fax' is not one of" in report.rejections[0]["reason"]


def test_read_table_keeps_rows_of_empty_cells_and_skips_blank_lines() -> None:
    """Per-row tools (analyze, classify predict) answer once per input row, empty texts included."""
    _, rows = read_table(b'id,text\n1,hello\n2,""\n\n3,bye\n,\n', "texts.csv")
    assert [(r["id"], r["text"]) for r in rows] == [("1", "hello"), ("2", ""), ("3", "bye"), ("", "")]
