"""Sentiment of Korean, English and mixed customer feedback: a label and a score in [-1, 1].

The shipped model adds two log-odds terms: a linear model over hashed character and word n-grams
(trained by ``scripts/train_sentiment.py`` on NSMC and SST-2), and a hand-curated lexicon of
e-commerce, delivery, service and restaurant language that the movie-review training data does not
cover. The score is ``tanh(logit / 2)``, i.e. ``P(positive) - P(negative)``; texts whose score lies
inside the model's neutral band are labelled neutral. Only numpy is needed at run time.
"""

from __future__ import annotations

import functools
import json
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from cxloop.text._features import (
    FEATURE_VERSION,
    HASH_BITS,
    Lexicon,
    hash_features,
    normalize_text,
)

__all__ = ["Sentiment", "SentimentLabel", "SentimentModel", "SentimentModelError", "load_sentiment_model"]

logger = logging.getLogger(__name__)

SentimentLabel = Literal["positive", "neutral", "negative"]

MODEL_FILE = "model.json"
WEIGHTS_FILE = "weights.npz"
LEXICON_FILE = "lexicon.json"
# Hashing a batch allocates a few arrays per character; chunks keep peak memory flat for huge batches.
_CHUNK = 2048


@dataclass(frozen=True, slots=True)
class Sentiment:
    """Sentiment of one text: ``score`` > 0 leans positive, < 0 negative, 0.0 means no evidence."""

    label: SentimentLabel
    score: float


_NO_EVIDENCE = Sentiment("neutral", 0.0)


class SentimentModelError(ValueError):
    """The model files are missing, malformed or were built for other feature code."""


def _default_model_dir() -> Path:
    return Path(str(resources.files("cxloop.models") / "sentiment"))


def _read_json(path: Path) -> Any:
    def refuse_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        keys = [k for k, _ in pairs]
        if len(keys) != len(set(keys)):
            # A hand-edited lexicon with a repeated key would silently keep only the last weight.
            dupes = sorted({k for k in keys if keys.count(k) > 1})
            raise SentimentModelError(f"{path.name}: duplicate keys {dupes}")
        return dict(pairs)

    return json.loads(path.read_text(encoding="utf-8"), object_pairs_hook=refuse_duplicates)


class SentimentModel:
    """Scores batches of feedback texts; build it with :meth:`load`."""

    __slots__ = ("_bias", "_hash_bits", "_lexicon", "_lexicon_weight", "_neutral_band", "_weights")

    def __init__(
        self,
        weights: npt.NDArray[np.float32],
        bias: float,
        lexicon: Lexicon,
        *,
        lexicon_weight: float = 1.0,
        neutral_band: float = 0.2,
    ) -> None:
        if weights.ndim != 1 or weights.size & (weights.size - 1):
            raise SentimentModelError("weights must be a 1-D array whose length is a power of two")
        self._weights = weights
        self._hash_bits = weights.size.bit_length() - 1
        self._bias = float(bias)
        self._lexicon = lexicon
        self._lexicon_weight = float(lexicon_weight)
        self._neutral_band = float(neutral_band)

    @classmethod
    def load(cls, path: Path | None = None) -> SentimentModel:
        """Load a model directory (default: the artefact shipped in the package), offline."""
        model_dir = _default_model_dir() if path is None else Path(path)
        try:
            meta = _read_json(model_dir / MODEL_FILE)
            if meta.get("feature_version") != FEATURE_VERSION or meta.get("hash_bits") != HASH_BITS:
                raise SentimentModelError(
                    f"{model_dir} was built for features {meta.get('feature_version')!r}/"
                    f"{meta.get('hash_bits')} bits; this code computes {FEATURE_VERSION!r}/{HASH_BITS}. "
                    "Retrain with scripts/train_sentiment.py."
                )
            lexicon = Lexicon.from_json(_read_json(model_dir / LEXICON_FILE))
            # allow_pickle=False: the artefact is plain arrays and can never execute code on load.
            with np.load(model_dir / WEIGHTS_FILE, allow_pickle=False) as arrays:
                weights = arrays["weights"].astype(np.float32)
                bias = float(arrays["bias"])
            return cls(
                weights,
                bias,
                lexicon,
                lexicon_weight=float(meta["lexicon_weight"]),
                neutral_band=float(meta["neutral_band"]),
            )
        except SentimentModelError:
            raise
        except (OSError, KeyError, ValueError, TypeError, AttributeError) as exc:
            raise SentimentModelError(f"cannot load sentiment model from {model_dir}: {exc!r}") from exc

    @property
    def neutral_band(self) -> float:
        """Scores with an absolute value below this are labelled neutral."""
        return self._neutral_band

    def logits(self, texts: Sequence[str]) -> npt.NDArray[np.float64]:
        """Log-odds of positive for each text; exactly 0.0 for texts with nothing to score."""
        normalized = [normalize_text(t) for t in texts]
        out = np.zeros(len(normalized), dtype=np.float64)
        for start in range(0, len(normalized), _CHUNK):
            chunk = normalized[start : start + _CHUNK]
            out[start : start + len(chunk)] = self._chunk_logits(chunk)
        return out

    def _chunk_logits(self, normalized: list[str]) -> npt.NDArray[np.float64]:
        features = hash_features(normalized, self._hash_bits)
        contributions = self._weights[features.buckets] * features.values
        model = np.bincount(features.doc_ids, weights=contributions, minlength=len(normalized))
        lexicon = np.fromiter((self._lexicon.score(t) for t in normalized), np.float64, len(normalized))
        logits = model + self._bias + self._lexicon_weight * lexicon
        # No letters, digits or symbols at all: there is no evidence, so no lean from the bias either.
        empty = np.fromiter((not t for t in normalized), bool, len(normalized))
        logits[empty] = 0.0
        return logits

    def score_texts(self, texts: Sequence[str]) -> list[Sentiment]:
        """Score a batch of texts. Never raises on any ``str``; empty text is neutral with score 0.0."""
        if isinstance(texts, str):
            raise TypeError("score_texts takes a sequence of texts, not a single str")
        for text in texts:
            if not isinstance(text, str):
                raise TypeError(f"texts must be str, got {type(text).__name__}")
        scores = np.tanh(self.logits(texts) / 2.0)
        band = self._neutral_band
        results: list[Sentiment] = []
        for score in scores.tolist():
            if score == 0.0 or math.isnan(score):
                results.append(_NO_EVIDENCE)
            elif score >= band:
                results.append(Sentiment("positive", score))
            elif score <= -band:
                results.append(Sentiment("negative", score))
            else:
                results.append(Sentiment("neutral", score))
        return results


@functools.cache
def load_sentiment_model() -> SentimentModel:
    """The shipped model, loaded once per process."""
    model = SentimentModel.load()
    logger.debug("loaded sentiment model (neutral band %.2f)", model.neutral_band)
    return model
