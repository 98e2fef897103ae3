#!/usr/bin/env python
"""Benchmark the shipped sentiment model: accuracy per data set beside a baseline, and throughput.

    .venv/bin/python benchmarks/bench_sentiment.py [--data-dir ../shared/data] [--json PATH]

Accuracy is the sign accuracy of the score on positive/negative rows. The baseline is a plain
character n-gram TF-IDF + logistic regression trained on exactly the same training rows (built only
when the shared data and scikit-learn are present). Throughput is texts per second on one core,
the median of several runs over realistic short reviews.
"""

from __future__ import annotations

import os

# Pin to one core and one thread before numpy loads, so "per core" means what it says.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"
if hasattr(os, "sched_setaffinity"):
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})

import argparse  # noqa: E402
import importlib.util  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from types import ModuleType  # noqa: E402

import numpy as np  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[1]
RUNS = 5
THROUGHPUT_TEXTS = 5000
BATCH = 1000


def _training_module() -> ModuleType:
    """The training script's loaders, so the benchmark uses the very same split and rows."""
    spec = importlib.util.spec_from_file_location("train_sentiment", REPO_ROOT / "scripts" / "train_sentiment.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["train_sentiment"] = module  # dataclasses resolve their module by name
    spec.loader.exec_module(module)
    return module


def _baseline_scores(train: ModuleType, data_dir: Path, eval_sets: list) -> dict[str, np.ndarray]:  # type: ignore[type-arg]
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    corpus = train.load_training_corpus(data_dir)
    vectorizer = TfidfVectorizer(
        analyzer="char_wb", ngram_range=(1, 4), min_df=2, sublinear_tf=True, max_features=500_000
    )
    x = vectorizer.fit_transform(corpus.texts)
    clf = LogisticRegression(C=1.0, solver="liblinear", max_iter=2000, random_state=0)
    clf.fit(x, np.asarray(corpus.labels), sample_weight=np.asarray(corpus.weights))
    return {es.name: clf.decision_function(vectorizer.transform(es.texts)) for es in eval_sets}


def _throughput(texts: list[str]) -> float:
    from cxloop.text.sentiment import SentimentModel

    model = SentimentModel.load()
    model.score_texts(texts[:BATCH])  # warm-up: regex caches, allocator
    rates = []
    for _ in range(RUNS):
        started = time.perf_counter()
        for i in range(0, len(texts), BATCH):
            model.score_texts(texts[i : i + BATCH])
        rates.append(len(texts) / (time.perf_counter() - started))
    return statistics.median(rates)


def _load_seconds() -> float:
    from cxloop.text.sentiment import SentimentModel

    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        SentimentModel.load()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=REPO_ROOT.parent / "shared" / "data")
    parser.add_argument("--json", type=Path, help="also write the results as JSON to this path")
    parser.add_argument("--no-baseline", action="store_true", help="skip training the baseline (~2 min)")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(REPO_ROOT / "src"))
    from cxloop.text.sentiment import load_sentiment_model

    train = _training_module()
    has_data = (args.data_dir / "nsmc" / "nsmc_train.tsv").is_file()
    eval_sets = train.load_eval_sets(args.data_dir if has_data else None)
    eval_sets = [es for es in eval_sets if any(label != "neutral" for label in es.labels)]

    model = load_sentiment_model()
    results: dict[str, dict[str, float | int | None]] = {}
    for es in eval_sets:
        scores = np.array([s.score for s in model.score_texts(es.texts)])
        polar = sum(label != "neutral" for label in es.labels)
        results[es.name] = {"n": polar, "model": train.sign_accuracy(scores, es.labels), "baseline": None}

    if has_data and not args.no_baseline:
        try:
            baseline = _baseline_scores(train, args.data_dir, eval_sets)
        except ImportError:
            print("scikit-learn missing: no baseline column (pip install the train extra)", file=sys.stderr)
        else:
            for es in eval_sets:
                results[es.name]["baseline"] = train.sign_accuracy(baseline[es.name], es.labels)

    texts = [t for es in eval_sets for t in es.texts if t.strip()]
    texts = (texts * (THROUGHPUT_TEXTS // max(1, len(texts)) + 1))[:THROUGHPUT_TEXTS]
    rate = _throughput(texts)
    load_s = _load_seconds()
    mean_chars = statistics.fmean(len(t) for t in texts)

    def pct(value: float | int | None) -> str:
        return "—" if value is None else f"{value:.1%}"

    print("| data set | n (pos/neg) | cxloop sentiment | char n-gram TF-IDF + LR |")
    print("|---|---:|---:|---:|")
    for name, r in results.items():
        print(f"| {name} | {r['n']} | {pct(r['model'])} | {pct(r['baseline'])} |")
    print()
    print("| measure | value |")
    print("|---|---:|")
    print(
        f"| throughput, 1 core (median of {RUNS} runs, {len(texts)} texts of {mean_chars:.0f} chars avg) "
        f"| {rate:,.0f} texts/s |"
    )
    print(f"| artefact load time (median of {RUNS}) | {load_s * 1000:.0f} ms |")
    if not has_data:
        print(f"\n(no shared data at {args.data_dir}: proxy sets only, no baseline)")

    if args.json:
        payload = {
            "accuracy": results,
            "throughput_texts_per_s_one_core": rate,
            "load_seconds": load_s,
            "mean_text_chars": mean_chars,
            "shared_data": has_data,
        }
        args.json.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
