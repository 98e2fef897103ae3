"""Assemble benchmarks/RESULTS.md from every results JSON in benchmarks/results/.

The machine comes first, then the figures that have a target in the issue (any table with "target"
and "met?" columns), then each benchmark's tables in full. A JSON in the shape `_common.py` describes
(title, tables of columns and rows) is rendered as is; any other JSON object is flattened into tables,
so a benchmark that writes its own shape still shows up.

Run: .venv/bin/python benchmarks/report.py [--results DIR] [--out PATH]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from _common import RESULTS_DIR, Table, machine_facts, markdown_table

OUT = RESULTS_DIR.parent / "RESULTS.md"
MACHINE_LABELS = {
    "cpu": "CPU",
    "cores": "Cores usable",
    "ram_gib": "RAM (GiB)",
    "os": "OS",
    "python": "Python",
    "duckdb": "DuckDB",
    "postgresql": "PostgreSQL",
    "cxloop_commit": "cxloop commit",
    "date": "Date",
}


def _scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def _leaves(value: Any, prefix: str = "") -> dict[str, Any]:
    """Scalar leaves of nested dicts, keyed by dotted path; lists of scalars are joined."""
    if _scalar(value):
        return {prefix or "value": value}
    if isinstance(value, list) and all(_scalar(v) for v in value):
        return {prefix or "value": ", ".join(str(v) for v in value)}
    if isinstance(value, dict):
        found: dict[str, Any] = {}
        for key, inner in value.items():
            found.update(_leaves(inner, f"{prefix}.{key}" if prefix else str(key)))
        return found
    return {}


MAX_COLUMNS = 12


def flatten(name: str, body: dict[str, Any]) -> list[Table]:
    """Tables for a JSON object of any shape: its scalars as one key/value table, each dict of dicts
    or list of dicts as a table with a row per entry (deeper levels as dotted columns), recursing
    where a table would get too wide."""
    tables: list[Table] = []
    scalars = Table(name, ["key", "value"])
    for key, value in body.items():
        rows: list[tuple[str | None, dict[str, Any]]] = []
        if isinstance(value, dict) and value and all(isinstance(v, dict) for v in value.values()):
            rows = [(str(k), _leaves(v)) for k, v in value.items()]
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            rows = [(None, _leaves(v)) for v in value]
        if rows:
            columns = list(dict.fromkeys(c for _, leaves in rows for c in leaves))
            if len(columns) <= MAX_COLUMNS:
                keyed = rows[0][0] is not None
                table = Table(f"{name}: {key}", [key, *columns] if keyed else columns)
                for row_key, leaves in rows:
                    cells = [leaves.get(c) for c in columns]
                    table.add(*([row_key, *cells] if keyed else cells))
                tables.append(table)
                continue
            if isinstance(value, dict):
                tables += flatten(f"{name}: {key}", value)
                continue
        for path, leaf in _leaves(value, str(key)).items():
            scalars.add(path, leaf)
    return ([scalars] if scalars.rows else []) + tables


def load(path: Path) -> dict[str, Any]:
    body = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(body, dict):
        body = {"values": body}
    if isinstance(body.get("tables"), list) and "title" in body:
        body["tables"] = [
            Table(t.get("title", ""), list(t["columns"]), [list(r) for r in t["rows"]], list(t.get("notes", [])))
            for t in body["tables"]
        ]
        return body
    title = path.stem.replace("_", " ").capitalize()
    return {"title": title, "tables": flatten(title, body), "notes": [f"(rendered from the raw shape of {path.name})"]}


def target_summary(results: list[tuple[Path, dict[str, Any]]]) -> Table | None:
    """Every row of every table that has a target, in one place."""
    summary = Table("Targets at a glance", ["benchmark", "measure", "figure", "target", "met?"])
    for _, body in results:
        name = body["title"] + (f" ({body['mode']} run)" if body.get("mode") not in (None, "full") else "")
        for table in body["tables"]:
            target_col = next((i for i, c in enumerate(table.columns) if c.startswith("target")), None)
            if target_col is None:
                continue
            met_col = table.columns.index("met?") if "met?" in table.columns else None
            # The figure a target judges is the column its name refers to ("target p95 ms" -> "p95 ms"),
            # else the column before it.
            unit = table.columns[target_col].removeprefix("target").strip()
            figure_col = table.columns.index(unit) if unit in table.columns else max(target_col - 1, 0)
            labels = [i for i in range(figure_col) if _is_label(table, i)]
            for row in table.rows:
                if row[target_col] is None:
                    continue
                measure = " · ".join(str(row[i]) for i in labels) + f" ({table.columns[figure_col]})"
                met = row[met_col] if met_col is not None else None
                summary.add(name, measure, row[figure_col], row[target_col], met)
    return summary if summary.rows else None


def _is_label(table: Table, index: int) -> bool:
    return all(isinstance(row[index], str) or row[index] is None for row in table.rows)


def render(results: list[tuple[Path, dict[str, Any]]]) -> str:
    facts = machine_facts()
    for _, body in results:  # versions seen by the benchmarks themselves win over what is installed now
        for key in ("postgresql", "duckdb", "cxloop_commit"):
            if body.get("machine", {}).get(key):
                facts[key] = body["machine"][key]
    parts = [
        "# Benchmark results",
        "",
        "Written by `benchmarks/report.py` from `benchmarks/results/*.json`; do not edit by hand. "
        "Rerun with `make bench`.",
        "",
        "## Machine",
        "",
        # The load is per measurement (in each table's notes), not a fact about the machine.
        markdown_table(["", ""], [[label, facts.get(key)] for key, label in MACHINE_LABELS.items()]),
    ]
    summary = target_summary(results)
    if summary is not None:
        parts += ["", summary.to_markdown("##")]
    for path, body in results:
        machine = body.get("machine", {})
        meta = [f"`{path.name}`"]
        if body.get("mode"):
            meta.append(f"mode **{body['mode']}**")
        if body.get("generated_at"):
            meta.append(f"written {body['generated_at']}")
        if machine.get("load_average_1m") is not None:
            meta.append(f"load average {machine['load_average_1m']}")
        parts += ["", f"## {body['title']}", "", ", ".join(meta)]
        parts += [f"- {note}" for note in body.get("notes", [])]
        parts += ["", *[t.to_markdown("###") + "\n" for t in body["tables"]]]
    return "\n".join(parts).rstrip() + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description="Assemble benchmarks/RESULTS.md from the results JSON files.")
    parser.add_argument("--results", type=Path, default=RESULTS_DIR)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    paths = sorted(args.results.glob("*.json"))
    results = [(p, load(p)) for p in paths]
    args.out.write_text(render(results), encoding="utf-8")
    print(f"wrote {args.out} from {len(paths)} result file(s)")


if __name__ == "__main__":
    main()
