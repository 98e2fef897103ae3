"""The user-trained text classifier: training, prediction, safe save/load, file I/O and bad input."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import time
from pathlib import Path
from random import Random

import numpy as np
import pytest

from cxloop.errors import InvalidInput, NotFound, UnsupportedFile
from cxloop.jobs.classifiers import (
    cached_model,
    list_models,
    load_model,
    model_directory,
    read_labelled,
    read_texts,
    save_model,
    write_predictions,
)
from cxloop.text._classifier_embedding import EMBEDDING_NAME, embedder
from cxloop.text.classifier import TextClassifier, TrainingReport, stratified_split, train_classifier
from cxloop.text.normalize import model_text
from support.helpers import require_shared_data

# Intent → (Korean phrases, English phrases); sentences are built from them with a seeded Random.
_INTENTS = {
    "delivery": (
        ["배송이 언제 와요", "택배가 아직 안 왔어요", "배송 조회가 안 돼요", "주문한 상품 도착 언제"],
        ["where is my parcel", "my delivery has not arrived", "when will my order ship", "tracking shows no update"],
    ),
    "refund": (
        ["환불해 주세요", "환불 언제 되나요", "결제 취소하고 돈 돌려받고 싶어요", "반품 환불 요청합니다"],
        ["i want my money back", "please refund my order", "how long does a refund take", "cancel and refund me"],
    ),
    "login": (
        ["로그인이 안 돼요", "비밀번호를 잊어버렸어요", "앱 로그인 오류", "계정 접속이 안 됩니다"],
        ["i cannot log in", "forgot my password", "login error in the app", "my account is locked"],
    ),
}
Trained = tuple[TextClassifier, TrainingReport]
_FILLERS_KO = ["", "빨리 ", "제발 ", "오늘 ", "혹시 "]
_FILLERS_EN = ["", "please ", "hi, ", "urgent: ", "hello "]


def _dataset(seed: int = 42, per_intent: int = 40) -> tuple[list[str], list[str]]:
    rng = Random(seed)
    texts, labels = [], []
    for label, (korean, english) in _INTENTS.items():
        for i in range(per_intent):
            if i % 2:
                texts.append(rng.choice(_FILLERS_KO) + rng.choice(korean) + rng.choice(["", "요", "!!", " ㅠㅠ"]))
            else:
                texts.append(rng.choice(_FILLERS_EN) + rng.choice(english) + rng.choice(["", "?", "!", " thanks"]))
            labels.append(label)
    return texts, labels


@pytest.fixture(scope="module")
def trained() -> Trained:
    texts, labels = _dataset()
    return train_classifier(texts, labels, test_size=0.25, seed=1)


def test_trains_and_predicts_korean_and_english(trained: Trained) -> None:
    model, report = trained
    assert model.labels == ["delivery", "login", "refund"]
    assert report.accuracy >= 0.9
    assert set(report.per_label) == set(model.labels)
    assert {"precision", "recall", "f1", "support"} <= set(report.per_label["refund"])
    unseen = {
        "택배 언제 와요?": "delivery",
        "환불 요청드려요": "refund",
        "비밀번호 잊어버림": "login",
        "has my parcel shipped yet": "delivery",
        "refund please": "refund",
        "can't log in to my account": "login",
    }
    predictions = model.predict(list(unseen))
    assert [p.label for p in predictions] == list(unseen.values())
    for p in predictions:
        assert 0 < p.score <= 1
        assert p.top[0] == (p.label, p.score)
        assert len(p.top) == 3
        assert [s for _, s in p.top] == sorted((s for _, s in p.top), reverse=True)


def test_predictions_keep_input_order(trained: Trained) -> None:
    model, _ = trained
    texts = ["forgot my password", "환불해 주세요", "배송 조회", "refund please", "로그인 오류"] * 3
    one_by_one = [model.predict([t])[0] for t in texts]
    assert model.predict(texts) == one_by_one
    assert [p.label for p in model.predict(texts[::-1])] == [p.label for p in one_by_one[::-1]]


def test_empty_and_unknown_texts_get_a_defined_low_score_prediction(trained: Trained) -> None:
    model, _ = trained
    predictions = model.predict(["", "   ", "\u200b", "zzzz qqqq", "x" * 100_000])
    assert len(predictions) == 5
    assert predictions[0] == predictions[1] == predictions[2]
    # No known term, no evidence: the label shares of the training data (here three equal thirds).
    assert predictions[0].score == pytest.approx(1 / 3, abs=1e-3)
    for p in predictions:
        assert p.label in model.labels
        assert p.score < 0.9
    assert model.predict([]) == []


def test_save_load_round_trip_is_identical_and_pickle_free(trained: Trained, tmp_path: Path) -> None:
    model, _ = trained
    directory = save_model(model, tmp_path, "intents_v1")
    assert directory == tmp_path / "models" / "classifiers" / "intents_v1"
    files = sorted(p.name for p in directory.iterdir())
    assert files == ["model.json", "vocabulary.json", "weights.npz"]
    assert all(p.suffix in {".json", ".npz"} for p in directory.iterdir())
    with np.load(directory / "weights.npz", allow_pickle=False) as arrays:  # raises if anything is pickled
        assert all(arrays[name].dtype != object for name in arrays.files)

    started = time.perf_counter()
    loaded = load_model(tmp_path, "intents_v1")
    assert time.perf_counter() - started < 1.0
    texts, _ = _dataset(seed=7, per_intent=5)
    assert loaded.labels == model.labels
    assert loaded.predict(texts) == model.predict(texts)


def test_a_saved_model_predicts_without_scikit_learn_or_scipy(trained: Trained, tmp_path: Path) -> None:
    model, _ = trained
    save_model(model, tmp_path, "numpy_only")
    script = (
        "import sys\n"
        "sys.modules['sklearn'] = sys.modules['scipy'] = None  # any import of them now fails\n"
        "from pathlib import Path\n"
        "from cxloop.jobs.classifiers import load_model\n"
        f"print(load_model(Path({str(tmp_path)!r}), 'numpy_only').predict(['환불해 주세요'])[0].label)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "refund"


def test_model_names_are_validated_and_listed(trained: Trained, tmp_path: Path) -> None:
    model, _ = trained
    assert list_models(tmp_path) == []
    save_model(model, tmp_path, "b-model")
    save_model(model, tmp_path, "a_model")
    summaries = list_models(tmp_path)
    assert [m.name for m in summaries] == ["a_model", "b-model"]
    assert summaries[0].labels == 3
    assert summaries[0].accuracy is not None
    for bad in ["../escape", "a/b", "", "공백 있음", ".hidden", "x" * 65]:
        with pytest.raises(InvalidInput, match="letters, digits"):
            model_directory(tmp_path, bad)
    with pytest.raises(NotFound, match="a_model, b-model"):
        load_model(tmp_path, "missing")


def test_cached_model_reloads_only_after_retraining(trained: Trained, tmp_path: Path) -> None:
    model, _ = trained
    save_model(model, tmp_path, "cached")
    first = cached_model(tmp_path, "cached")
    assert cached_model(tmp_path, "cached") is first
    save_model(model, tmp_path, "cached")
    assert cached_model(tmp_path, "cached") is not first
    with pytest.raises(NotFound):
        cached_model(tmp_path, "absent")


def test_load_refuses_a_directory_without_a_model(tmp_path: Path) -> None:
    (tmp_path / "model.json").write_text('{"format": "something-else"}', encoding="utf-8")
    with pytest.raises(InvalidInput, match="format"):
        TextClassifier.load(tmp_path)
    with pytest.raises(InvalidInput, match="readable"):
        TextClassifier.load(tmp_path / "nowhere")


# -- pretrained word vectors ---------------------------------------------------------------------


def test_word_vectors_load_offline_and_place_paraphrases_together() -> None:
    vectors = embedder()
    assert vectors is not None, "the 'wordllama' dependency ships the word vectors; it must be installed"
    assert vectors is embedder()  # loaded once per process
    texts = ["my parcel has not arrived", "the package is not delivered yet", "i forgot my password", "", "   "]
    matrix = vectors.embed([model_text(t) for t in texts])
    assert matrix.shape == (5, vectors.dim) == (5, 256)
    assert np.allclose(np.linalg.norm(matrix[:3], axis=1), 1.0, atol=1e-5)
    assert not matrix[3:].any()  # no tokens, no vector
    similar, unrelated = float(matrix[0] @ matrix[1]), float(matrix[0] @ matrix[2])
    assert similar > unrelated + 0.2, (similar, unrelated)  # no shared content word, yet close


def test_saved_model_names_its_word_vectors_and_refuses_other_ones(trained: Trained, tmp_path: Path) -> None:
    model, _ = trained
    directory = save_model(model, tmp_path, "vectors")
    meta = json.loads((directory / "model.json").read_text(encoding="utf-8"))
    assert meta["format"] == "cxloop.text-classifier/4"
    assert meta["embedding"]["name"] == EMBEDDING_NAME
    assert len(meta["embedding"]["sha256"]) == 64
    with np.load(directory / "weights.npz", allow_pickle=False) as arrays:
        assert arrays["dense_weights"].shape == (256, 3)
    (directory / "model.json").write_text(json.dumps({**meta, "embedding": {**meta["embedding"], "sha256": "0" * 64}}))
    with pytest.raises(InvalidInput, match=r"other .* word vectors than the installed ones.*retrain"):
        load_model(tmp_path, "vectors")
    (directory / "model.json").write_text(json.dumps({**meta, "embedding": None}))
    with pytest.raises(InvalidInput, match="damaged"):
        load_model(tmp_path, "vectors")


def test_without_word_vectors_trains_on_tfidf_and_format_1_models_still_load(tmp_path: Path) -> None:
    texts, labels = _dataset()
    model, report = train_classifier(texts, labels, test_size=0.25, seed=1, word_vectors=False)
    assert report.accuracy >= 0.9
    assert any("TF-IDF features only" in note for note in report.notes)
    directory = save_model(model, tmp_path, "tfidf_only")
    with np.load(directory / "weights.npz", allow_pickle=False) as arrays:
        assert "dense_weights" not in arrays.files
        assert "token_ids" not in arrays.files  # the token model starts from the word vectors: none here
    # A model written before word vectors existed: format 1, no "embedding" entry.
    meta = json.loads((directory / "model.json").read_text(encoding="utf-8"))
    meta["format"] = "cxloop.text-classifier/1"
    del meta["embedding"]
    (directory / "model.json").write_text(json.dumps(meta), encoding="utf-8")
    loaded = load_model(tmp_path, "tfidf_only")
    probe = ["환불 요청드려요", "has my parcel shipped yet", "비밀번호 잊어버림"]
    assert loaded.predict(probe) == model.predict(probe)
    assert [p.label for p in loaded.predict(probe)] == ["refund", "delivery", "login"]


@pytest.mark.parametrize(
    ("texts", "labels", "message"),
    [
        (["a", "b"], ["x"], "2 texts but 1 labels"),
        (["a", "b", "c"], ["x", "x", "x"], "at least 2 different labels; found only 'x'"),
        ([], [], "at least 2 different labels; found none"),
        (["a", "b", "c"], ["x", "x", "y"], "only 1: 'y'"),
        (["a", "b", "c", "d"], ["x", "", "y", "y"], "empty label"),
        ("ab", "xy", "not single strings"),
    ],
)
def test_bad_training_input_is_invalid_input(texts: list[str], labels: list[str], message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        train_classifier(texts, labels)


def test_bad_test_size_is_invalid_input() -> None:
    texts, labels = _dataset(per_intent=4)
    for bad in (0.0, 1.0, -0.5):
        with pytest.raises(InvalidInput, match="test_size"):
            train_classifier(texts, labels, test_size=bad)


def test_stratified_split_keeps_every_label_on_both_sides() -> None:
    labels = ["a"] * 2 + ["b"] * 10 + ["c"] * 100
    train, test = stratified_split(labels, 0.2, seed=42)
    assert sorted(train + test) == list(range(len(labels)))
    assert {labels[i] for i in train} == {labels[i] for i in test} == {"a", "b", "c"}
    assert sum(labels[i] == "c" for i in test) == 20
    assert stratified_split(labels, 0.2, seed=42) == (train, test)


# -- files ---------------------------------------------------------------------------------------


def _csv(rows: list[list[str]], delimiter: str = ",") -> str:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\n").writerows(rows)
    return out.getvalue()


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp949"])
def test_reads_labelled_csv_in_korean_encodings(encoding: str) -> None:
    text = _csv([["Q", "label"], ["배송이 늦어요", "0"], ["환불, 해주세요", "1"], ["라벨 없음", ""], ["", "1"]])
    rows = read_labelled(text.encode(encoding), "history.csv", "Q", "label")
    assert rows.texts == ["배송이 늦어요", "환불, 해주세요", ""]
    assert rows.labels == ["0", "1", "1"]
    assert rows.skipped_unlabelled == 1


def test_reads_tsv_and_jsonl_with_case_insensitive_columns() -> None:
    tsv = _csv([["Text", "Category"], ["hello", "greet"]], delimiter="\t").encode()
    assert read_labelled(tsv, "x.tsv", "text", "category").labels == ["greet"]
    jsonl = b'{"text": "hi", "intent": 3}\n\n{"text": "bye", "intent": "end", "other": 1}\n'
    rows = read_labelled(jsonl, "x.jsonl", "text", "intent")
    assert (rows.texts, rows.labels) == (["hi", "bye"], ["3", "end"])
    assert read_texts(b'[{"text": "a"}, {"text": null}, {"text": "c"}]', "x.json", "text") == ["a", "", "c"]


def test_file_errors_name_the_problem() -> None:
    with pytest.raises(InvalidInput, match="no column 'body'; its columns are: 'Q', 'A', 'label'"):
        read_texts(b"Q,A,label\nx,y,0\n", "c.csv", "body")
    with pytest.raises(InvalidInput, match="empty"):
        read_texts(b"", "c.csv", "text")
    with pytest.raises(InvalidInput, match="empty"):
        read_texts(b"\n\n", "c.jsonl", "text")
    with pytest.raises(InvalidInput, match="no row of the file has a label"):
        read_labelled(b"text,label\nhello,\n", "c.csv", "text", "label")
    with pytest.raises(InvalidInput, match="line 2 is not valid JSON"):
        read_texts(b'{"text": "a"}\n{broken\n', "c.jsonl", "text")
    with pytest.raises(UnsupportedFile):
        read_texts(b"PK\x03\x04rest", "sheet.xlsx", "text")


def test_writes_predictions_as_jsonl_in_input_order(trained: Trained) -> None:
    model, _ = trained
    texts = ["refund please", "로그인 오류", "", "택배 언제"]
    out = io.BytesIO()
    assert write_predictions(model.predict(texts, top_k=2), out) == 4
    lines = [json.loads(line) for line in out.getvalue().decode().splitlines()]
    assert [line["label"] for line in lines[:2]] == ["refund", "login"]
    assert lines[3]["label"] == "delivery"
    for line in lines:
        assert set(line) == {"label", "score", "top"}
        assert len(line["top"]) == 2
        assert line["top"][0] == [line["label"], line["score"]]


# -- real data -----------------------------------------------------------------------------------

# The issue's target: 0.93 on banking77's official test split (test.csv), trained on train.csv, in
# under 60 s. Where only train.csv is present, its stratified 20% split is the estimate (measured
# 0.935 with the sentence head, 0.924 without it, 0.912 with TF-IDF alone); the floor below guards
# that level against regressions. Training time is measured by the classifier benchmark.
BANKING77_TARGET = 0.93
BANKING77_SPLIT_FLOOR = 0.928


def _banking77(name: str) -> tuple[list[str], list[str]]:
    path = require_shared_data("banking77", name)
    rows = read_labelled(path.read_bytes(), path.name, "text", "category")
    return rows.texts, rows.labels


@pytest.mark.shared_data
@pytest.mark.slow
def test_banking77_held_out_accuracy() -> None:
    texts, labels = _banking77("train.csv")
    model, report = train_classifier(texts, labels, test_size=0.2, seed=42)
    assert len(model.labels) == 77
    assert model.sentence_head is not None  # English intents: the sentence encoder is part of the model
    assert 1950 <= report.n_test <= 2050  # 20% of each label, rounded per label
    assert report.accuracy >= BANKING77_SPLIT_FLOOR, report.accuracy


@pytest.mark.shared_data
@pytest.mark.slow
def test_banking77_official_test_split_reaches_the_target() -> None:
    test_texts, test_labels = _banking77("test.csv")  # skips where the official split is absent
    model, _ = train_classifier(*_banking77("train.csv"), test_size=0.2, seed=42)
    guesses = [p.label for p in model.predict(test_texts, top_k=1)]
    accuracy = float(np.mean([g == t for g, t in zip(guesses, test_labels, strict=True)]))
    assert accuracy >= BANKING77_TARGET, accuracy


@pytest.mark.shared_data
@pytest.mark.slow
def test_korean_chatbot_sanity() -> None:
    path = require_shared_data("korean_chatbot", "ChatbotData.csv")
    rows = read_labelled(path.read_bytes(), path.name, "Q", "label")
    model, report = train_classifier(rows.texts, rows.labels)
    assert model.labels == ["0", "1", "2"]
    assert report.accuracy >= 0.8, report.accuracy  # three loose labels (daily / breakup / love); measured 0.848
