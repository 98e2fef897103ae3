"""Tables as downloads: rows and columns → CSV (UTF-8 with BOM, so Excel reads Korean) or XLSX.

Generic on purpose: KPIs, journeys and any other table page hand over plain rows and the columns
to write, and get a streaming-free Response with a safe file name.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from fastapi.responses import Response

from cxloop.errors import InvalidInput

EXPORT_FORMATS = ("csv", "xlsx")
_MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
# Cells starting with these are formulas to a spreadsheet; an exported customer text must not run.
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, str) and value.startswith(_FORMULA_PREFIXES) and not _is_number(value):
        return "'" + value
    if isinstance(value, dict | list):
        return str(value)
    return value


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def table_csv(rows: Iterable[Mapping[str, Any]], columns: Sequence[str], headers: Sequence[str] | None = None) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(headers or columns)
    for row in rows:
        writer.writerow(["" if row.get(c) is None else _cell(row.get(c)) for c in columns])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def table_xlsx(
    rows: Iterable[Mapping[str, Any]], columns: Sequence[str], headers: Sequence[str] | None = None, sheet: str = "data"
) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    ws = book.create_sheet(title=re.sub(r"[\[\]:*?/\\]", "_", sheet)[:31] or "data")
    ws.append(list(headers or columns))
    for row in rows:
        ws.append([_cell(row.get(c)) for c in columns])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def export_response(
    rows: Iterable[Mapping[str, Any]],
    columns: Sequence[str],
    fmt: str,
    filename: str,
    headers: Sequence[str] | None = None,
) -> Response:
    """A download of `rows` (only `columns`, in that order) as CSV or XLSX."""
    if fmt not in EXPORT_FORMATS:
        raise InvalidInput(f"format must be one of {', '.join(EXPORT_FORMATS)}, not {fmt!r}")
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", filename).strip("._") or "export"
    body = table_csv(rows, columns, headers) if fmt == "csv" else table_xlsx(rows, columns, headers, stem)
    return Response(
        body,
        media_type=_MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{stem}.{fmt}"'},
    )
