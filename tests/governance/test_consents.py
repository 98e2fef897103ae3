"""Consent: history kept, latest decision wins, opt-in by default, file import with per-row errors."""

from __future__ import annotations

from datetime import datetime

import pytest
import sqlalchemy as sa

from cxloop.config import Settings
from cxloop.errors import InvalidInput, NotFound
from cxloop.governance.consent import consent_view, set_consents
from cxloop.governance.consent_import import import_consents
from cxloop.governance.crypto import load_key_ring
from cxloop.store import consents
from cxloop.store.engine import Store
from cxloop.store.tables import audit_log
from cxloop.store.tables import consents as consents_table

from .seed import add_customer


def test_latest_decision_per_purpose_wins_and_history_is_kept(store: Store, settings: Settings) -> None:
    customer = add_customer(store)
    other = add_customer(store, name="이서연")
    set_consents(
        store, settings, customer, {"marketing_contact": True, "analytics": "yes"}, source="web_form", actor="a"
    )
    view = set_consents(store, settings, customer, {"marketing_contact": "철회"}, source="call", actor="agent@x")
    assert view["consents"]["marketing_contact"]["granted"] is False
    assert view["consents"]["marketing_contact"]["source"] == "call"
    assert view["consents"]["analytics"]["granted"] is True
    assert view["consents"]["model_training"] is None
    assert [h["purpose"] for h in view["history"]].count("marketing_contact") == 2
    with store.read() as conn:
        assert not consents.has_consent(conn, customer, "marketing_contact")
        assert consents.has_consent(conn, customer, "analytics")
        assert not consents.has_consent(conn, other, "analytics")  # never asked means no
        assert consents.customers_with_consent(conn, "analytics", [customer, other, "unknown"]) == {customer}
        assert consents.count_current(conn)["marketing_contact"] == {"granted": 0, "withdrawn": 1}
        actions = conn.execute(sa.select(audit_log.c.action, audit_log.c.target_id)).all()
    assert actions == [("consent.change", customer)] * 2


def test_evidence_is_stored_encrypted(store: Store, settings: Settings) -> None:
    customer = add_customer(store)
    set_consents(
        store, settings, customer, {"personalization": True}, source="app", actor="a", evidence="IP 203.0.113.7"
    )
    with store.read() as conn:
        stored = conn.execute(sa.select(consents_table.c.evidence)).scalar_one()
    assert stored.startswith("cx1:")
    assert "203.0.113.7" not in stored
    assert load_key_ring(settings).decrypt(stored) == "IP 203.0.113.7"
    assert consent_view(store, customer)["consents"]["personalization"]["has_evidence"] is True


def test_bad_decisions_are_refused_with_the_reason(store: Store, settings: Settings) -> None:
    customer = add_customer(store)
    with pytest.raises(InvalidInput, match="unknown purpose 'newsletter'"):
        set_consents(store, settings, customer, {"newsletter": True}, source="web", actor="a")
    with pytest.raises(InvalidInput, match="'maybe' is not a decision"):
        set_consents(store, settings, customer, {"analytics": "maybe"}, source="web", actor="a")
    with pytest.raises(InvalidInput, match="source"):
        set_consents(store, settings, customer, {"analytics": True}, source="", actor="a")
    with pytest.raises(NotFound):
        set_consents(store, settings, "01NOSUCHCUSTOMER000000000", {"analytics": True}, source="web", actor="a")


def test_consent_given_to_a_merged_profile_lands_on_the_survivor(store: Store, settings: Settings) -> None:
    survivor = add_customer(store)
    merged = add_customer(store, merged_into=survivor)
    view = set_consents(store, settings, merged, {"analytics": True}, source="web", actor="a")
    assert view["customer_id"] == survivor
    with store.read() as conn:
        assert consents.has_consent(conn, survivor, "analytics")


def test_import_keeps_good_rows_and_names_each_bad_one(store: Store, settings: Settings) -> None:
    kim = add_customer(store, email="minsu.kim@example.com")
    lee = add_customer(store, name="이서연")
    data = (
        "customer_id,email,purpose,granted,source,recorded_at\n"
        f"{lee},,marketing_contact,동의,paper_form,2026-03-01 10:00\n"
        ",MINSU.KIM@example.com,analytics,true,web_form,2026-03-02T09:00:00+09:00\n"
        f"{lee},,newsletter,yes,web_form,\n"
        ",nobody@example.com,analytics,yes,web_form,\n"
        f"{lee},,marketing_contact,withdrawn,call,2026-02-01\n"
        f"{lee},,analytics,perhaps,call,\n"
        ",,analytics,yes,web_form,\n"
        f"{lee},,analytics,yes,web_form,next tuesday\n"
    ).encode()
    report = import_consents(store, settings, data, "consents.csv", actor="steward").to_dict()
    assert (report["rows"], report["stored"], report["rejected"]) == (8, 3, 5)
    assert [(r["row"], r["field"]) for r in report["rejections"]] == [
        ("row 4", "purpose"),
        ("row 5", "customer"),
        ("row 7", "granted"),
        ("row 8", "customer_id"),
        ("row 9", "recorded_at"),
    ]
    with store.read() as conn:
        assert consents.has_consent(conn, kim, "analytics")
        # The withdrawal is older (February) than the grant (March), so the grant is current.
        assert consents.has_consent(conn, lee, "marketing_contact")
        assert conn.execute(sa.select(sa.func.count()).select_from(audit_log)).scalar_one() == 1


def test_import_reads_jsonl_with_line_numbers(store: Store, settings: Settings) -> None:
    kim = add_customer(store)
    data = (
        f'{{"customer_id": "{kim}", "purpose": "model_training", "granted": false}}\n'
        "\n"
        "not json\n"
        f'{{"customer_id": "{kim}", "purpose": "model_training", "granted": true, "colour": "red"}}\n'
    ).encode()
    report = import_consents(store, settings, data, "c.jsonl", actor="steward").to_dict()
    assert report["stored"] == 1
    assert [(r["row"], r["field"]) for r in report["rejections"]] == [("line 3", None), ("line 4", "colour")]
    with store.read() as conn:
        assert consents.current_consents(conn, kim)["model_training"]["granted"] is False
        assert consents.current_consents(conn, kim)["model_training"]["recorded_at"] <= datetime.now()
