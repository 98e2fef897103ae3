"""The abusive-language model for Korean text: logistic regression on character n-grams, numpy only.

``scripts/train_abuse.py`` fits it on ../shared/data/korean_hate_speech (hate or offensive vs
none), plus ordinary Korean questions and reviews as extra "none" examples so that everyday
complaints are not read as abuse, and writes two files under ``cxloop/models/abuse``:

* ``abuse_ko.npz``: ``ngrams`` (unicode array), ``weights`` (float32, one per n-gram), ``bias``;
  read with ``allow_pickle=False``.
* ``abuse_ko.json``: feature settings, the decision threshold, data sources and evaluation.

Features are the distinct 1-3 character n-grams of each word padded with spaces (so word starts and
ends are features), over ``model_text``; the binary vector is L2-normalized over the n-grams the
model knows. Training and scoring both call ``text_ngrams``, so they cannot drift apart.
"""

from __future__ import annotations

import io
import json
import math
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from cxloop.text.normalize import model_text

__all__ = ["MODEL_NAME", "AbuseModel", "load_abuse_model", "save_abuse_model", "text_ngrams"]

MODEL_NAME = "abuse_ko"
NGRAM_SIZES = (1, 2, 3)
#: The model reads the first this many characters; abuse in a long text is nearly always early.
MAX_MODEL_CHARS = 2_000


def text_ngrams(text: str, *, folded: bool = False) -> set[str]:
    """The model's features of ``text``: distinct 1-3-grams of each space-padded word.

    ``folded=True`` says ``text`` already went through ``model_text`` (it is idempotent).
    """
    return {gram for gram in _raw_ngrams(text, folded) if "  " not in gram}


def _raw_ngrams(text: str, folded: bool) -> set[str]:
    # Words padded and joined by two spaces: one pass over one string yields every n-gram of every
    # padded word, plus n-grams spanning "  " that no vocabulary contains, so scoring may skip
    # the filter in text_ngrams.
    if not folded:
        text = model_text(text[: MAX_MODEL_CHARS * 2])
    words = text[:MAX_MODEL_CHARS].split()
    if not words:
        return set()
    padded = " " + "  ".join(words) + " "
    length = len(padded)
    return {padded[i : i + n] for n in NGRAM_SIZES for i in range(length - n + 1)}


@dataclass(frozen=True)
class AbuseModel:
    """Scores text; ``probability`` never raises and is ``sigmoid(bias)`` for text it knows nothing of."""

    weights: Mapping[str, float]
    bias: float
    threshold: float
    meta: Mapping[str, Any]

    def probability(self, text: str, *, folded: bool = False) -> float:
        known = [w for w in map(self.weights.get, _raw_ngrams(text, folded)) if w is not None]
        z = self.bias + (math.fsum(known) / math.sqrt(len(known)) if known else 0.0)
        return 1.0 / (1.0 + math.exp(-max(min(z, 40.0), -40.0)))

    def is_abusive(self, text: str, *, folded: bool = False) -> bool:
        return self.probability(text, folded=folded) >= self.threshold


def _model_dir() -> Path:
    return Path(str(resources.files("cxloop.models").joinpath("abuse")))


@cache
def load_abuse_model(directory: Path | None = None) -> AbuseModel:
    """Load the shipped model once per process (or one from ``directory``). No pickle, no network."""
    directory = directory or _model_dir()
    meta = json.loads((directory / f"{MODEL_NAME}.json").read_text(encoding="utf-8"))
    with np.load(directory / f"{MODEL_NAME}.npz", allow_pickle=False) as arrays:
        ngrams = arrays["ngrams"].tolist()
        weights = arrays["weights"].astype(np.float64).tolist()
        bias = float(arrays["bias"][0])
    return AbuseModel(dict(zip(ngrams, weights, strict=True)), bias, float(meta["threshold"]), meta)


def save_abuse_model(
    directory: Path, ngrams: Iterable[str], weights: npt.NDArray[np.floating[Any]], bias: float, meta: dict[str, Any]
) -> None:
    """Write the two model files byte-for-byte reproducibly (fixed zip timestamps, sorted JSON)."""
    directory.mkdir(parents=True, exist_ok=True)
    arrays = {
        "ngrams": np.array(list(ngrams), dtype=f"<U{max(NGRAM_SIZES)}"),
        "weights": np.asarray(weights, dtype=np.float32),
        "bias": np.array([bias], dtype=np.float32),
    }
    with zipfile.ZipFile(directory / f"{MODEL_NAME}.npz", "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, array in arrays.items():
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, array, allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, buffer.getvalue())
    text = json.dumps(meta, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    (directory / f"{MODEL_NAME}.json").write_text(text, encoding="utf-8")
