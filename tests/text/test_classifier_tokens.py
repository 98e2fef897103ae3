"""The classifier's token model (fastText-style, beside the SVM): training, the ensemble, saving, old models."""

from __future__ import annotations

import io
import json
from pathlib import Path
from random import Random

import numpy as np
import pytest

import cxloop.text._classifier_training as training
from cxloop.errors import InvalidInput
from cxloop.text._classifier_embedding import embedder
from cxloop.text._classifier_features import document
from cxloop.text._classifier_model import softmax
from cxloop.text._classifier_tokens import fit_token_model, id_rows, log_softmax
from cxloop.text.classifier import TextClassifier, TrainingReport, train_classifier

Trained = tuple[TextClassifier, TrainingReport]
_PHRASES = {
    "card": ["my card has not arrived", "the new card is not here", "카드가 아직 안 왔어요", "card delivery is late"],
    "refund": ["i want my money back", "please refund the payment", "환불해 주세요", "give me a refund now"],
    "login": ["i cannot sign in", "my password does not work", "로그인이 안 돼요", "the app locks me out"],
}
_PROBE = ["where is my card", "refund please", "비밀번호 오류로 로그인 불가", "카드 언제 와요", "money back please"]


def _dataset(seed: int = 3, per_label: int = 30) -> tuple[list[str], list[str]]:
    rng = Random(seed)
    texts, labels = [], []
    for label, phrases in _PHRASES.items():
        for _ in range(per_label):
            opening = rng.choice(["", "hi ", "urgent: ", "혹시 "])
            texts.append(opening + rng.choice(phrases) + rng.choice(["", "?", "!"]))
            labels.append(label)
    return texts, labels


@pytest.fixture(scope="module")
def trained() -> Trained:
    if embedder() is None:
        pytest.fail("the 'wordllama' dependency ships the word vectors; it must be installed")
    # The token model's own ensemble, without the sentence head (tested in test_classifier_sentence).
    return train_classifier(*_dataset(), test_size=0.25, seed=1, sentence_encoder=False)


def _arrays(directory: Path) -> dict[str, np.ndarray]:
    with np.load(directory / "weights.npz", allow_pickle=False) as arrays:
        return {name: arrays[name] for name in arrays.files}


def _rewrite(directory: Path, arrays: dict[str, np.ndarray], **meta_changes: object) -> None:
    buffer = io.BytesIO()
    np.savez_compressed(buffer, allow_pickle=False, **arrays)
    (directory / "weights.npz").write_bytes(buffer.getvalue())
    meta = json.loads((directory / "model.json").read_text(encoding="utf-8"))
    for key, value in meta_changes.items():
        if value is None:
            meta.pop(key, None)
        else:
            meta[key] = value
    (directory / "model.json").write_text(json.dumps(meta), encoding="utf-8")


def test_id_rows_average_tokens_and_known_terms_counting_repeats() -> None:
    tokens = [np.array([3, 1], dtype=np.int64), np.zeros(0, dtype=np.int64), np.array([2], dtype=np.int64)]
    terms = [["a", "zzz", "a"], [], ["b"]]
    rows = id_rows(tokens, terms, {"a": 0, "b": 1}, n_tokens=5)
    assert rows.n_columns == 7
    assert rows.indptr.tolist() == [0, 4, 4, 6]
    assert rows.indices.tolist() == [3, 1, 5, 5, 2, 6]  # "zzz" is unknown: left out of the mean
    assert np.allclose(rows.data, [0.25] * 4 + [0.5] * 2)
    scores = np.arange(14, dtype=np.float32).reshape(7, 2)
    assert np.allclose(rows.dot(scores), [[(6 + 2 + 10 + 10) / 4, (7 + 3 + 11 + 11) / 4], [0, 0], [8, 9]])


def test_token_model_alone_learns_the_labels_and_is_deterministic() -> None:
    vectors = embedder()
    assert vectors is not None
    texts, labels = _dataset()
    documents = [document(t) for t in texts]
    terms = [d.terms["word"] for d in documents]
    index = {term: i for i, term in enumerate(sorted({t for row in terms for t in row}))}
    target = np.searchsorted(np.array(sorted(_PHRASES)), np.array(labels))
    tokens = vectors.token_ids([d.text for d in documents])
    model = fit_token_model(tokens, terms, index, target, 3, vectors.table)
    again = fit_token_model(tokens, terms, index, target, 3, vectors.table)
    assert np.array_equal(model.term_scores, again.term_scores)
    assert np.array_equal(model.token_scores, again.token_scores)
    assert np.mean(model.logits(tokens, terms).argmax(axis=1) == target) >= 0.95
    # Only the training texts' tokens were trained; any other token scores through the pretrained table.
    assert set(model.token_ids.tolist()) == set(np.concatenate(tokens).tolist())
    probe = [document(t) for t in _PROBE]
    guess = model.logits(vectors.token_ids([d.text for d in probe]), [d.terms["word"] for d in probe]).argmax(axis=1)
    assert [sorted(_PHRASES)[g] for g in guess] == ["card", "refund", "login", "card", "refund"]


def test_scores_are_the_ensemble_and_the_temperature_calibrates_them(trained: Trained) -> None:
    model, report = trained
    documents = [document(t) for t in _PROBE]
    scores, known = model.scores_of(documents)
    matrix = model._features.transform(documents)
    assert model._token_model is not None
    assert matrix.tokens is not None
    svm = model.scores_of_matrix(matrix)
    logits = model._token_model.logits(matrix.tokens, [d.terms["word"] for d in documents])
    assert np.allclose(scores, 0.6 * log_softmax(10 * svm) + 0.4 * log_softmax(logits))
    assert not np.allclose(scores, log_softmax(10 * svm), atol=0.05)  # the token model moves the scores
    assert known.all()
    assert model.temperature == report.temperature
    assert np.allclose(model.probabilities(_PROBE), softmax(scores * report.temperature))
    assert [p.label for p in model.predict(_PROBE)] == ["card", "refund", "login", "card", "refund"]


def test_ensemble_round_trips_with_identical_predictions(trained: Trained, tmp_path: Path) -> None:
    model, _ = trained
    model.save(tmp_path)
    arrays = _arrays(tmp_path)
    assert {"token_ids", "token_scores", "term_scores", "token_output", "token_bias"} <= set(arrays)
    meta = json.loads((tmp_path / "model.json").read_text(encoding="utf-8"))
    assert meta["token_model"] == {"svm_scale": 10.0, "svm_weight": 0.6}
    loaded = TextClassifier.load(tmp_path)
    texts = _dataset(seed=11, per_label=4)[0] + _PROBE + ["", "zzzz qqqq"]
    assert np.array_equal(loaded.probabilities(texts), model.probabilities(texts))
    assert loaded.predict(texts) == model.predict(texts)


def test_a_format_2_model_without_the_token_model_still_predicts_with_the_svm(trained: Trained, tmp_path: Path) -> None:
    model, _ = trained
    model.save(tmp_path)
    svm_only = {k: v for k, v in _arrays(tmp_path).items() if not k.startswith(("token_", "term_"))}
    _rewrite(tmp_path, svm_only, format="cxloop.text-classifier/2", token_model=None)
    loaded = TextClassifier.load(tmp_path)
    documents = [document(t) for t in _PROBE]
    margins = model.scores_of_matrix(model._features.transform(documents))
    scores, _ = loaded.scores_of(documents)
    assert np.array_equal(scores, margins)  # the SVM's margins, as before the token model existed
    assert np.allclose(loaded.probabilities(_PROBE), softmax(margins * model.temperature))


def test_a_damaged_token_model_is_refused(trained: Trained, tmp_path: Path) -> None:
    model, _ = trained
    model.save(tmp_path)
    arrays = _arrays(tmp_path)
    _rewrite(tmp_path, {**arrays, "term_scores": arrays["term_scores"][:-1]})
    with pytest.raises(InvalidInput, match=r"damaged.*token model"):
        TextClassifier.load(tmp_path)
    _rewrite(tmp_path, {**arrays, "token_ids": arrays["token_ids"] + 10**6})
    with pytest.raises(InvalidInput, match=r"damaged.*token model"):
        TextClassifier.load(tmp_path)


def test_without_installed_word_vectors_the_svm_alone_is_trained(monkeypatch: pytest.MonkeyPatch) -> None:
    texts, labels = _dataset()
    expected, expected_report = train_classifier(texts, labels, test_size=0.25, seed=1, word_vectors=False)
    monkeypatch.setattr(training, "embedder", lambda: None)  # as if 'wordllama' were not installed
    model, report = train_classifier(texts, labels, test_size=0.25, seed=1)
    assert model._token_model is None
    assert any("not installed" in note and "no token model" in note for note in report.notes)
    assert (report.accuracy, report.temperature) == (expected_report.accuracy, expected_report.temperature)
    assert np.array_equal(model.probabilities(_PROBE), expected.probabilities(_PROBE))
