"""Shared by the benchmark scripts: timing statistics, markdown tables, the results JSON, machine facts.

Every benchmark writes one JSON file in the shape `report.py` turns into `benchmarks/RESULTS.md`:

    {"title": str, "mode": "full" | "quick", "generated_at": ISO time, "notes": [str],
     "machine": {...}, "tables": [{"title": str, "section": str, "columns": [str], "rows": [[cell]],
                                   "notes": [str]}]}

Cells are raw numbers, strings, booleans or null; formatting happens when a table is rendered. A
table that compares a figure with a target of the issue has the columns "target" and "met?".
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
RESULTS_DIR = REPO / "benchmarks" / "results"
WORK_DIR = REPO / "benchmarks" / ".work"  # gitignored: caches and scratch stores

Cell = str | int | float | bool | None


# -- statistics ----------------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) with linear interpolation between the closest ranks."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def milliseconds(seconds: Sequence[float]) -> tuple[float, float]:
    """p50 and p95 of durations given in seconds, in milliseconds."""
    ms = [s * 1000 for s in seconds]
    return percentile(ms, 50), percentile(ms, 95)


# -- tables --------------------------------------------------------------------------------------


@dataclass
class Table:
    title: str
    columns: list[str]
    rows: list[list[Cell]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    section: str = ""

    def add(self, *cells: Cell) -> None:
        if len(cells) != len(self.columns):
            raise ValueError(f"{self.title}: {len(cells)} cells for {len(self.columns)} columns")
        self.rows.append(list(cells))

    def to_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "section": self.section,
            "columns": self.columns,
            "rows": self.rows,
            "notes": self.notes,
        }

    def to_markdown(self, heading: str = "###") -> str:
        parts = [f"{heading} {self.title}", "", markdown_table(self.columns, self.rows)]
        if self.notes:
            parts += ["", *(f"- {note}" for note in self.notes)]
        return "\n".join(parts)


def format_cell(value: Cell) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if value != value:  # NaN
            return "–"
        magnitude = abs(value)
        if magnitude >= 100:
            return f"{value:,.0f}"
        if magnitude >= 10:
            return f"{value:.1f}"
        return f"{value:.2f}"
    return str(value).replace("|", "\\|").replace("\n", " ")


def markdown_table(columns: Sequence[str], rows: Iterable[Sequence[Cell]]) -> str:
    rows = [list(r) for r in rows]
    numeric = [
        all(isinstance(r[i], int | float) and not isinstance(r[i], bool) for r in rows if r[i] is not None)
        and any(r[i] is not None for r in rows)
        for i in range(len(columns))
    ]
    lines = [
        "| " + " | ".join(columns) + " |",
        "|" + "|".join("---:" if n else "---" for n in numeric) + "|",
    ]
    # A missed target stands out; other false values are plain facts.
    missed = [c == "met?" for c in columns]
    lines += [
        "| "
        + " | ".join("**no**" if m and c is False else format_cell(c) for c, m in zip(row, missed, strict=True))
        + " |"
        for row in rows
    ]
    return "\n".join(lines)


# -- results files -------------------------------------------------------------------------------


def write_results(
    path: Path,
    *,
    title: str,
    mode: str,
    tables: Sequence[Table],
    notes: Sequence[str] = (),
    sections_run: Sequence[str] | None = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Write the results JSON. With `sections_run`, tables of other sections already in the file
    (from an earlier run in the same mode) are kept with the file's notes, so `--sections` can redo
    one part."""
    kept: list[dict[str, Any]] = []
    kept_notes: list[str] = []
    if sections_run is not None and path.exists():
        try:
            earlier = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            earlier = {}
        if earlier.get("mode") == mode:
            kept = [t for t in earlier.get("tables", []) if t.get("section") not in sections_run]
            kept_notes = list(earlier.get("notes", [])) if kept else []
    order = {name: i for i, name in enumerate(SECTION_ORDER)}
    all_tables = sorted([*kept, *(t.to_dict() for t in tables)], key=lambda t: order.get(t.get("section"), 99))
    body = {
        "title": title,
        "mode": mode,
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "notes": list(dict.fromkeys([*notes, *kept_notes])),
        "machine": machine_facts(),
        "tables": all_tables,
        **(extra or {}),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(body, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    return body


SECTION_ORDER = ("ingest", "pipeline", "import", "queries")


# -- the machine ---------------------------------------------------------------------------------


def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def _cpu_model() -> str:
    match = re.search(r"^model name\s*:\s*(.+)$", _read("/proc/cpuinfo"), re.MULTILINE)
    return match.group(1).strip() if match else platform.processor() or platform.machine()


def _ram_gib() -> float | None:
    match = re.search(r"^MemTotal:\s*(\d+) kB", _read("/proc/meminfo"), re.MULTILINE)
    return round(int(match.group(1)) / 1024**2, 1) if match else None


def _os_name() -> str:
    match = re.search(r'^PRETTY_NAME="?([^"\n]+)', _read("/etc/os-release"), re.MULTILINE)
    return f"{match.group(1) if match else platform.system()} (kernel {platform.release()})"


def postgres_server_version() -> str | None:
    """The version of the PostgreSQL server binaries the benchmarks would start, if installed."""
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/postgres"), reverse=True)
    found = shutil.which("postgres")
    binary = str(candidates[0]) if candidates else found
    if not binary:
        return None
    result = subprocess.run([binary, "--version"], capture_output=True, text=True, check=False)
    return result.stdout.strip().removeprefix("postgres (PostgreSQL) ") or None


def _git_commit() -> str | None:
    result = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        return None
    dirty = subprocess.run(
        ["git", "-C", str(REPO), "status", "--porcelain", "--untracked-files=no"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return result.stdout.strip() + (" (with uncommitted changes)" if dirty else "")


def machine_facts() -> dict[str, Any]:
    """What the numbers depend on: CPU, cores, RAM, OS, versions, load, date."""
    try:
        import duckdb

        duckdb_version: str | None = duckdb.__version__
    except ImportError:  # pragma: no cover - cxloop depends on it
        duckdb_version = None
    try:
        usable_cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        usable_cores = os.cpu_count() or 0
    load = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
    return {
        "cpu": _cpu_model(),
        "cores": usable_cores,
        "ram_gib": _ram_gib(),
        "os": _os_name(),
        "python": platform.python_version(),
        "duckdb": duckdb_version,
        "postgresql": postgres_server_version(),
        "cxloop_commit": _git_commit(),
        "load_average_1m": round(load[0], 2),
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


# -- processes and PostgreSQL --------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def throwaway_postgres_class() -> Any:
    """`ThrowawayPostgres` from the test support package, the one way this repo starts a server."""
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    from tests.support.postgres import ThrowawayPostgres

    return ThrowawayPostgres


# The test server trades durability for speed; a throughput figure for "stored durably" must not.
# These are reloadable settings, so they apply without a restart. shared_buffers stays at its default.
DURABLE_POSTGRES_SETTINGS = {
    "fsync": "on",
    "synchronous_commit": "on",
    "full_page_writes": "on",
    "max_wal_size": "4GB",
}


def make_postgres_durable(admin_url: str) -> list[str]:
    """Turn durability back on in a throwaway server; returns the settings as applied."""
    import psycopg
    from sqlalchemy.engine import make_url

    conninfo = make_url(admin_url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        for name, value in DURABLE_POSTGRES_SETTINGS.items():
            conn.execute(f"ALTER SYSTEM SET {name} = '{value}'")
        conn.execute("SELECT pg_reload_conf()")
    time.sleep(1.0)  # the reload is a signal the server acts on shortly after; new sessions see it
    names = [*DURABLE_POSTGRES_SETTINGS, "shared_buffers", "work_mem", "max_parallel_workers_per_gather"]
    applied = []
    with psycopg.connect(conninfo, autocommit=True) as conn:
        for name in names:
            value = conn.execute(f"SHOW {name}").fetchone()
            applied.append(f"{name}={value[0] if value else '?'}")
    return applied
