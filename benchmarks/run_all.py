"""`make bench`: run every benchmark script, each writing its JSON to benchmarks/results/, then
assemble benchmarks/RESULTS.md. A benchmark that fails is reported and the others still run.

Run: .venv/bin/python benchmarks/run_all.py [--quick] [--only NAME[,NAME...]]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
# name -> extra arguments for a quick run (full runs use each script's defaults)
BENCHMARKS: dict[str, list[str]] = {
    "platform": ["--quick"],
    "pipeline_text": ["--quick"],
    "pii": [],
    "sentiment": [],
    "topics": [],
    "text_signals": ["--quick"],
    "duplicates": [],
    "classifier": ["--quick"],
    "identity": ["--quick"],
    "routing": ["--quick"],
    "journeys": ["--quick"],
    "kpis": ["--quick"],
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--only", help="comma-separated subset of: " + ", ".join(BENCHMARKS))
    args = parser.parse_args()
    wanted = args.only.split(",") if args.only else list(BENCHMARKS)
    RESULTS.mkdir(exist_ok=True)
    failed = []
    for name in wanted:
        script = HERE / f"bench_{name}.py"
        if not script.exists():
            print(f"-- {name}: no {script.name}, skipped", flush=True)
            continue
        command = [sys.executable, str(script), "--json", str(RESULTS / f"{name}.json")]
        command += BENCHMARKS.get(name, []) if args.quick else []
        print(f"-- {name}: {' '.join(command[1:])}", flush=True)
        started = time.perf_counter()
        if subprocess.run(command, check=False).returncode != 0:
            failed.append(name)
        print(f"-- {name}: {time.perf_counter() - started:.0f} s", flush=True)
    subprocess.run([sys.executable, str(HERE / "report.py")], check=True)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
