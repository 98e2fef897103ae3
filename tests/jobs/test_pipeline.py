"""The pipeline on both stores: exact identity linking, attributes, language, timestamps, failure
isolation, and (on PostgreSQL) several workers draining one queue exactly once."""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any

import pytest
import sqlalchemy as sa

from cxloop.config import Settings
from cxloop.domain import RecordKind
from cxloop.governance.crypto import load_key_ring
from cxloop.jobs.intake import IntakeReceipt, accept_records
from cxloop.jobs.pipeline import Pipeline, PipelineItem, Stage, StageContext
from cxloop.jobs.worker import Worker, default_pipeline
from cxloop.store import intake as intake_repo
from cxloop.store.engine import Store
from cxloop.store.tables import customer_identities, customers, feedback, intake_records


def _accept(store: Store, settings: Settings, kind: RecordKind, records: list[dict[str, Any]]) -> IntakeReceipt:
    receipt = accept_records(store, settings, kind, list(enumerate(records)), origin="api")
    assert receipt.rejected == 0, receipt.rejections
    return receipt


def _process(store: Store, settings: Settings) -> int:
    return Worker(store, settings).run_until_idle()


def _feedback(feedback_id: str, source: str = "callcenter", **fields: Any) -> dict[str, Any]:
    return {
        "source": source,
        "feedback_id": feedback_id,
        "channel": "call",
        "occurred_at": "2026-06-03T14:22:05+09:00",
        "text": "배송이 너무 늦어요",
        **fields,
    }


def _customer(external_id: str, source: str = "crm", **fields: Any) -> dict[str, Any]:
    return {"source": source, "external_id": external_id, **fields}


def _feedback_rows(store: Store) -> dict[str, dict[str, Any]]:
    with store.read() as conn:
        return {r["external_id"]: dict(r) for r in conn.execute(sa.select(feedback)).mappings()}


def _customer_ids_of_feedback(store: Store) -> dict[str, str | None]:
    return {external_id: row["customer_id"] for external_id, row in _feedback_rows(store).items()}


def _count(store: Store, table: sa.Table) -> int:
    with store.read() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


def _index(settings: Settings, plain_link_key: str) -> str:
    return load_key_ring(settings).identifier_index(plain_link_key)


def _customer_by_external_id(store: Store, settings: Settings, source: str, external_id: str) -> dict[str, Any]:
    with store.read() as conn:
        query = (
            sa.select(customers)
            .join(customer_identities, customer_identities.c.customer_id == customers.c.id)
            .where(customer_identities.c.link_key == _index(settings, f"external_id:{source}:{external_id}"))
        )
        return dict(conn.execute(query).mappings().one())


# -- identity linking --------------------------------------------------------------------------


def test_email_case_and_phone_writings_link_to_the_customer_record(store: Store, settings: Settings) -> None:
    _accept(
        store,
        settings,
        RecordKind.CUSTOMERS,
        [_customer("C-1", name="김민지", email="kim.minji@naver.com", phone="010-1234-5678")],
    )
    _process(store, settings)
    crm_customer = _customer_by_external_id(store, settings, "crm", "C-1")["id"]
    _accept(
        store,
        settings,
        RecordKind.FEEDBACK,
        [
            _feedback("F-1", email="  Kim.Minji@NAVER.com "),
            _feedback("F-2", email="KIM.MINJI@naver.com"),
            _feedback("F-3", phone="010-1234-5678"),
            _feedback("F-4", phone="01012345678"),
            _feedback("F-5", phone="+82 10 1234 5678"),
        ],
    )
    assert _process(store, settings) == 5
    assert _customer_ids_of_feedback(store) == {f"F-{n}": crm_customer for n in range(1, 6)}
    assert _count(store, customers) == 1


def test_variant_writings_within_one_batch_make_one_customer_each(store: Store, settings: Settings) -> None:
    _accept(
        store,
        settings,
        RecordKind.FEEDBACK,
        [
            _feedback("F-1", phone="010-1234-5678"),
            _feedback("F-2", phone="01012345678"),
            _feedback("F-3", phone="+82 10 1234 5678"),
            _feedback("F-4", email="Lee@Example.com"),
            _feedback("F-5", email=" lee@example.com "),
        ],
    )
    _process(store, settings)
    linked = _customer_ids_of_feedback(store)
    assert linked["F-1"] == linked["F-2"] == linked["F-3"] is not None
    assert linked["F-4"] == linked["F-5"] is not None
    assert linked["F-1"] != linked["F-4"]
    assert _count(store, customers) == 2
    with store.read() as conn:
        phones = conn.execute(
            sa.select(customer_identities.c.value, customer_identities.c.raw_value).where(
                customer_identities.c.kind == "phone"
            )
        ).all()
    # One row for the number however it was written: masked for display, the first writing sealed.
    assert [value for value, _ in phones] == ["+82 10-****-5678"]
    assert load_key_ring(settings).decrypt(phones[0][1]) in {"010-1234-5678", "01012345678", "+82 10 1234 5678"}


def test_external_ids_are_namespaced_by_source(store: Store, settings: Settings) -> None:
    _accept(store, settings, RecordKind.CUSTOMERS, [_customer("C-100", "crm", name="김철수")])
    _accept(store, settings, RecordKind.CUSTOMERS, [_customer("C-100", "shop", name="Chulsoo Kim")])
    _process(store, settings)
    crm = _customer_by_external_id(store, settings, "crm", "C-100")
    shop = _customer_by_external_id(store, settings, "shop", "C-100")
    assert crm["id"] != shop["id"]
    assert (crm["name"], shop["name"]) == ("김철수", "Chulsoo Kim")
    _accept(
        store,
        settings,
        RecordKind.FEEDBACK,
        [
            _feedback("F-crm", "crm", customer_external_id="C-100"),
            _feedback("F-shop", "shop", customer_external_id="C-100"),
        ],
    )
    _process(store, settings)
    assert _customer_ids_of_feedback(store) == {"F-crm": crm["id"], "F-shop": shop["id"]}
    assert _count(store, customers) == 2


def test_customer_records_update_the_linked_customer(store: Store, settings: Settings) -> None:
    # Feedback first: the customer exists only as an e-mail address.
    _accept(store, settings, RecordKind.FEEDBACK, [_feedback("F-1", email="park@example.com")])
    _process(store, settings)
    customer_id = _customer_ids_of_feedback(store)["F-1"]
    assert customer_id is not None
    _accept(
        store,
        settings,
        RecordKind.CUSTOMERS,
        [_customer("C-7", name="박서준", tier="silver", email="PARK@example.com", birth_date="1990-04-01")],
    )
    _process(store, settings)
    _accept(
        store,
        settings,
        RecordKind.CUSTOMERS,
        [_customer("S-9", "shop", tier="gold", city="부산", email="park@example.com")],
    )
    _process(store, settings)
    with store.read() as conn:
        rows = [dict(r) for r in conn.execute(sa.select(customers)).mappings()]
    assert len(rows) == 1
    profile = rows[0]
    assert profile["id"] == customer_id
    # Later non-empty values win; values the later record does not carry are kept.
    assert (profile["name"], profile["tier"], profile["city"]) == ("박서준", "gold", "부산")
    assert str(profile["birth_date"]) == "1990-04-01"
    assert profile["updated_at"] >= profile["created_at"]
    assert _customer_by_external_id(store, settings, "crm", "C-7")["id"] == customer_id
    assert _customer_by_external_id(store, settings, "shop", "S-9")["id"] == customer_id


def test_malformed_identifiers_are_kept_invalid_and_never_link(store: Store, settings: Settings) -> None:
    _accept(
        store,
        settings,
        RecordKind.CUSTOMERS,
        [
            _customer("C-1", name="김하나", email="kim@@naver", phone="010-12"),
            _customer("C-2", name="김두울", email="kim@@naver", phone="010-12"),
        ],
    )
    _accept(store, settings, RecordKind.FEEDBACK, [_feedback("F-1", email="kim@@naver", phone="010-12")])
    _process(store, settings)
    one = _customer_by_external_id(store, settings, "crm", "C-1")
    two = _customer_by_external_id(store, settings, "crm", "C-2")
    assert one["id"] != two["id"], "the same malformed e-mail must not link two customers"
    with store.read() as conn:
        query = sa.select(customer_identities).where(customer_identities.c.kind.in_(["email", "phone"]))
        malformed = [dict(r) for r in conn.execute(query).mappings()]
    assert len(malformed) == 4
    ring = load_key_ring(settings)
    assert {(r["kind"], r["value"], ring.decrypt(r["raw_value"])) for r in malformed} == {
        ("email", "ki***@naver", "kim@@naver"),
        ("phone", "01****12", "010-12"),
    }
    assert all(r["is_valid"] is False and r["link_key"] is None for r in malformed)
    assert {r["customer_id"] for r in malformed} == {one["id"], two["id"]}
    # Feedback carrying only malformed identifiers stays anonymous rather than guessing.
    assert _customer_ids_of_feedback(store) == {"F-1": None}


def test_anonymous_feedback_has_no_customer(store: Store, settings: Settings) -> None:
    _accept(store, settings, RecordKind.FEEDBACK, [_feedback("F-anon", text="앱이 자꾸 꺼져요")])
    assert _process(store, settings) == 1
    assert _customer_ids_of_feedback(store) == {"F-anon": None}
    assert _count(store, customers) == 0
    assert _count(store, customer_identities) == 0


def test_conflicting_identifiers_follow_the_strongest_and_merge_nothing(store: Store, settings: Settings) -> None:
    _accept(
        store,
        settings,
        RecordKind.CUSTOMERS,
        [
            _customer("C-1", name="by id"),
            _customer("C-2", name="by email", email="choi@example.com"),
            _customer("C-3", name="by phone", phone="010-2222-3333"),
        ],
    )
    _process(store, settings)
    by_id, by_email, by_phone = (_customer_by_external_id(store, settings, "crm", f"C-{n}")["id"] for n in (1, 2, 3))
    with store.read() as conn:
        identities_before = sorted(tuple(r) for r in conn.execute(sa.select(customer_identities.c.id)).all())
    _accept(
        store,
        settings,
        RecordKind.FEEDBACK,
        [
            _feedback("F-all", "crm", customer_external_id="C-1", email="choi@example.com", phone="01022223333"),
            _feedback("F-email-phone", "crm", email="CHOI@example.com", phone="+82 10 2222 3333"),
            _feedback("F-phone", "crm", phone="010 2222 3333"),
        ],
    )
    _process(store, settings)
    assert _customer_ids_of_feedback(store) == {"F-all": by_id, "F-email-phone": by_email, "F-phone": by_phone}
    # Nothing was merged or moved: same customers, same identities, each still on its customer.
    assert _count(store, customers) == 3
    with store.read() as conn:
        identities_after = sorted(tuple(r) for r in conn.execute(sa.select(customer_identities.c.id)).all())
        owners = dict(conn.execute(sa.select(customer_identities.c.link_key, customer_identities.c.customer_id)).all())
    assert identities_after == identities_before
    assert owners[_index(settings, "email::choi@example.com")] == by_email
    assert owners[_index(settings, "phone::+821022223333")] == by_phone


# -- enrichment and timestamps -----------------------------------------------------------------


def test_language_stage_tags_korean_english_and_mixed(store: Store, settings: Settings) -> None:
    _accept(
        store,
        settings,
        RecordKind.FEEDBACK,
        [
            _feedback("F-ko", text="배송이 너무 늦어요"),
            _feedback("F-en", text="The delivery was late again"),
            _feedback("F-mixed", text="앱 로그인이 계속 안 돼요 and the app is really slow today"),
            {k: v for k, v in _feedback("F-rating", rating=2).items() if k != "text"},
        ],
    )
    _process(store, settings)
    languages = {k: row["language"] for k, row in _feedback_rows(store).items()}
    assert languages == {"F-ko": "ko", "F-en": "en", "F-mixed": "mixed", "F-rating": None}


def test_timestamps_are_stored_in_utc_with_the_original_offset(store: Store, settings: Settings) -> None:
    _accept(
        store,
        settings,
        RecordKind.FEEDBACK,
        [
            _feedback("F-seoul", occurred_at="2026-06-03T14:22:05+09:00"),
            _feedback("F-newyork", occurred_at="2026-06-03T08:00:00-05:00"),
            _feedback("F-india", occurred_at="2026-06-03T10:00:00+05:30"),
            # No offset: read in the configured default zone (Asia/Seoul).
            _feedback("F-naive", occurred_at="2026-06-03T09:00:00"),
        ],
    )
    _process(store, settings)
    stored = {k: (r["occurred_at"], r["occurred_utc_offset_minutes"]) for k, r in _feedback_rows(store).items()}
    assert stored == {
        "F-seoul": (datetime(2026, 6, 3, 5, 22, 5), 540),
        "F-newyork": (datetime(2026, 6, 3, 13, 0, 0), -300),
        "F-india": (datetime(2026, 6, 3, 4, 30, 0), 330),
        "F-naive": (datetime(2026, 6, 3, 0, 0, 0), 540),
    }


# -- the worker --------------------------------------------------------------------------------


def _explode_on(external_id: str) -> Stage:
    def explode(batch: list[PipelineItem], ctx: StageContext) -> list[PipelineItem]:
        for item in batch:
            if item.external_id == external_id:
                raise RuntimeError(f"cannot enrich {external_id}")
        return batch

    return Stage("enrich.explode", "enrich", explode)


def test_a_failing_record_is_isolated_and_parked_after_max_attempts(store: Store, settings: Settings) -> None:
    assert settings.worker_max_attempts == 3
    records = [_feedback(f"F-{n}", phone=f"010-5555-000{n}") for n in range(5)]
    _accept(store, settings, RecordKind.FEEDBACK, records)
    pipeline = Pipeline([*default_pipeline().stages, _explode_on("F-2")])
    Worker(store, settings, pipeline).run_until_idle()

    with store.read() as conn:
        states = {
            r.external_id: (r.status, r.attempts, r.last_error) for r in conn.execute(sa.select(intake_records)).all()
        }
        summary = intake_repo.queue_summary(conn)
    status, attempts, error = states.pop("F-2")
    assert (status, attempts) == ("failed", settings.worker_max_attempts)
    assert "enrich.explode" in error
    assert "cannot enrich F-2" in error
    assert {k: v[0] for k, v in states.items()} == dict.fromkeys(["F-0", "F-1", "F-3", "F-4"], "done")
    assert all(v[2] is None for v in states.values())
    assert sorted(_feedback_rows(store)) == ["F-0", "F-1", "F-3", "F-4"]
    assert summary["by_kind"]["feedback"] == {"done": 4, "failed": 1}
    assert [(e["external_id"], e["status"], e["attempts"]) for e in summary["recent_errors"]] == [
        ("F-2", "failed", settings.worker_max_attempts)
    ]
    assert "cannot enrich F-2" in summary["recent_errors"][0]["last_error"]
    # A later run does not pick the parked record up again.
    assert Worker(store, settings, pipeline).run_until_idle() == 0


@pytest.mark.postgres
@pytest.mark.slow
@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_three_workers_drain_the_queue_exactly_once(store: Store, settings: Settings) -> None:
    total, people = 3000, 300
    # Customers recur across records, so concurrent workers race to create the same customers.
    records = [
        _feedback(f"F-{n:05d}", email=f"person{n % people}@example.com", text=f"배송 문의 {n}") for n in range(total)
    ]
    _accept(store, settings, RecordKind.FEEDBACK, records)
    small_batches = settings.model_copy(update={"worker_batch_size": 100})
    start = threading.Barrier(3)
    processed: list[int] = []
    failures: list[BaseException] = []

    def drain() -> None:
        try:
            worker = Worker(store, small_batches)
            start.wait(timeout=30)
            processed.append(worker.run_until_idle())
        except BaseException as exc:  # reported by the main thread
            failures.append(exc)

    threads = [threading.Thread(target=drain, name=f"worker-{n}") for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=240)
    assert not any(t.is_alive() for t in threads), "a worker thread did not finish within 240 s"
    assert failures == []
    assert sum(processed) == total, f"workers took {processed} records, expected {total} in all"
    with store.read() as conn:
        fb_count, distinct_keys = conn.execute(
            sa.text("SELECT count(*), count(DISTINCT (source, external_id)) FROM feedback")
        ).one()
        statuses = dict(conn.execute(sa.text("SELECT status, count(*) FROM intake_records GROUP BY status")).all())
        errors = conn.execute(sa.text("SELECT count(*) FROM intake_records WHERE last_error IS NOT NULL")).scalar()
    assert (fb_count, distinct_keys) == (total, total)
    assert statuses == {"done": total}
    assert errors == 0, "no batch should have failed: identity linking is serialized by advisory locks"
    assert _count(store, customers) == people, "each e-mail address must become exactly one customer"
