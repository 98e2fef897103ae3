"""Features of the text classifier, computed by the same code at training and at prediction time.

Sparse blocks: word uni- and bigrams, word-bounded character 2–5-grams (they carry Korean stems
through particles and endings, and English stems through typos and inflection) and unordered word
pairs (two words that decide an intent together but not side by side: "card … arrived", "transfer
… pending"). Each block is sublinear TF-IDF, L2-normalized on its own so none drowns the others.
A dense block, when the pretrained word vectors are installed, adds the text's mean token vector
(see ``_classifier_embedding``); the token ids behind it also feed the token model. Numpy only: a
saved model predicts without scipy or scikit-learn.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import combinations, pairwise
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from cxloop.text._classifier_embedding import SentenceEmbedder
from cxloop.text.normalize import model_text

# Customer texts are short; a pasted log or e-mail thread would only cost time. Its head decides.
MAX_MODEL_CHARS = 2000
# Word pairs grow with the square of the length; 30 distinct words (435 pairs) cover a long message.
MAX_PAIR_WORDS = 30
_WORD = re.compile(r"\w+")
BLOCKS = ("word", "char", "pair")
# A term seen in one training text is noise for char n-grams and pairs; words keep them (rare product
# names and Korean eojeol are often the whole signal).
MIN_DOCUMENT_FREQUENCY = {"word": 1, "char": 2, "pair": 2}
# "embedding" scales the dense block (unit length) against the three unit-length sparse blocks. Word
# vectors know synonyms the training rows never showed, but they blur the exact wording TF-IDF keeps:
# 1.5 lets them decide close calls without outvoting n-grams (measured on banking77 and korean_chatbot
# splits of the training files; 1.0–2.0 are within 0.2 points of each other).
BLOCK_WEIGHT = {"word": 1.0, "char": 1.3, "pair": 1.0, "embedding": 1.5}


class Document(NamedTuple):
    """One text as the model sees it: its form for models and its terms, by block."""

    text: str
    terms: dict[str, list[str]]


def document(text: str) -> Document:
    """Every term of one text, by block. Training and prediction both go through here."""
    text = model_text(text[:MAX_MODEL_CHARS] if isinstance(text, str) else "")
    words = _WORD.findall(text)
    word_terms = words + [f"{a} {b}" for a, b in pairwise(words)]
    char_terms = [
        padded[i : i + n]
        for padded in (f" {chunk} " for chunk in text.split())
        for n in range(2, 6)
        for i in range(len(padded) - n + 1)
    ]
    distinct = sorted(list(dict.fromkeys(words))[:MAX_PAIR_WORDS])  # the first distinct words, in one order
    pair_terms = [f"{a}|{b}" for a, b in combinations(distinct, 2)]
    return Document(text, {"word": word_terms, "char": char_terms, "pair": pair_terms})


class Rows(NamedTuple):
    """A sparse row matrix in CSR form (numpy only, so prediction needs no scipy)."""

    data: npt.NDArray[np.float64]
    indices: npt.NDArray[np.int64]
    indptr: npt.NDArray[np.int64]
    n_columns: int

    def dot(self, weights: npt.NDArray[np.float32]) -> npt.NDArray[np.float64]:
        """This matrix times dense ``weights`` (n_columns, k). scipy's sparse product when scipy is
        installed (it is a dependency; ~20× faster), else the same product in numpy."""
        try:
            from scipy.sparse import csr_matrix
        except ImportError:
            return self._numpy_dot(weights)
        shape = (len(self.indptr) - 1, self.n_columns)
        matrix = csr_matrix((self.data.astype(np.float32), self.indices, self.indptr), shape=shape)
        return np.asarray(matrix @ weights, dtype=np.float64)

    def _numpy_dot(self, weights: npt.NDArray[np.float32]) -> npt.NDArray[np.float64]:
        n_rows = len(self.indptr) - 1
        out = np.zeros((n_rows, weights.shape[1]), dtype=np.float64)
        filled = np.flatnonzero(np.diff(self.indptr))
        if len(filled):
            contributions = weights[self.indices] * self.data.astype(np.float32)[:, None]
            out[filled] = np.add.reduceat(contributions, self.indptr[filled], axis=0)
        return out


class Matrix(NamedTuple):
    """The features of some texts: sparse TF-IDF rows and, if the model has word vectors, dense ones
    (already scaled by their block weight) and each text's word-vector token ids (the token model
    reads them: see ``_classifier_tokens``)."""

    sparse: Rows
    dense: npt.NDArray[np.float32] | None
    tokens: list[npt.NDArray[np.int64]] | None = None

    @property
    def known(self) -> npt.NDArray[np.bool_]:
        """Whether each text has a term the model was trained on. Word vectors alone do not count:
        any string has tokens, so "zzzz qqqq" would otherwise look like evidence."""
        return np.asarray(np.diff(self.sparse.indptr) > 0)


@dataclass
class Block:
    """One sparse feature block: terms in column order and their inverse document frequencies."""

    terms: list[str]
    idf: npt.NDArray[np.float64]
    index: dict[str, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.index = {term: i for i, term in enumerate(self.terms)}

    @classmethod
    def fit(cls, documents: Sequence[list[str]], min_df: int) -> Block:
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
        # Dictionary look-ups in one comprehension, then counting in numpy: no per-term Python loop.
        lookup = self.index.get
        found = np.fromiter((lookup(t, -1) for terms in documents for t in terms), dtype=np.int64)
        owner = np.repeat(np.arange(len(documents), dtype=np.int64), [len(terms) for terms in documents])
        kept = found >= 0
        keys, counts = np.unique(owner[kept] * max(len(self.terms), 1) + found[kept], return_counts=True)
        row_ids, column_ids = np.divmod(keys, max(len(self.terms), 1))
        data = (1.0 + np.log(counts)) * self.idf[column_ids]
        norms = np.sqrt(np.bincount(row_ids, weights=data**2, minlength=len(documents)))
        return row_ids, column_ids, data / norms[row_ids]  # rows without terms have no entries to divide


class Features:
    """The sparse blocks side by side, plus the dense word-vector block when there is an embedder."""

    def __init__(
        self,
        blocks: dict[str, Block],
        weights: dict[str, float] | None = None,
        embedder: SentenceEmbedder | None = None,
    ) -> None:
        self.blocks = blocks
        self.weights = {**BLOCK_WEIGHT, **(weights or {})}
        self.embedder = embedder

    @classmethod
    def fit(cls, documents: Sequence[Document], embedder: SentenceEmbedder | None) -> tuple[Features, Matrix]:
        """Vocabularies and idf from the training texts, and those texts' features."""
        blocks = {b: Block.fit([d.terms[b] for d in documents], MIN_DOCUMENT_FREQUENCY[b]) for b in BLOCKS}
        features = cls(blocks, embedder=embedder)
        return features, features.transform(documents)

    def transform(self, documents: Sequence[Document]) -> Matrix:
        rows, columns, values = [], [], []
        offset = 0
        for name in BLOCKS:
            block = self.blocks[name]
            r, c, v = block.transform([d.terms[name] for d in documents])
            rows.append(r)
            columns.append(c + offset)
            values.append(v * self.weights[name])
            offset += len(block.terms)
        row_ids = np.concatenate(rows)
        order = np.argsort(row_ids, kind="stable")
        indptr = np.concatenate([[0], np.cumsum(np.bincount(row_ids, minlength=len(documents)))]).astype(np.int64)
        sparse = Rows(np.concatenate(values)[order], np.concatenate(columns)[order], indptr, offset)
        if self.embedder is None:
            return Matrix(sparse, None)
        tokens = self.embedder.token_ids([d.text for d in documents])
        dense = self.embedder.mean_vectors(tokens) * np.float32(self.weights["embedding"])
        return Matrix(sparse, dense, tokens)

    @property
    def sparse_size(self) -> int:
        return sum(len(b.terms) for b in self.blocks.values())

    @property
    def size(self) -> int:
        return self.sparse_size + (self.embedder.dim if self.embedder is not None else 0)
