"""A BERT encoder as an ONNX graph with 8-bit weights, built in memory from a safetensors checkpoint.

Why not a framework: PyTorch would add gigabytes to the install for six transformer layers. ONNX
Runtime runs the same arithmetic from a graph we write here in ~100 lines. With the weights of every
dense layer quantized to int8 (per output column, symmetric) and the activations per token, its
integer kernels (VNNI on recent x86) encode banking77's 10,000 texts in ~15 s on 2 cores, where a
float32 numpy forward pass took 40-70 s. The sentence vectors keep a cosine of at least 0.988
(mean 0.998) to the float32 ones.

The graph takes token ids, their positions, an additive attention bias (0 or -1e9 per padded token),
and the padding mask; it returns the masked token sums of the last layer and of ``MIDDLE_LAYER``:
the caller divides by the lengths (mean pooling, as sentence-transformers does).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

Weights = dict[str, npt.NDArray[Any]]

#: A middle layer's mean vector is pooled beside the last one: it keeps more of the surface wording,
#: which the intent classifier needs to tell near-synonymous intents apart.
MIDDLE_LAYER = 4


@dataclass(frozen=True, slots=True)
class BertShape:
    layers: int
    hidden: int
    heads: int
    epsilon: float = 1e-12


@dataclass
class _Builder:
    weights: Weights
    prefix: str
    nodes: list[Any] = field(default_factory=list)
    initializers: list[Any] = field(default_factory=list)
    counter: int = 0

    def constant(self, name: str, array: npt.NDArray[Any]) -> str:
        from onnx import numpy_helper

        self.initializers.append(numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def op(self, kind: str, inputs: list[str], outputs: int = 1, **attributes: Any) -> list[str]:
        from onnx import helper

        names = []
        for _ in range(outputs):
            self.counter += 1
            names.append(f"{kind.lower()}_{self.counter}")
        self.nodes.append(helper.make_node(kind, inputs, names, **attributes))
        return names

    def one(self, kind: str, inputs: list[str], **attributes: Any) -> str:
        return self.op(kind, inputs, **attributes)[0]

    def tensor(self, name: str) -> npt.NDArray[np.float32]:
        return np.asarray(self.weights[self.prefix + name], dtype=np.float32)

    def dense(self, x: str, *names: str) -> str:
        """x @ W.T + b with W quantized to int8 per output column and x to uint8 per token. Several
        layers reading the same x (query, key, value) are one product, their outputs side by side."""
        w = np.hstack([self.tensor(f"{n}.weight").T for n in names])  # (in, out)
        bias = np.concatenate([self.tensor(f"{n}.bias") for n in names])
        name = names[0]
        scale = np.abs(w).max(axis=0) / 127.0
        scale[scale == 0] = 1.0
        quantized = np.clip(np.round(w / scale), -127, 127).astype(np.int8)
        # Each token's activations get their own symmetric scale (DynamicQuantizeLinear would share one
        # across the batch): a text's vector then never depends on which texts it was batched with.
        # They are stored as uint8 around a zero point of 128, for the fast u8 × s8 kernels (VNNI).
        row_max = self.one("Max", [self.one("ReduceMax", [self.one("Abs", [x])], axes=[-1], keepdims=1), "tiny"])
        row_scale = self.one("Div", [row_max, "int8_max"])
        # |x| / row_max * 127 is within [-127, 127] by construction: no Clip needed.
        levels = self.one("Round", [self.one("Mul", [x, self.one("Reciprocal", [row_scale])])])
        xq = self.one("Cast", [self.one("Add", [levels, "u8_zero_float"])], to=2)  # UINT8
        product = self.one("MatMulInteger", [xq, self.constant(f"{name}.q", quantized), "u8_zero"])
        product = self.one("Cast", [product], to=1)  # FLOAT: the int32 sums are exact, whatever the batch
        product = self.one("Mul", [product, row_scale])
        product = self.one("Mul", [product, self.constant(f"{name}.scale", scale.astype(np.float32))])
        return self.one("Add", [product, self.constant(f"{name}.b", bias)])

    def layer_norm(self, x: str, name: str, epsilon: float) -> str:
        scale, bias = (
            self.constant(f"{name}.g", self.tensor(f"{name}.weight")),
            self.constant(f"{name}.beta", self.tensor(f"{name}.bias")),
        )
        return self.one("LayerNormalization", [x, scale, bias], axis=-1, epsilon=epsilon)


def build_encoder_graph(weights: Weights, shape: BertShape) -> bytes:
    """The serialized ONNX model (opset 17) of a BERT encoder with masked-sum pooling."""
    from onnx import TensorProto, helper

    prefix = "" if "embeddings.word_embeddings.weight" in weights else "bert."
    b = _Builder(weights, prefix)
    head_dim = shape.hidden // shape.heads
    split = b.constant("split_heads", np.array([0, 0, shape.heads, head_dim], dtype=np.int64))
    merge = b.constant("merge_heads", np.array([0, 0, shape.hidden], dtype=np.int64))
    scale = b.constant("attention_scale", np.array(1.0 / np.sqrt(head_dim), dtype=np.float32))
    tokens_axis = b.constant("tokens_axis", np.array([1], dtype=np.int64))
    b.constant("int8_max", np.array(127.0, dtype=np.float32))
    b.constant("tiny", np.array(1e-12, dtype=np.float32))
    b.constant("u8_zero", np.array(128, dtype=np.uint8))
    b.constant("u8_zero_float", np.array(128.0, dtype=np.float32))

    words = b.one("Gather", [b.constant("word_table", b.tensor("embeddings.word_embeddings.weight")), "ids"])
    positions = b.one(
        "Gather", [b.constant("position_table", b.tensor("embeddings.position_embeddings.weight")), "pos"]
    )
    token_type = b.constant("token_type", b.tensor("embeddings.token_type_embeddings.weight")[0])
    x = b.one("Add", [b.one("Add", [words, positions]), token_type])
    x = b.layer_norm(x, "embeddings.LayerNorm", shape.epsilon)

    def pooled(hidden: str) -> str:
        return b.one("ReduceSum", [b.one("Mul", [hidden, "mask"]), tokens_axis], keepdims=0)

    outputs: list[str] = []
    for i in range(shape.layers):
        p = f"encoder.layer.{i}."
        x = _attention_block(b, x, p, split, merge, scale, shape.epsilon)
        x = _feed_forward_block(b, x, p, shape.epsilon)
        if i + 1 == MIDDLE_LAYER:
            outputs.append(pooled(x))
    outputs.insert(0, pooled(x))

    inputs = [
        helper.make_tensor_value_info("ids", TensorProto.INT64, ["batch", "tokens"]),
        helper.make_tensor_value_info("pos", TensorProto.INT64, ["tokens"]),
        helper.make_tensor_value_info("bias", TensorProto.FLOAT, ["batch", 1, 1, "tokens"]),
        helper.make_tensor_value_info("mask", TensorProto.FLOAT, ["batch", "tokens", 1]),
    ]
    results = [helper.make_tensor_value_info(o, TensorProto.FLOAT, ["batch", shape.hidden]) for o in outputs]
    graph = helper.make_graph(b.nodes, "sentence_encoder", inputs, results, b.initializers)
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("com.microsoft", 1)]
    )
    model.ir_version = 8  # readable by every onnxruntime that runs opset 17
    return bytes(model.SerializeToString())


def _attention_block(b: _Builder, x: str, p: str, split: str, merge: str, scale: str, epsilon: float) -> str:
    projected = b.dense(x, *(f"{p}attention.self.{name}" for name in ("query", "key", "value")))
    parts = b.op("Split", [projected], outputs=3, axis=-1)

    def heads(part: str, perm: list[int]) -> str:
        return b.one("Transpose", [b.one("Reshape", [part, split])], perm=perm)

    query, key, value = heads(parts[0], [0, 2, 1, 3]), heads(parts[1], [0, 2, 3, 1]), heads(parts[2], [0, 2, 1, 3])
    scores = b.one("Add", [b.one("Mul", [b.one("MatMul", [query, key]), scale]), "bias"])
    attended = b.one("MatMul", [b.one("Softmax", [scores], axis=-1), value])
    attended = b.one("Reshape", [b.one("Transpose", [attended], perm=[0, 2, 1, 3]), merge])
    attended = b.dense(attended, f"{p}attention.output.dense")
    return b.layer_norm(b.one("Add", [x, attended]), f"{p}attention.output.LayerNorm", epsilon)


def _feed_forward_block(b: _Builder, x: str, p: str, epsilon: float) -> str:
    h = b.dense(x, f"{p}intermediate.dense")
    h = b.one("Gelu", [h], domain="com.microsoft")  # exact (erf) GELU, one kernel in onnxruntime
    h = b.dense(h, f"{p}output.dense")
    return b.layer_norm(b.one("Add", [x, h]), f"{p}output.LayerNorm", epsilon)
