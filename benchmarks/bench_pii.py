"""Score PII detection on the labelled set and measure its throughput.

Prints a markdown table of precision, recall and F1 per kind, under exact span match (same kind,
same start and end) and overlap match (same kind, spans share at least one character; each gold
span is matched at most once), then texts per second on one core (median of repeats).

Run: .venv/bin/python benchmarks/bench_pii.py [--cases PATH] [--repeats N] [--json PATH] [--errors]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cxloop.text.pii import PiiKind, PiiSpan, find_pii

CASES = Path(__file__).resolve().parents[1] / "tests" / "text" / "data" / "pii_cases.jsonl"


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict[str, float | int]:
        return {
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
        }


@dataclass
class Scores:
    exact: dict[PiiKind, Counts] = field(default_factory=lambda: {k: Counts() for k in PiiKind})
    overlap: dict[PiiKind, Counts] = field(default_factory=lambda: {k: Counts() for k in PiiKind})
    errors: list[dict[str, object]] = field(default_factory=list)


def load_cases(path: Path = CASES) -> list[tuple[str, list[PiiSpan]]]:
    cases = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                row = json.loads(line)
                gold = [PiiSpan(PiiKind(s["kind"]), s["start"], s["end"]) for s in row["spans"]]
                cases.append((row["text"], gold))
    return cases


def _match(gold: Sequence[PiiSpan], found: Sequence[PiiSpan], same: Callable[[PiiSpan, PiiSpan], bool]) -> int:
    used: set[int] = set()
    for g in gold:
        for i, f in enumerate(found):
            if i not in used and f.kind == g.kind and same(g, f):
                used.add(i)
                break
    return len(used)


def _exact(a: PiiSpan, b: PiiSpan) -> bool:
    return (a.start, a.end) == (b.start, b.end)


def _overlaps(a: PiiSpan, b: PiiSpan) -> bool:
    return a.start < b.end and b.start < a.end


def score(cases: Sequence[tuple[str, list[PiiSpan]]], detect: Callable[[str], list[PiiSpan]] = find_pii) -> Scores:
    """Per-kind counts for exact and overlap matching over ``cases``."""
    scores = Scores()
    for text, gold in cases:
        found = detect(text)
        for kind in PiiKind:
            g = [s for s in gold if s.kind == kind]
            f = [s for s in found if s.kind == kind]
            for table, same in ((scores.exact, _exact), (scores.overlap, _overlaps)):
                tp = _match(g, f, same)
                table[kind].tp += tp
                table[kind].fp += len(f) - tp
                table[kind].fn += len(g) - tp
        if set(found) != set(gold):
            scores.errors.append(
                {
                    "text": text,
                    "missed": [(s.kind.value, text[s.start : s.end]) for s in gold if s not in found],
                    "extra": [(s.kind.value, text[s.start : s.end]) for s in found if s not in gold],
                }
            )
    return scores


def throughput(texts: Sequence[str], repeats: int) -> float:
    """Median texts per second of ``find_pii`` over ``repeats`` passes."""
    rates = []
    for _ in range(repeats):
        started = time.perf_counter()
        for text in texts:
            find_pii(text)
        rates.append(len(texts) / (time.perf_counter() - started))
    return statistics.median(rates)


def _total(table: dict[PiiKind, Counts]) -> Counts:
    return Counts(
        sum(c.tp for c in table.values()), sum(c.fp for c in table.values()), sum(c.fn for c in table.values())
    )


def render(scores: Scores, rate: float, n_cases: int) -> str:
    lines = [
        f"PII detection on {n_cases} labelled texts",
        "",
        "| kind | gold | P exact | R exact | F1 exact | P overlap | R overlap | F1 overlap |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    rows = [(k.value, scores.exact[k], scores.overlap[k]) for k in PiiKind]
    rows.append(("all", _total(scores.exact), _total(scores.overlap)))
    for name, e, o in rows:
        lines.append(
            f"| {name} | {e.tp + e.fn} | {e.precision:.3f} | {e.recall:.3f} | {e.f1:.3f} "
            f"| {o.precision:.3f} | {o.recall:.3f} | {o.f1:.3f} |"
        )
    lines += ["", f"Throughput: {rate:,.0f} texts/s (median, one core)"]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description="Score and time cxloop PII detection.")
    parser.add_argument("--cases", type=Path, default=CASES)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--json", type=Path, help="also write the results as JSON here")
    parser.add_argument("--errors", action="store_true", help="list the texts that were not matched exactly")
    args = parser.parse_args()

    cases = load_cases(args.cases)
    scores = score(cases)
    rate = throughput([text for text, _ in cases], args.repeats)
    print(render(scores, rate, len(cases)))
    if args.errors:
        for error in scores.errors:
            print(json.dumps(error, ensure_ascii=False))
    if args.json:
        result = {
            "cases": len(cases),
            "texts_per_second": round(rate, 1),
            "exact": {k.value: c.as_dict() for k, c in scores.exact.items()},
            "overlap": {k.value: c.as_dict() for k, c in scores.overlap.items()},
        }
        args.json.write_text(json.dumps(result, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
