"""Benchmark the user-trained text classifier on banking77 (77 English intents) beside a baseline.

Tables:
1. Accuracy on the held-out 20% of banking77/train.csv (stratified, seed 42; the split
   `train_classifier` itself makes) and the mean of a 5-fold stratified cross-validation over all of
   train.csv, for cxloop's classifier and a plain TF-IDF + logistic regression baseline; training
   seconds (cxloop: split fit + refit on all rows, as `cxloop classify train` does).
2. The saved model: size on disk, load time, predict throughput (texts/s, one process).
3. Korean sanity check on korean_chatbot (3 labels), when the file is present.

The issue's target (0.93) is for banking77's official test split, which we do not have; the
held-out split here is the estimate. Nothing is tuned on it.

Run: .venv/bin/python benchmarks/bench_classifier.py [--data-dir ../shared/data] [--folds 5] [--quick] [--json PATH]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from _common import REPO, Table, write_results

from cxloop.jobs.classifiers import read_labelled
from cxloop.text.classifier import TextClassifier, fit_classifier, stratified_split, train_classifier

TARGET_ACCURACY = 0.93
TARGET_TRAIN_SECONDS = 60.0
DATA_DIR = REPO.parent / "shared" / "data"

Fit = Callable[[Sequence[str], Sequence[str]], Callable[[Sequence[str]], list[str]]]


def fit_cxloop(texts: Sequence[str], labels: Sequence[str]) -> Callable[[Sequence[str]], list[str]]:
    model = fit_classifier(texts, labels)
    return lambda batch: [p.label for p in model.predict(batch, top_k=1)]


def fit_baseline(texts: Sequence[str], labels: Sequence[str]) -> Callable[[Sequence[str]], list[str]]:
    """TF-IDF (word unigrams, scikit-learn defaults) + logistic regression: the issue's reference."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vectorizer = TfidfVectorizer()
    classifier = LogisticRegression(max_iter=1000).fit(vectorizer.fit_transform(texts), list(labels))
    return lambda batch: list(classifier.predict(vectorizer.transform(batch)))


def held_out(fit: Fit, texts: list[str], labels: list[str], seed: int = 42) -> tuple[float, float]:
    train, test = stratified_split(labels, 0.2, seed)
    started = time.perf_counter()
    predict = fit([texts[i] for i in train], [labels[i] for i in train])
    seconds = time.perf_counter() - started
    guesses = predict([texts[i] for i in test])
    return float(np.mean([g == labels[i] for g, i in zip(guesses, test, strict=True)])), seconds


def cross_validate(fit: Fit, texts: list[str], labels: list[str], folds: int) -> float:
    from sklearn.model_selection import StratifiedKFold

    scores = []
    for train, test in StratifiedKFold(folds, shuffle=True, random_state=0).split(texts, labels):
        predict = fit([texts[i] for i in train], [labels[i] for i in train])
        guesses = predict([texts[i] for i in test])
        scores.append(float(np.mean([g == labels[i] for g, i in zip(guesses, test, strict=True)])))
    return statistics.mean(scores)


def throughput(model: TextClassifier, texts: Sequence[str], repeats: int = 3) -> float:
    rates = []
    for _ in range(repeats):
        started = time.perf_counter()
        model.predict(texts)
        rates.append(len(texts) / (time.perf_counter() - started))
    return statistics.median(rates)


def _pct(fraction: float | None) -> float | None:
    return None if fraction is None else round(100 * fraction, 2)


def main() -> None:
    parser = argparse.ArgumentParser(description="Benchmark the cxloop text classifier on banking77.")
    parser.add_argument("--data-dir", type=Path, default=DATA_DIR)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="skip cross-validation")
    parser.add_argument("--json", type=Path, help="also write the results as JSON here")
    args = parser.parse_args()

    path = args.data_dir / "banking77" / "train.csv"
    if not path.exists():
        raise SystemExit(f"needs {path}, which is absent on this machine")
    rows = read_labelled(path.read_bytes(), path.name, "text", "category")
    texts, labels = rows.texts, rows.labels

    cpu_started = time.process_time()
    model, report = train_classifier(texts, labels, test_size=0.2, seed=42)
    train_cpu = time.process_time() - cpu_started
    base_accuracy, base_seconds = held_out(fit_baseline, texts, labels)
    cv = {} if args.quick else {name: cross_validate(fit, texts, labels, args.folds)
                                for name, fit in (("cxloop", fit_cxloop), ("baseline", fit_baseline))}  # fmt: skip

    accuracy = Table(
        f"banking77: held-out accuracy (20% stratified split, seed 42, n={report.n_test})",
        ["model", "held-out accuracy %", "target %", "met?", "macro F1 %", f"{args.folds}-fold CV mean %", "train s",
         "train CPU s"],
    )  # fmt: skip
    accuracy.add("cxloop classifier (word 1-2 + char 2-5 + word pairs, linear SVM)", _pct(report.accuracy),
                 _pct(TARGET_ACCURACY), report.accuracy >= TARGET_ACCURACY, _pct(report.macro_f1),
                 _pct(cv.get("cxloop")), report.seconds, round(train_cpu, 1))  # fmt: skip
    accuracy.add("baseline: TF-IDF words + logistic regression", _pct(base_accuracy), None, None, None,
                 _pct(cv.get("baseline")), round(base_seconds, 2), None)  # fmt: skip
    accuracy.notes += [
        f"cxloop train s = fit on the 80% split, score it, fit the temperature, refit on all {len(texts):,} rows "
        f"(wall clock; CPU s is this process alone, which is what a busy shared machine does not inflate); "
        f"target < {TARGET_TRAIN_SECONDS:.0f} s: {'met' if train_cpu < TARGET_TRAIN_SECONDS else 'NOT met'} on CPU s",
        "the target is for the official banking77 test split (not available here); this split estimates it",
    ]

    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp) / "banking77"
        model.save(directory)
        size = sum(p.stat().st_size for p in directory.iterdir())
        started = time.perf_counter()
        loaded = TextClassifier.load(directory)
        load_seconds = time.perf_counter() - started
    _, test_rows = stratified_split(labels, 0.2, 42)
    sample = [texts[i] for i in test_rows]
    serving = Table("Saved model", ["labels", "features", "size MB", "load s", "predict texts/s", "temperature"])
    serving.add(len(loaded.labels), int(loaded.metadata["n_features"]), round(size / 1e6, 2),
                round(load_seconds, 3), round(throughput(loaded, sample)), report.temperature)  # fmt: skip

    tables = [accuracy, serving]
    korean = args.data_dir / "korean_chatbot" / "ChatbotData.csv"
    if korean.exists():
        ko = read_labelled(korean.read_bytes(), korean.name, "Q", "label")
        _, ko_report = train_classifier(ko.texts, ko.labels)
        ko_base, _ = held_out(fit_baseline, ko.texts, ko.labels)
        sanity = Table("Korean sanity check: korean_chatbot Q → label (3 classes)",
                       ["model", "held-out accuracy %", "macro F1 %", "train s"])  # fmt: skip
        sanity.add("cxloop classifier", _pct(ko_report.accuracy), _pct(ko_report.macro_f1), ko_report.seconds)
        sanity.add("baseline: TF-IDF words + logistic regression", _pct(ko_base), None, None)
        tables.append(sanity)

    for table in tables:
        print(table.to_markdown(), end="\n\n")
    if args.json:
        write_results(args.json, title="Text classifier (user-trained)", mode="quick" if args.quick else "full",
                      tables=tables)  # fmt: skip


if __name__ == "__main__":
    main()
