"""Supervised text classifiers that users train on their own labelled history (Korean and English).

Features are computed here, by the same code at training and at prediction time: word uni- and
bigrams, word-bounded character 2–5-grams (they carry Korean stems through particles and endings,
and English stems through typos and inflection) and unordered word pairs (two words that decide an
intent together but not side by side: "card … arrived", "transfer … pending"). Each block is
sublinear TF-IDF, L2-normalized. A linear SVM is fitted on them, and its scores become probabilities
through a softmax whose temperature is fitted on the held-out split.

Only training needs scikit-learn (and scipy). A saved model is JSON plus ``.npz`` arrays (no pickle)
and predicts with numpy alone.
"""

from __future__ import annotations

import io
import json
import math
import os
import re
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from itertools import combinations, pairwise
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from cxloop.errors import InvalidInput
from cxloop.text.normalize import model_text

__all__ = ["Prediction", "TextClassifier", "TrainingReport", "fit_classifier", "stratified_split", "train_classifier"]

FORMAT = "cxloop.text-classifier/1"
MODEL_FILE = "model.json"
VOCABULARY_FILE = "vocabulary.json"
WEIGHTS_FILE = "weights.npz"

# Customer texts are short; a pasted log or e-mail thread would only cost time. Its head decides.
MAX_MODEL_CHARS = 2000
# Word pairs grow with the square of the length; 30 distinct words (435 pairs) cover a long message.
MAX_PAIR_WORDS = 30
_WORD = re.compile(r"\w+")
BLOCKS = ("word", "char", "pair")
# A term seen in one training text is noise for char n-grams and pairs; words keep them (rare product
# names and Korean eojeol are often the whole signal).
MIN_DOCUMENT_FREQUENCY = {"word": 1, "char": 2, "pair": 2}
BLOCK_WEIGHT = {"word": 1.0, "char": 1.3, "pair": 1.0}
SVM_C = 0.5


@dataclass(frozen=True, slots=True)
class Prediction:
    """The best label, its probability, and the ``top_k`` labels with theirs (best first)."""

    label: str
    score: float
    top: list[tuple[str, float]]

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label, "score": self.score, "top": [[lbl, s] for lbl, s in self.top]}


@dataclass(frozen=True)
class TrainingReport:
    """How the model did on the held-out split (the saved model is then refitted on all rows)."""

    accuracy: float
    per_label: dict[str, dict[str, float]]  # label -> precision, recall, f1, support
    n_train: int
    n_test: int
    seconds: float
    macro_f1: float = 0.0
    temperature: float = 1.0
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# -- features ------------------------------------------------------------------------------------


def _terms(text: str) -> dict[str, list[str]]:
    """Every term of one text, by block. Training and prediction both go through here."""
    text = model_text(text[:MAX_MODEL_CHARS])
    words = _WORD.findall(text)
    word_terms = words + [f"{a} {b}" for a, b in pairwise(words)]
    char_terms: list[str] = []
    for chunk in text.split():
        padded = f" {chunk} "
        for n in range(2, 6):
            if n > len(padded):
                break
            char_terms.extend(padded[i : i + n] for i in range(len(padded) - n + 1))
    distinct = sorted(list(dict.fromkeys(words))[:MAX_PAIR_WORDS])  # the first distinct words, in one order
    pair_terms = [f"{a}|{b}" for a, b in combinations(distinct, 2)]
    return {"word": word_terms, "char": char_terms, "pair": pair_terms}


class _Rows(NamedTuple):
    """A sparse row matrix in CSR form (numpy only, so prediction needs no scipy)."""

    data: npt.NDArray[np.float64]
    indices: npt.NDArray[np.int64]
    indptr: npt.NDArray[np.int64]
    n_columns: int

    def dot(self, weights: npt.NDArray[np.float32]) -> npt.NDArray[np.float64]:
        """This matrix times dense ``weights`` (n_columns, k)."""
        n_rows = len(self.indptr) - 1
        out = np.zeros((n_rows, weights.shape[1]), dtype=np.float64)
        filled = np.flatnonzero(np.diff(self.indptr))
        if len(filled):
            contributions = weights[self.indices] * self.data.astype(np.float32)[:, None]
            out[filled] = np.add.reduceat(contributions, self.indptr[filled], axis=0)
        return out


@dataclass
class _Block:
    """One feature block: terms in column order and their inverse document frequencies."""

    terms: list[str]
    idf: npt.NDArray[np.float64]
    index: dict[str, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.index = {term: i for i, term in enumerate(self.terms)}

    @classmethod
    def fit(cls, documents: Sequence[list[str]], min_df: int) -> _Block:
        df: Counter[str] = Counter()
        for terms in documents:
            df.update(set(terms))
        kept = sorted(term for term, count in df.items() if count >= min_df)
        counts = np.array([df[t] for t in kept], dtype=np.float64)
        # Smoothed idf, as if one extra document held every term: no term gets an infinite weight.
        idf = np.log((1 + len(documents)) / (1 + counts)) + 1.0
        return cls(kept, idf)

    def transform(
        self, documents: Sequence[list[str]]
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.float64]]:
        """(row, column, value) of sublinear TF-IDF, each row L2-normalized."""
        rows: list[int] = []
        columns: list[int] = []
        values: list[float] = []
        index = self.index
        for row, terms in enumerate(documents):
            for term, count in Counter(terms).items():
                column = index.get(term)
                if column is not None:
                    rows.append(row)
                    columns.append(column)
                    values.append(1.0 + math.log(count))
        row_ids = np.array(rows, dtype=np.int64)
        column_ids = np.array(columns, dtype=np.int64)
        data = np.array(values, dtype=np.float64) * self.idf[column_ids]
        norms = np.sqrt(np.bincount(row_ids, weights=data**2, minlength=len(documents)))
        return row_ids, column_ids, data / norms[row_ids]  # rows without terms have no entries to divide


class _Features:
    """The three blocks side by side; each is L2-normalized on its own so none drowns the others."""

    def __init__(self, blocks: dict[str, _Block], weights: dict[str, float] | None = None) -> None:
        self.blocks = blocks
        self.weights = dict(weights or BLOCK_WEIGHT)

    @classmethod
    def fit(cls, terms: Sequence[dict[str, list[str]]]) -> tuple[_Features, _Rows]:
        """Vocabularies and idf from the terms of the training texts, and those texts' rows."""
        blocks = {b: _Block.fit([d[b] for d in terms], MIN_DOCUMENT_FREQUENCY[b]) for b in BLOCKS}
        features = cls(blocks)
        return features, features.transform(terms)

    def transform(self, terms: Sequence[dict[str, list[str]]]) -> _Rows:
        rows, columns, values = [], [], []
        offset = 0
        for name in BLOCKS:
            block = self.blocks[name]
            r, c, v = block.transform([d[name] for d in terms])
            rows.append(r)
            columns.append(c + offset)
            values.append(v * self.weights[name])
            offset += len(block.terms)
        row_ids = np.concatenate(rows)
        order = np.argsort(row_ids, kind="stable")
        indptr = np.concatenate([[0], np.cumsum(np.bincount(row_ids, minlength=len(terms)))]).astype(np.int64)
        return _Rows(np.concatenate(values)[order], np.concatenate(columns)[order], indptr, offset)

    @property
    def size(self) -> int:
        return sum(len(b.terms) for b in self.blocks.values())


# -- the model -----------------------------------------------------------------------------------


def _softmax(scores: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    shifted = scores - scores.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return np.asarray(exp / exp.sum(axis=1, keepdims=True), dtype=np.float64)


class TextClassifier:
    """A trained linear classifier: ``predict`` texts, ``save`` to a directory, ``load`` it back."""

    def __init__(
        self,
        labels: Sequence[str],
        features: _Features,
        weights: npt.NDArray[np.float32],  # (n_features, n_labels)
        bias: npt.NDArray[np.float32],  # (n_labels,)
        prior: npt.NDArray[np.float32],  # (n_labels,) each label's share of the training rows
        temperature: float,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        self.labels = list(labels)
        self._features = features
        self._weights = weights
        self._bias = bias
        self._prior = prior
        self.temperature = temperature
        self.metadata = dict(metadata or {})

    def decision_scores(self, texts: Sequence[str]) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
        """(len(texts), len(labels)) margins, and whether each text had any term the model knows."""
        return self._scores([_terms(t if isinstance(t, str) else "") for t in texts])

    def _scores(self, terms: Sequence[dict[str, list[str]]]) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
        matrix = self._features.transform(terms)
        return matrix.dot(self._weights) + self._bias, np.diff(matrix.indptr) > 0

    def probabilities(self, texts: Sequence[str]) -> npt.NDArray[np.float64]:
        """(len(texts), len(labels)) calibrated probabilities, rows summing to 1. A text with no
        known term (empty, whitespace, unseen words) carries no evidence and gets the label shares
        of the training data."""
        return self._probabilities(*self.decision_scores(texts))

    def _probabilities(self, scores: npt.NDArray[np.float64], known: npt.NDArray[np.bool_]) -> npt.NDArray[np.float64]:
        probs = _softmax(scores * self.temperature)
        probs[~known] = self._prior
        return probs

    def predict(self, texts: Sequence[str], top_k: int = 3) -> list[Prediction]:
        """One prediction per text, in input order; see ``probabilities`` for texts without evidence."""
        if isinstance(texts, str):
            raise InvalidInput("predict takes a sequence of texts, not one string")
        if not texts:
            return []
        k = max(1, min(top_k, len(self.labels)))
        predictions: list[Prediction] = []
        for start in range(0, len(texts), 256):  # bounds the (terms × labels) products in ``dot``
            probs = self.probabilities(texts[start : start + 256])
            order = np.argsort(-probs, axis=1, kind="stable")[:, :k]
            for row, best in zip(probs, order, strict=True):
                top = [(self.labels[j], round(float(row[j]), 6)) for j in best]
                predictions.append(Prediction(top[0][0], top[0][1], top))
        return predictions

    def save(self, directory: Path) -> None:
        """Write the model as JSON and ``.npz`` arrays (never pickle); replaces a model already there."""
        blocks = self._features.blocks
        arrays = io.BytesIO()
        idf = np.concatenate([blocks[b].idf for b in BLOCKS])
        np.savez_compressed(
            arrays, weights=self._weights, bias=self._bias, prior=self._prior, idf=idf, allow_pickle=False
        )
        vocabulary = {b: blocks[b].terms for b in BLOCKS}
        meta = {**self.metadata, "format": FORMAT, "labels": self.labels, "temperature": self.temperature,
                "block_weight": self._features.weights}  # fmt: skip
        directory.mkdir(parents=True, exist_ok=True)
        _write_atomic(directory / WEIGHTS_FILE, arrays.getvalue())
        _write_atomic(directory / VOCABULARY_FILE, json.dumps(vocabulary, ensure_ascii=False).encode())
        _write_atomic(directory / MODEL_FILE, json.dumps(meta, ensure_ascii=False, indent=2).encode())

    @classmethod
    def load(cls, directory: Path) -> TextClassifier:
        """Read a model written by ``save``; InvalidInput if the directory does not hold one."""
        try:
            meta = json.loads((directory / MODEL_FILE).read_text(encoding="utf-8"))
            if meta.get("format") != FORMAT:
                raise InvalidInput(f"{directory} holds a model in format {meta.get('format')!r}, not {FORMAT}")
            vocabulary = json.loads((directory / VOCABULARY_FILE).read_text(encoding="utf-8"))
            with np.load(directory / WEIGHTS_FILE, allow_pickle=False) as arrays:
                weights, bias, prior = arrays["weights"], arrays["bias"], arrays["prior"]
                idf = arrays["idf"]
            labels = [str(label) for label in meta["labels"]]
            ends = np.cumsum([len(vocabulary[b]) for b in BLOCKS])
            blocks = {
                b: _Block(list(vocabulary[b]), part) for b, part in zip(BLOCKS, np.split(idf, ends[:-1]), strict=True)
            }
            shapes = (weights.shape, bias.shape, prior.shape, idf.shape)
            if shapes != ((ends[-1], len(labels)), (len(labels),), (len(labels),), (ends[-1],)):
                raise InvalidInput(f"{directory} holds a damaged classifier: its arrays do not fit its vocabulary")
            features = _Features(blocks, {b: float(meta["block_weight"][b]) for b in BLOCKS})
        except (OSError, ValueError, KeyError, TypeError) as exc:
            if isinstance(exc, InvalidInput):
                raise
            raise InvalidInput(f"{directory} does not hold a readable classifier: {exc}") from exc
        return cls(labels, features, weights, bias, prior, float(meta["temperature"]), meta)


def _write_atomic(path: Path, content: bytes) -> None:
    # Write beside, then rename: a reader never sees half a file.
    partial = path.with_name(path.name + ".partial")
    partial.write_bytes(content)
    os.replace(partial, path)


# -- training ------------------------------------------------------------------------------------


def stratified_split(labels: Sequence[str], test_size: float, seed: int) -> tuple[list[int], list[int]]:
    """Row indices (train, test): every label puts round(test_size * n) rows, at least one, into test
    and keeps at least one for training. Deterministic for a seed."""
    rng = np.random.default_rng(seed)
    by_label: dict[str, list[int]] = {}
    for i, label in enumerate(labels):
        by_label.setdefault(label, []).append(i)
    train: list[int] = []
    test: list[int] = []
    for label in sorted(by_label):
        rows = by_label[label]
        shuffled = [rows[j] for j in rng.permutation(len(rows))]
        n_test = min(len(rows) - 1, max(1, round(len(rows) * test_size)))
        test.extend(shuffled[:n_test])
        train.extend(shuffled[n_test:])
    return sorted(train), sorted(test)


def _validate(texts: Sequence[str], labels: Sequence[Any], test_size: float) -> tuple[list[str], list[str]]:
    if isinstance(texts, str) or isinstance(labels, str):
        raise InvalidInput("texts and labels must be sequences, not single strings")
    if len(texts) != len(labels):
        raise InvalidInput(f"got {len(texts)} texts but {len(labels)} labels; they must pair up one to one")
    if not 0 < test_size < 1:
        raise InvalidInput(f"test_size must be between 0 and 1 (exclusive), got {test_size}")
    clean_labels = ["" if label is None else str(label).strip() for label in labels]
    missing = [i for i, label in enumerate(clean_labels) if not label]
    if missing:
        shown = ", ".join(str(i) for i in missing[:10])
        raise InvalidInput(f"{len(missing)} row(s) have an empty label (rows {shown}); drop or label them")
    counts = Counter(clean_labels)
    if len(counts) < 2:
        found = f"only {next(iter(counts))!r}" if counts else "none"
        raise InvalidInput(f"a classifier needs at least 2 different labels; found {found}")
    single = sorted(label for label, n in counts.items() if n < 2)
    if single:
        shown = ", ".join(repr(s) for s in single[:10]) + (" …" if len(single) > 10 else "")
        raise InvalidInput(
            f"every label needs at least 2 examples (one to learn from, one to test on); "
            f"{len(single)} label(s) have only 1: {shown}",
            details={"labels_with_one_example": single},
        )
    return [t if isinstance(t, str) else "" for t in texts], clean_labels


def fit_classifier(texts: Sequence[str], labels: Sequence[str]) -> TextClassifier:
    """Fit on every row, with no held-out report and no input checks (``train_classifier`` does both)."""
    return _fit([_terms(t) for t in texts], labels, 1.0)


def _fit(terms: Sequence[dict[str, list[str]]], labels: Sequence[str], temperature: float) -> TextClassifier:
    # Training only: a saved model predicts with numpy alone.
    from scipy.sparse import csr_matrix
    from sklearn.svm import LinearSVC

    classes = sorted(set(labels))
    features, rows = _Features.fit(terms)
    matrix = csr_matrix((rows.data, rows.indices, rows.indptr), shape=(len(terms), rows.n_columns))
    target = np.searchsorted(np.array(classes), np.array(labels))
    svm = LinearSVC(C=SVM_C, random_state=0).fit(matrix, target)
    weights = np.asarray(svm.coef_, dtype=np.float64).T
    bias = np.asarray(svm.intercept_, dtype=np.float64)
    if len(classes) == 2:  # one margin for the second class; its mirror image scores the first
        weights = np.hstack([-weights, weights])
        bias = np.array([-bias[0], bias[0]])
    prior = np.bincount(target, minlength=len(classes)) / len(target)
    return TextClassifier(
        classes, features, weights.astype(np.float32), bias.astype(np.float32), prior.astype(np.float32), temperature
    )


def _fit_temperature(scores: npt.NDArray[np.float64], truth: npt.NDArray[np.int64]) -> float:
    """The softmax temperature that minimizes held-out log loss, so a score of 0.8 means ~80% right."""

    def log_loss(temperature: float) -> float:
        probs = _softmax(scores * temperature)
        return float(-np.mean(np.log(probs[np.arange(len(truth)), truth] + 1e-12)))

    # Log loss is smooth and one-dimensional here: a coarse grid, then a fine one around its best.
    grid = np.geomspace(0.1, 50.0, 40)
    best = int(np.argmin([log_loss(t) for t in grid]))
    fine = np.geomspace(grid[max(best - 1, 0)], grid[min(best + 1, len(grid) - 1)], 41)
    return round(float(fine[int(np.argmin([log_loss(t) for t in fine]))]), 4)


def _per_label(
    classes: list[str], truth: npt.NDArray[np.int64], guess: npt.NDArray[np.int64]
) -> dict[str, dict[str, float]]:
    report: dict[str, dict[str, float]] = {}
    for j, label in enumerate(classes):
        tp = int(np.sum((guess == j) & (truth == j)))
        predicted, support = int(np.sum(guess == j)), int(np.sum(truth == j))
        precision = tp / predicted if predicted else 0.0
        recall = tp / support if support else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        report[label] = {"precision": round(precision, 4), "recall": round(recall, 4),
                         "f1": round(f1, 4), "support": float(support)}  # fmt: skip
    return report


def train_classifier(
    texts: Sequence[str], labels: Sequence[str], *, test_size: float = 0.2, seed: int = 42
) -> tuple[TextClassifier, TrainingReport]:
    """Fit on a stratified split, report per-label precision and recall on the held-out part, fit
    the probability temperature there, then refit on every row. InvalidInput on unusable data."""
    started = time.perf_counter()
    texts, labels = _validate(texts, labels, test_size)
    train_rows, test_rows = stratified_split(labels, test_size, seed)
    terms = [_terms(t) for t in texts]  # once: both fits and the held-out scores share them
    held_out = _fit([terms[i] for i in train_rows], [labels[i] for i in train_rows], 1.0)
    classes = held_out.labels
    truth = np.searchsorted(np.array(classes), np.array([labels[i] for i in test_rows]))
    scores, known = held_out._scores([terms[i] for i in test_rows])
    guess = held_out._probabilities(scores, known).argmax(axis=1)
    per_label = _per_label(classes, truth, guess)
    temperature = _fit_temperature(scores[known], truth[known]) if known.any() else 1.0

    model = _fit(terms, labels, temperature)
    seconds = round(time.perf_counter() - started, 2)
    report = TrainingReport(
        accuracy=round(float(np.mean(guess == truth)), 4),
        per_label=per_label,
        n_train=len(train_rows),
        n_test=len(test_rows),
        seconds=seconds,
        macro_f1=round(float(np.mean([m["f1"] for m in per_label.values()])), 4),
        temperature=temperature,
        notes=[f"held-out split {test_size:.0%} stratified, seed {seed}; the saved model is refitted on all rows"],
    )
    metadata = {
        "trained_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "n_rows": len(texts),
        "n_features": model._features.size,
        "report": {k: v for k, v in report.to_dict().items() if k != "per_label"},
    }
    model.metadata = metadata
    return model, report
