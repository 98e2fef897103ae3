"""User-trained classifiers as a pipeline stage (CXLOOP_CLASSIFIERS), on both stores."""

from __future__ import annotations

import logging
from typing import Any

import pytest
import sqlalchemy as sa

from cxloop.config import Settings
from cxloop.domain import RecordKind
from cxloop.errors import ConfigurationError
from cxloop.jobs.classifiers import save_model
from cxloop.jobs.intake import accept_records
from cxloop.jobs.worker import Worker
from cxloop.store import inbox
from cxloop.store.engine import Store
from cxloop.store.tables import feedback, feedback_labels
from cxloop.text.classifier import fit_classifier

_HISTORY = {
    "delivery": ["배송이 너무 늦어요", "택배가 아직 안 왔어요", "where is my parcel", "delivery is late again"],
    "refund": ["환불해 주세요", "환불 요청합니다", "i want a refund", "please refund my order"],
}


def _settings_with(settings: Settings, classifiers: str) -> Settings:
    return settings.model_copy(update={"classifiers": classifiers})


def _feedback(feedback_id: str, text: str) -> dict[str, Any]:
    return {"source": "app", "feedback_id": feedback_id, "channel": "app_review",
            "occurred_at": "2026-06-03T14:22:05+09:00", "text": text}  # fmt: skip


def test_configured_classifiers_label_masked_feedback_text(
    store: Store, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    texts = [t for phrases in _HISTORY.values() for t in phrases] * 3
    labels = [label for label, phrases in _HISTORY.items() for _ in phrases] * 3
    save_model(fit_classifier(texts, labels, sentence_encoder=False), settings.data_dir, "topic-model")
    configured = _settings_with(settings, "topic-model, missing-model")
    records = [
        _feedback("F-1", "택배가 일주일째 안 왔어요 010-1234-5678로 연락 주세요"),
        _feedback("F-2", "Please refund my order, it's broken"),
        {k: v for k, v in _feedback("F-3", "").items() if k != "text"} | {"rating": 2},
    ]
    receipt = accept_records(store, configured, RecordKind.FEEDBACK, list(enumerate(records)), origin="api")
    assert receipt.rejected == 0
    with caplog.at_level(logging.WARNING):
        Worker(store, configured).run_until_idle()
    with store.read() as conn:
        ids = {r.external_id: r.id for r in conn.execute(sa.select(feedback.c.external_id, feedback.c.id))}
        rows = conn.execute(sa.select(feedback_labels)).mappings().all()
        detail = inbox.get_feedback(conn, ids["F-1"])
    found = {r["feedback_id"]: (r["model"], r["label"]) for r in rows}
    # Every text gets a label; a rating without text gets none; the missing model is skipped, not fatal.
    assert found == {ids["F-1"]: ("topic-model", "delivery"), ids["F-2"]: ("topic-model", "refund")}
    assert all(0.0 < r["score"] <= 1.0 for r in rows)
    assert detail is not None
    assert [(x["model"], x["label"]) for x in detail["labels"]] == [("topic-model", "delivery")]
    assert "010-1234-5678" not in (detail["text"] or "")  # the model read the masked text
    assert any("missing-model" in r.getMessage() and "skipped" in r.getMessage() for r in caplog.records)


def test_a_bad_classifier_name_is_a_configuration_error(settings: Settings) -> None:
    from cxloop.config import load_settings

    with pytest.raises((ConfigurationError, ValueError), match="classifier name"):
        load_settings(environment="test", data_dir=settings.data_dir, classifiers="ok, ../../etc")
    assert _settings_with(settings, " a, b ,a,").classifier_names == ["a", "b"]
