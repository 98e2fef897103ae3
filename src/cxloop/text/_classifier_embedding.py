"""Sentence vectors for the text classifier from a pretrained token-embedding table shipped in a wheel.

The ``wordllama`` package carries, inside its wheel, a 32,000 × 256 table of static token embeddings
(distilled from Llama 2's input embeddings) and the matching tokenizer. Averaging a text's token
vectors gives a dense sentence vector in which "card hasn't come" and "card not delivered" land
near each other although they share no n-gram: that is the generalization TF-IDF alone lacks on
the short, reworded messages customers send.

Nothing is fetched: the two files are read from the installed package (``WordLlama.load`` is not
used, because it falls back to a download when a file is missing). When the package is absent the
classifier trains on TF-IDF alone and says so; a model trained with these vectors refuses to load
where the same table (by SHA-256) is not installed, rather than predicting with different numbers.
Korean goes through the same tokenizer (mostly single syllables and byte pieces): the vectors carry
little there, and the TF-IDF blocks do the work.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.resources
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from cxloop.errors import InvalidInput

__all__ = ["EMBEDDING_NAME", "SentenceEmbedder", "embedder", "embedder_for"]

EMBEDDING_NAME = "wordllama/l2_supercat_256"
_WEIGHTS = ("weights", "l2_supercat_256.safetensors")
_TOKENIZER = ("tokenizers", "l2_supercat_tokenizer_config.json")
# A pasted e-mail thread would only cost time; the classifier reads at most this many tokens of a text.
MAX_TOKENS = 512


@dataclass(frozen=True)
class SentenceEmbedder:
    """Mean of a text's token vectors, L2-normalized; a text without tokens gets the zero vector."""

    name: str
    sha256: str
    table: npt.NDArray[np.float32]  # (vocabulary, dim)
    tokenizer: Any  # tokenizers.Tokenizer

    @property
    def dim(self) -> int:
        return int(self.table.shape[1])

    def identity(self) -> dict[str, Any]:
        """What a saved model records, so that loading can check it gets the same table."""
        return {"name": self.name, "dim": self.dim, "sha256": self.sha256}

    def token_ids(self, texts: list[str]) -> list[npt.NDArray[np.int64]]:
        """Each text's token ids (at most ``MAX_TOKENS``), for texts already put through ``model_text``.
        Both the mean vector and the classifier's token model read them: the text is tokenized once."""
        if not texts:
            return []
        encodings = self.tokenizer.encode_batch(texts, add_special_tokens=False)
        ids = [np.asarray(e.ids[:MAX_TOKENS], dtype=np.int64) for e in encodings]
        for row in ids:
            np.clip(row, 0, len(self.table) - 1, out=row)
        return ids

    def embed(self, texts: list[str]) -> npt.NDArray[np.float32]:
        """(len(texts), dim) vectors of texts already put through ``model_text``."""
        return self.mean_vectors(self.token_ids(texts))

    def mean_vectors(self, token_ids: list[npt.NDArray[np.int64]]) -> npt.NDArray[np.float32]:
        """(len(token_ids), dim): the L2-normalized mean vector of each text's tokens."""
        out = np.zeros((len(token_ids), self.dim), dtype=np.float32)
        lengths = np.array([len(row) for row in token_ids], dtype=np.int64)
        filled = np.flatnonzero(lengths)
        if not len(filled):
            return out
        ids = np.concatenate([token_ids[i] for i in filled])
        starts = np.concatenate([[0], np.cumsum(lengths[filled])[:-1]])
        sums = np.add.reduceat(self.table[ids], starts, axis=0)
        norms = np.linalg.norm(sums, axis=1, keepdims=True)
        out[filled] = sums / np.maximum(norms, 1e-12)  # the mean's direction: the count cancels out
        return out


@functools.cache
def embedder() -> SentenceEmbedder | None:
    """The installed table, loaded once per process; None when ``wordllama`` (or a file of it) is absent."""
    try:
        from safetensors.numpy import load
        from tokenizers import Tokenizer

        package = importlib.resources.files("wordllama")
        weights = package.joinpath(*_WEIGHTS)
        tokenizer_file = package.joinpath(*_TOKENIZER)
        raw = weights.read_bytes()
        tokenizer = Tokenizer.from_str(tokenizer_file.read_text(encoding="utf-8"))
        table = np.ascontiguousarray(next(iter(load(raw).values())), dtype=np.float32)
    except (ImportError, OSError, ValueError, StopIteration):
        return None
    if table.ndim != 2:
        return None
    tokenizer.no_padding()
    tokenizer.no_truncation()
    return SentenceEmbedder(EMBEDDING_NAME, hashlib.sha256(raw).hexdigest(), table, tokenizer)


def embedder_for(identity: dict[str, Any], where: str) -> SentenceEmbedder:
    """The installed table a saved model was trained with; InvalidInput if it is missing or different."""
    installed = embedder()
    if installed is None:
        raise InvalidInput(
            f"{where} was trained with the {identity.get('name')} word vectors, but the 'wordllama' package "
            "that ships them is not installed; install cxloop's dependencies or retrain the classifier"
        )
    if installed.sha256 != identity.get("sha256") or installed.dim != identity.get("dim"):
        raise InvalidInput(
            f"{where} was trained with other {identity.get('name')} word vectors than the installed ones "
            "(the 'wordllama' package changed); retrain the classifier"
        )
    return installed
