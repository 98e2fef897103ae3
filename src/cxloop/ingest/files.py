"""Reading import files: CSV, TSV, JSONL and XLSX in UTF-8 (with or without BOM) or CP949/EUC-KR."""

from __future__ import annotations

import csv
import io
import unicodedata
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from cxloop.domain import RecordKind
from cxloop.errors import InvalidInput, PayloadTooLarge, UnsupportedFile
from cxloop.ingest.records import CANONICAL_FIELDS, Rejection

FORMATS = ("csv", "tsv", "jsonl", "xlsx")
_EXTENSIONS = {".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".jsonl": "jsonl", ".ndjson": "jsonl",
               ".json": "jsonl", ".xlsx": "xlsx"}  # fmt: skip
_XLSX_MAX_UNCOMPRESSED = 1024 * 1024 * 1024  # refuse zip bombs before openpyxl inflates them
csv.field_size_limit(16 * 1024 * 1024)


@dataclass(frozen=True, slots=True)
class FileRows:
    """Rows of an import file: (row number as a spreadsheet shows it, raw record), plus rows that
    could not even be read (a broken JSON line), and what was detected."""

    rows: list[tuple[int, dict[str, Any]]]
    unreadable: list[Rejection]
    file_format: str
    encoding: str | None
    columns: list[str]


def detect_format(file_name: str, data: bytes) -> str:
    suffix = Path(file_name).suffix.lower()
    if suffix in _EXTENSIONS:
        return _EXTENSIONS[suffix]
    if data[:4] == b"PK\x03\x04":
        return "xlsx"
    head = data[:4096].lstrip()
    if head.startswith(b"{"):
        return "jsonl"
    if b"\t" in head.split(b"\n", 1)[0]:
        return "tsv"
    return "csv"


def decode(data: bytes) -> tuple[str, str]:
    """Text and the encoding it was in. Korean Excel exports are CP949 (a superset of EUC-KR)."""
    if b"\x00" in data[:65536]:
        raise UnsupportedFile("the file looks binary (it contains NUL bytes); expected CSV, TSV, JSONL or XLSX")
    for encoding in ("utf-8-sig", "cp949"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return unicodedata.normalize("NFC", text), "utf-8" if encoding == "utf-8-sig" else encoding
    raise UnsupportedFile("the file is neither UTF-8 nor CP949/EUC-KR; save it as UTF-8 and try again")


def parse_mapping(pairs: list[str] | None, kind: RecordKind) -> dict[str, str]:
    """`src=dst` pairs (from flags or a mapping file) into {source column: canonical field}."""
    mapping: dict[str, str] = {}
    for pair in pairs or []:
        source, sep, target = pair.partition("=")
        source, target = _header(source), target.strip()
        if not sep or not source or not target:
            raise InvalidInput(f"mapping {pair!r} must look like source_column=canonical_field")
        if target not in CANONICAL_FIELDS[kind]:
            raise InvalidInput(
                f"mapping {pair!r}: {target!r} is not a {kind.value} field; "
                f"the fields are: {', '.join(CANONICAL_FIELDS[kind])}"
            )
        mapping[source] = target
    return mapping


def load_mapping_file(path: Path, kind: RecordKind) -> dict[str, str]:
    """A saved mapping: a JSON object {"source column": "canonical field"} or `src=dst` lines."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"cannot read mapping file {path}: {exc}") from exc
    if text.lstrip().startswith("{"):
        try:
            obj = orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            raise InvalidInput(f"mapping file {path} is not valid JSON: {exc}") from exc
        if not isinstance(obj, dict) or not all(isinstance(v, str) for v in obj.values()):
            raise InvalidInput(f"mapping file {path} must be a JSON object of column names to fields")
        return parse_mapping([f"{k}={v}" for k, v in obj.items()], kind)
    lines = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    return parse_mapping(lines, kind)


def _header(name: str) -> str:
    return unicodedata.normalize("NFC", name).strip().lstrip("\ufeff").lower().replace(" ", "_")


def _apply_mapping(columns: list[str], mapping: Mapping[str, str], kind: RecordKind) -> list[str]:
    mapped = [mapping.get(c, c) for c in columns]
    unknown = [c for c, m in zip(columns, mapped, strict=True) if m not in CANONICAL_FIELDS[kind] and c]
    if unknown:
        raise InvalidInput(
            f"unknown column(s) for {kind.value}: {', '.join(unknown)}. Rename them, or map them with "
            f"--map column=field; the fields are: {', '.join(CANONICAL_FIELDS[kind])}",
            details={"unknown_columns": unknown, "fields": list(CANONICAL_FIELDS[kind])},
        )
    duplicated = sorted({m for m in mapped if m and mapped.count(m) > 1})
    if duplicated:
        raise InvalidInput(f"more than one column maps to: {', '.join(duplicated)}")
    return mapped


def _delimited(text: str, delimiter: str, mapping: Mapping[str, str], kind: RecordKind) -> FileRows:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = next(reader, None)
    if not header or not any(h.strip() for h in header):
        raise InvalidInput("the file is empty: expected a header row with column names")
    columns = _apply_mapping([_header(h) for h in header], mapping, kind)
    rows: list[tuple[int, dict[str, Any]]] = []
    unreadable: list[Rejection] = []
    for line_number, cells in enumerate(reader, start=2):
        if not any(cell.strip() for cell in cells):
            continue  # blank lines are not records
        if len(cells) > len(columns):
            unreadable.append(Rejection(line_number, None, f"has {len(cells)} cells but the header has {len(columns)}"))
            continue
        rows.append((line_number, {c: v for c, v in zip(columns, cells, strict=False) if c}))
    if not rows and not unreadable:
        raise InvalidInput("the file has a header row but no data rows")
    return FileRows(rows, unreadable, "tsv" if delimiter == "\t" else "csv", None, columns)


def _jsonl(text: str, mapping: Mapping[str, str], kind: RecordKind) -> FileRows:
    rows: list[tuple[int, dict[str, Any]]] = []
    unreadable: list[Rejection] = []
    for line_number, obj in _json_objects(text, unreadable):
        if not isinstance(obj, dict):
            unreadable.append(Rejection(line_number, None, "must be a JSON object"))
            continue
        rows.append((line_number, {mapping.get(_header(k), _header(k)): v for k, v in obj.items()}))
    if not rows and not unreadable:
        raise InvalidInput("the file is empty: expected one JSON object per line")
    return FileRows(rows, unreadable, "jsonl", None, sorted({k for _, r in rows for k in r}))


def _json_objects(text: str, unreadable: list[Rejection]) -> Iterator[tuple[int, Any]]:
    """(line or position, parsed value) from JSON Lines, or from one JSON array of records."""
    if text.lstrip().startswith("["):
        try:
            records = orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            raise InvalidInput(f"the file is not valid JSON: {exc.args[0]}") from None
        yield from enumerate(records, start=1)
        return
    for line_number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield line_number, orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            unreadable.append(Rejection(line_number, None, f"is not valid JSON: {exc.args[0]}"))


def _xlsx(data: bytes, mapping: Mapping[str, str], kind: RecordKind) -> FileRows:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(info.file_size for info in archive.infolist()) > _XLSX_MAX_UNCOMPRESSED:
                raise PayloadTooLarge("the XLSX file inflates to more than 1 GB; split it into smaller files")
    except zipfile.BadZipFile:
        raise UnsupportedFile("the file is not a valid XLSX workbook") from None
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many unrelated types for damaged files
        raise UnsupportedFile(f"the XLSX workbook cannot be read: {exc}") from None
    sheet = workbook.worksheets[0]
    values = sheet.iter_rows(values_only=True)
    header = next(values, None)
    if not header or not any(h is not None and str(h).strip() for h in header):
        raise InvalidInput("the first sheet is empty: expected a header row with column names")
    columns = _apply_mapping([_header(str(h)) if h is not None else "" for h in header], mapping, kind)
    rows: list[tuple[int, dict[str, Any]]] = []
    unreadable: list[Rejection] = []
    for row_number, cells in enumerate(values, start=2):
        filled = [i for i, v in enumerate(cells) if v is not None and str(v).strip()]
        if not filled:
            continue  # blank rows are not records
        headless = [i for i in filled if i >= len(columns) or not columns[i]]
        if headless:
            letter = openpyxl.utils.get_column_letter(headless[0] + 1)
            unreadable.append(Rejection(row_number, None, f"has a value in column {letter}, which has no header"))
            continue
        rows.append((row_number, {c: v for c, v in zip(columns, cells, strict=False) if c and v is not None}))
    workbook.close()
    if not rows and not unreadable:
        raise InvalidInput("the first sheet has a header row but no data rows")
    return FileRows(rows, unreadable, "xlsx", None, columns)


def read_rows(data: bytes, file_name: str, kind: RecordKind, mapping: Mapping[str, str] | None = None) -> FileRows:
    """All rows of an import file, or InvalidInput/UnsupportedFile saying what is wrong with it."""
    if not data.strip():
        raise InvalidInput("the file is empty")
    mapping = mapping or {}
    file_format = detect_format(file_name, data)
    if file_format == "xlsx":
        return _xlsx(data, mapping, kind)
    text, encoding = decode(data)
    if file_format == "jsonl":
        result = _jsonl(text, mapping, kind)
    else:
        result = _delimited(text, "\t" if file_format == "tsv" else ",", mapping, kind)
    return FileRows(result.rows, result.unreadable, result.file_format, encoding, result.columns)


def chunks(rows: list[tuple[int, dict[str, Any]]], size: int) -> Iterator[list[tuple[int, dict[str, Any]]]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def read_table(data: bytes, file_name: str) -> tuple[list[str], list[dict[str, Any]]]:
    """Any CSV, TSV, JSONL or XLSX file as (columns, rows), without the canonical-field checks of an
    import: for tools that read one or two named columns (analysis, classifier training)."""
    if not data.strip():
        raise InvalidInput("the file is empty")
    file_format = detect_format(file_name, data)
    if file_format == "xlsx":
        import openpyxl

        try:
            workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many unrelated types for damaged files
            raise UnsupportedFile(f"the XLSX workbook cannot be read: {exc}") from None
        values = workbook.worksheets[0].iter_rows(values_only=True)
        header = [str(h).strip() if h is not None else "" for h in next(values, ())]
        rows = [dict(zip(header, cells, strict=False)) for cells in values if any(c is not None for c in cells)]
        workbook.close()
        return header, rows
    text, _ = decode(data)
    if file_format == "jsonl":
        unreadable: list[Rejection] = []
        objects = [obj for _, obj in _json_objects(text, unreadable)]
        if unreadable:
            first = unreadable[0]
            raise InvalidInput(f"line {first.position} {first.reason}")
        if not all(isinstance(obj, dict) for obj in objects):
            raise InvalidInput("every line must be a JSON object")
        columns = list(dict.fromkeys(key for obj in objects for key in obj))
        return columns, objects
    reader = csv.reader(io.StringIO(text, newline=""), delimiter="\t" if file_format == "tsv" else ",")
    header = [h.strip().lstrip("\ufeff") for h in next(reader, [])]
    if not any(header):
        raise InvalidInput("the file is empty: expected a header row with column names")
    # A blank line is no row; a line of empty cells (`""`, `,,`) is a row whose values are empty, so
    # per-row outputs (analyze, classify predict) stay aligned with the input rows.
    return header, [dict(zip(header, cells, strict=False)) for cells in reader if cells]
