"""A trained text classifier: prediction, and saving as JSON plus ``.npz`` arrays (never pickle).

With word vectors the classifier is an ensemble: the linear SVM and the token model (see
``_classifier_tokens``), whose log-probabilities are averaged; without them, the SVM alone. A model
trained on English texts with the sentence encoder installed averages in a third part, the sentence
head over contextual sentence vectors (``_classifier_sentence``).
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from cxloop.errors import InvalidInput
from cxloop.text._classifier_embedding import embedder_for
from cxloop.text._classifier_features import BLOCKS, Block, Document, Features, Matrix, document
from cxloop.text._classifier_sentence import SENTENCE_ARRAYS, SentenceHead
from cxloop.text._classifier_tokens import TokenModel
from cxloop.text._sentence_encoder import SentenceEncoder, encoder_for

FORMAT = "cxloop.text-classifier/4"
# Format 1 had no word-vector block, format 2 no token model, format 3 no sentence head; such models
# still load and predict as they did. Each new format is new so that older code refuses a model
# whose scores it would misread.
READABLE_FORMATS = (*(f"cxloop.text-classifier/{n}" for n in (1, 2, 3)), FORMAT)
_TOKEN_ARRAYS = ("token_ids", "token_scores", "term_scores", "token_output", "token_bias")
#: Texts encoded per call to the sentence encoder when predicting: 4,096 vectors are 12 MB.
_ENCODER_CHUNK = 4096
MODEL_FILE = "model.json"
VOCABULARY_FILE = "vocabulary.json"
WEIGHTS_FILE = "weights.npz"


@dataclass(frozen=True, slots=True)
class Prediction:
    """The best label, its probability, and the ``top_k`` labels with theirs (best first)."""

    label: str
    score: float
    top: list[tuple[str, float]]

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label, "score": self.score, "top": [[lbl, s] for lbl, s in self.top]}


def softmax(scores: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    shifted = scores - scores.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return np.asarray(exp / exp.sum(axis=1, keepdims=True), dtype=np.float64)


class TextClassifier:
    """A trained linear classifier: ``predict`` texts, ``save`` to a directory, ``load`` it back."""

    def __init__(
        self,
        labels: Sequence[str],
        features: Features,
        weights: npt.NDArray[np.float32],  # (n_sparse_features, n_labels)
        bias: npt.NDArray[np.float32],  # (n_labels,)
        prior: npt.NDArray[np.float32],  # (n_labels,) each label's share of the training rows
        temperature: float,
        metadata: dict[str, Any] | None = None,
        dense_weights: npt.NDArray[np.float32] | None = None,  # (embedding dim, n_labels) with word vectors
        token_model: TokenModel | None = None,  # with word vectors: averaged with the SVM
        sentence: tuple[SentenceEncoder, SentenceHead] | None = None,  # English: averaged in last
    ) -> None:
        self.labels = list(labels)
        self._features = features
        self._weights = weights
        self._dense_weights = dense_weights
        self._token_model = token_model
        self._sentence = sentence
        self._bias = bias
        self._prior = prior
        self.temperature = temperature
        self.metadata = dict(metadata or {})

    def decision_scores(self, texts: Sequence[str]) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
        """(len(texts), len(labels)) margins, and whether each text had any term the model knows."""
        return self.scores_of([document(t) for t in texts])

    def scores_of(
        self, documents: Sequence[Document], sentence_vectors: npt.NDArray[np.float32] | None = None
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
        """The scores the temperature calibrates: the ensemble's, or the SVM's margins without a token model.
        ``sentence_vectors`` are the encoder's vectors of the same documents when the caller has them."""
        matrix = self._features.transform(documents)
        scores = self.scores_of_matrix(matrix)
        if self._token_model is not None and matrix.tokens is not None:
            scores = self._token_model.combine(scores, matrix.tokens, [d.terms["word"] for d in documents])
        if self._sentence is not None:
            encoder, head = self._sentence
            if sentence_vectors is None:
                sentence_vectors = encoder.encode([d.text for d in documents])
            scores = head.combine(scores, sentence_vectors)
        return scores, matrix.known

    def scores_of_matrix(self, matrix: Matrix) -> npt.NDArray[np.float64]:
        """The linear SVM's margins."""
        scores = matrix.sparse.dot(self._weights) + self._bias
        if matrix.dense is not None and self._dense_weights is not None:
            scores += matrix.dense @ self._dense_weights
        return scores

    def probabilities(self, texts: Sequence[str]) -> npt.NDArray[np.float64]:
        """(len(texts), len(labels)) calibrated probabilities, rows summing to 1. A text with no
        known term (empty, whitespace, unseen words) carries no evidence and gets the label shares
        of the training data."""
        return self.probabilities_of(*self.decision_scores(texts))

    def probabilities_of(
        self, scores: npt.NDArray[np.float64], known: npt.NDArray[np.bool_]
    ) -> npt.NDArray[np.float64]:
        probs = softmax(scores * self.temperature)
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
        for outer in range(0, len(texts), _ENCODER_CHUNK):
            documents = [document(t) for t in texts[outer : outer + _ENCODER_CHUNK]]
            # The encoder sorts what it is given by length: a few thousand texts at once batch with
            # far less padding than 256 (twice as fast on banking77).
            vectors = self._sentence[0].encode([d.text for d in documents]) if self._sentence else None
            for start in range(0, len(documents), 256):  # bounds the (terms × labels) products in ``dot``
                part = vectors[start : start + 256] if vectors is not None else None
                scores, known = self.scores_of(documents[start : start + 256], part)
                # Ranked on the rounded scores, ties by label order: the same text gets the same top
                # labels whatever it is batched with, even where the last float bits differ.
                probs = np.round(self.probabilities_of(scores, known), 6)
                order = np.argsort(-probs, axis=1, kind="stable")[:, :k]
                for row, best in zip(probs, order, strict=True):
                    top = [(self.labels[j], float(row[j])) for j in best]
                    predictions.append(Prediction(top[0][0], top[0][1], top))
        return predictions

    @property
    def sentence_head(self) -> SentenceHead | None:
        return self._sentence[1] if self._sentence is not None else None

    @property
    def n_features(self) -> int:
        return self._features.size

    def save(self, directory: Path) -> None:
        """Write the model as JSON and ``.npz`` arrays (never pickle); replaces a model already there.
        The word-vector table is not copied: the model names it and its SHA-256 (see ``load``)."""
        blocks = self._features.blocks
        arrays = io.BytesIO()
        idf = np.concatenate([blocks[b].idf for b in BLOCKS])
        named = {"weights": self._weights, "bias": self._bias, "prior": self._prior, "idf": idf}
        if self._dense_weights is not None:
            named["dense_weights"] = self._dense_weights
        if self._token_model is not None:
            named.update(self._token_model.arrays())
        if self._sentence is not None:
            named.update(self._sentence[1].arrays())
        np.savez_compressed(arrays, allow_pickle=False, **named)
        vocabulary = {b: blocks[b].terms for b in BLOCKS}
        embedder = self._features.embedder if self._dense_weights is not None else None
        meta = {**self.metadata, "format": FORMAT, "labels": self.labels, "temperature": self.temperature,
                "block_weight": self._features.weights,
                "embedding": embedder.identity() if embedder is not None else None,
                "token_model": self._token_model.settings() if self._token_model is not None else None,
                "sentence_encoder": self._sentence[0].identity() if self._sentence else None,
                "sentence_head": self._sentence[1].settings() if self._sentence else None}  # fmt: skip
        directory.mkdir(parents=True, exist_ok=True)
        _write_atomic(directory / WEIGHTS_FILE, arrays.getvalue())
        _write_atomic(directory / VOCABULARY_FILE, json.dumps(vocabulary, ensure_ascii=False).encode())
        _write_atomic(directory / MODEL_FILE, json.dumps(meta, ensure_ascii=False, indent=2).encode())

    @classmethod
    def load(cls, directory: Path) -> TextClassifier:
        """Read a model written by ``save``; InvalidInput if the directory does not hold one, or if it
        needs word vectors that are not installed (or not the same ones)."""
        try:
            meta = json.loads((directory / MODEL_FILE).read_text(encoding="utf-8"))
            if meta.get("format") not in READABLE_FORMATS:
                raise InvalidInput(f"{directory} holds a model in format {meta.get('format')!r}, not {FORMAT}")
            vocabulary = json.loads((directory / VOCABULARY_FILE).read_text(encoding="utf-8"))
            with np.load(directory / WEIGHTS_FILE, allow_pickle=False) as arrays:
                weights, bias, prior, idf = arrays["weights"], arrays["bias"], arrays["prior"], arrays["idf"]
                dense_weights = arrays["dense_weights"] if "dense_weights" in arrays.files else None
                token_arrays = [arrays[name] for name in _TOKEN_ARRAYS] if "token_ids" in arrays.files else None
                head_arrays = {n: arrays[n] for n in SENTENCE_ARRAYS if n in arrays.files}
            labels = [str(label) for label in meta["labels"]]
            ends = np.cumsum([len(vocabulary[b]) for b in BLOCKS])
            blocks = {
                b: Block(list(vocabulary[b]), part) for b, part in zip(BLOCKS, np.split(idf, ends[:-1]), strict=True)
            }
            shapes = (weights.shape, bias.shape, prior.shape, idf.shape)
            if shapes != ((ends[-1], len(labels)), (len(labels),), (len(labels),), (ends[-1],)):
                raise InvalidInput(f"{directory} holds a damaged classifier: its arrays do not fit its vocabulary")
            identity = meta.get("embedding")
            if (identity is None) != (dense_weights is None):
                raise InvalidInput(f"{directory} holds a damaged classifier: word-vector weights without their table")
            embedder = None
            if identity is not None and dense_weights is not None:
                embedder = embedder_for(identity, str(directory))
                if dense_weights.shape != (embedder.dim, len(labels)):
                    raise InvalidInput(f"{directory} holds a damaged classifier: its word-vector weights do not fit")
            block_weight = {str(k): float(v) for k, v in meta["block_weight"].items()}
            features = Features(blocks, block_weight, embedder)
            token_model = None
            if token_arrays is not None:
                if embedder is None:
                    raise InvalidInput(f"{directory} holds a damaged classifier: a token model without word vectors")
                token_model = _token_model(token_arrays, meta.get("token_model") or {}, embedder.table, blocks)
                if token_model is None or token_model.bias.shape != (len(labels),):
                    raise InvalidInput(f"{directory} holds a damaged classifier: its token model does not fit")
            sentence = _sentence(meta, head_arrays, len(labels), directory)
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            if isinstance(exc, InvalidInput):
                raise
            raise InvalidInput(f"{directory} does not hold a readable classifier: {exc}") from exc
        return cls(
            labels,
            features,
            weights,
            bias,
            prior,
            float(meta["temperature"]),
            meta,
            dense_weights,
            token_model,
            sentence,
        )


def _sentence(
    meta: dict[str, Any], arrays: dict[str, npt.NDArray[Any]], n_labels: int, directory: Path
) -> tuple[SentenceEncoder, SentenceHead] | None:
    identity = meta.get("sentence_encoder")
    if identity is None and not arrays:
        return None
    if identity is None or len(arrays) != len(SENTENCE_ARRAYS):
        raise InvalidInput(f"{directory} holds a damaged classifier: a sentence head without its encoder")
    encoder = encoder_for(identity, str(directory))
    head = SentenceHead.from_saved(arrays, meta.get("sentence_head") or {}, encoder.dim, n_labels)
    if head is None:
        raise InvalidInput(f"{directory} holds a damaged classifier: its sentence head does not fit")
    return encoder, head


def _token_model(
    arrays: list[npt.NDArray[Any]], settings: dict[str, Any], table: npt.NDArray[np.float32], blocks: dict[str, Block]
) -> TokenModel | None:
    """The saved token model, or None if its arrays do not fit the table, the vocabulary or the labels."""
    token_ids, token_scores, term_scores, output, bias = arrays
    n_labels = len(bias)
    shapes = (token_ids.ndim, token_scores.shape, term_scores.shape, output.shape, bias.ndim)
    expected = (1, (len(token_ids), n_labels), (len(blocks["word"].terms), n_labels), (table.shape[1], n_labels), 1)
    if shapes != expected or (token_ids.size and not 0 <= token_ids.min() <= token_ids.max() < len(table)):
        return None
    return TokenModel(token_ids.astype(np.int64), token_scores, term_scores, output, bias, table,
                      blocks["word"].index, **{k: float(v) for k, v in settings.items()})  # fmt: skip


def _write_atomic(path: Path, content: bytes) -> None:
    # Write beside, then rename: a reader never sees half a file.
    partial = path.with_name(path.name + ".partial")
    partial.write_bytes(content)
    os.replace(partial, path)
