"""Customer identifiers at rest: sealed raw value, masked display value, blind-index link key.

Checks that no e-mail or phone is stored in clear anywhere in `customer_identities`, that lookups by
identifier (any writing of a phone) still find the customer, that legacy plaintext rows are converted
by `keys reencrypt`, that rotation + retirement keep lookups working, and that opening identifiers
on the profile page is audited.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient

from cxloop import access
from cxloop.config import Settings
from cxloop.domain import RecordKind, Role, TokenScope, new_id
from cxloop.governance.crypto import KeyRing, load_key_ring
from cxloop.governance.keys import add_new_key, encrypted_columns, reencrypt, retire_old_keys
from cxloop.identity.identifiers import normalize_email, normalize_phone
from cxloop.jobs.intake import accept_records
from cxloop.jobs.worker import Worker
from cxloop.store import profiles
from cxloop.store.customers import contact_email, customers_by_identifier
from cxloop.store.engine import Store
from cxloop.store.tables import audit_log, customer_identities, customers, feedback
from support.helpers import make_token

EMAIL, PHONE, EXTERNAL = "Minsu.Kim@Example.com", "010-1234-5678", "C-000101"
SECRETS = ("minsu.kim", "Minsu.Kim", "12345678", "1234-5678", "+821012345678", "000101")


def _ingest(store: Store, settings: Settings) -> None:
    customer = {"source": "crm", "external_id": EXTERNAL, "email": EMAIL, "phone": PHONE, "name": "김민수"}
    call = {
        "source": "callcenter",
        "feedback_id": "F-1",
        "channel": "call",
        "occurred_at": "2026-06-03T14:22:05+09:00",
        "text": "배송이 너무 늦어요",
        "phone": "+82 10 1234 5678",  # the same number, written differently
    }
    for kind, record in ((RecordKind.CUSTOMERS, customer), (RecordKind.FEEDBACK, call)):
        receipt = accept_records(store, settings, kind, [(0, record)], origin="api")
        assert receipt.rejected == 0, receipt.rejections
    Worker(store, settings).run_until_idle()


def _identity_rows(store: Store) -> list[dict[str, Any]]:
    with store.read() as conn:
        return [dict(r) for r in conn.execute(sa.select(customer_identities)).mappings()]


def _the_customer(store: Store) -> str:
    with store.read() as conn:
        return str(conn.execute(sa.select(customers.c.id)).scalar_one())


def _search(store: Store, ring: KeyRing, text: str) -> list[str]:
    with store.read() as conn:
        return [i["id"] for i in profiles.list_customers(conn, ring, search=text, page=1, page_size=10)["items"]]


def test_identifiers_are_never_stored_in_clear(store: Store, settings: Settings) -> None:
    _ingest(store, settings)
    rows = _identity_rows(store)
    assert {r["kind"] for r in rows} == {"email", "phone", "external_id"}
    for row in rows:
        text = " ".join(str(v) for v in row.values())
        assert not [s for s in SECRETS if s in text], f"plaintext identifier in {row}"
    shown = {r["kind"]: r["value"] for r in rows}
    assert shown == {"email": "mi***@example.com", "phone": "+82 10-****-5678", "external_id": "C-****01"}
    ring = load_key_ring(settings)
    assert {r["kind"]: ring.decrypt(r["raw_value"]) for r in rows} == {
        "email": EMAIL,
        "phone": PHONE,
        "external_id": EXTERNAL,
    }
    assert all(str(r["link_key"]).startswith("bi1:") for r in rows)
    customer = _the_customer(store)
    with store.read() as conn:  # the call, written "+82 10 1234 5678", linked to the CRM customer
        assert conn.execute(sa.select(feedback.c.customer_id)).scalar_one() == customer
        assert contact_email(conn, ring, customer) == "minsu.kim@example.com"


def test_lookup_by_email_and_by_any_writing_of_the_phone(store: Store, settings: Settings) -> None:
    _ingest(store, settings)
    ring, customer = load_key_ring(settings), _the_customer(store)
    for text in ("minsu.kim@example.com", " MINSU.KIM@EXAMPLE.COM", "01012345678", "+82 10-1234-5678", EXTERNAL):
        assert _search(store, ring, text) == [customer], text
    assert _search(store, ring, "5678") == []  # fragments of identifiers are not searchable any more
    assert _search(store, ring, "민수") == [customer]  # names still are
    with store.read() as conn:
        found = customers_by_identifier(conn, ring, [normalize_phone("+82 (0)10 1234 5678")])
    assert found == {"phone::+821012345678": customer}


def test_rotation_reencrypts_and_lookups_survive_rotate_and_retire(store: Store, settings: Settings) -> None:
    _ingest(store, settings)
    old, customer = load_key_ring(settings), _the_customer(store)
    before = {r["id"]: r for r in _identity_rows(store)}
    ring = add_new_key(settings)
    assert reencrypt(store, ring, encrypted_columns())["customer_identities.raw_value"] == 3
    after = {r["id"]: r for r in _identity_rows(store)}
    for row_id, row in after.items():
        assert KeyRing.key_id_of(row["raw_value"]) == ring.current_key_id != old.current_key_id
        assert row["link_key"] == before[row_id]["link_key"]  # the index key is not rotated
        assert row["value"] == before[row_id]["value"]
    assert retire_old_keys(settings, store) == [old.current_key_id]
    retired = load_key_ring(settings)
    assert retired.key_ids == [ring.current_key_id]
    assert _search(store, retired, "010 1234 5678") == [customer]
    assert _search(store, retired, "minsu.kim@example.com") == [customer]
    # New records keep linking to the same row: one identifier, one row.
    _ingest(store, settings)
    assert len(_identity_rows(store)) == 3
    with store.read() as conn:
        assert set(conn.execute(sa.select(feedback.c.customer_id)).scalars()) == {customer}


def test_reencrypt_converts_plaintext_rows_from_before(store: Store, settings: Settings) -> None:
    now = datetime(2026, 5, 1)
    with store.write() as conn:
        conn.execute(customers.insert().values(id=(customer := new_id()), created_at=now, updated_at=now, source="crm"))
        for kind, value, raw, key in (
            ("email", "lee@example.com", "Lee@Example.com", "email::lee@example.com"),
            ("phone", "+821099998888", "010-9999-8888", "phone::+821099998888"),
            ("email", "lee@@bad", "lee@@bad", None),
        ):
            conn.execute(
                customer_identities.insert().values(
                    id=new_id(), customer_id=customer, kind=kind, namespace="", value=value, raw_value=raw,
                    is_valid=key is not None, link_key=key, created_at=now, source="crm",
                )
            )  # fmt: skip
    ring = load_key_ring(settings)
    assert _search(store, ring, "lee@example.com") == [customer]  # legacy rows keep working before conversion
    assert reencrypt(store, ring, encrypted_columns())["customer_identities.raw_value"] == 3
    rows = _identity_rows(store)
    assert not [r for r in rows if "lee@" in str(r["value"]) + str(r["link_key"]) + str(r["raw_value"])]
    assert sorted(ring.decrypt(r["raw_value"]) for r in rows) == ["010-9999-8888", "Lee@Example.com", "lee@@bad"]
    assert sum(r["link_key"] is None for r in rows) == 1  # the malformed one still links nothing
    assert _search(store, ring, "LEE@example.com") == [customer]
    assert _search(store, ring, "010 9999 8888") == [customer]
    with store.read() as conn:
        assert customers_by_identifier(conn, ring, [normalize_email("lee@example.com")]) == {
            "email::lee@example.com": customer
        }
    assert reencrypt(store, ring, encrypted_columns())["customer_identities.raw_value"] == 0


def _sign_in(client: TestClient, email: str, password: str) -> None:
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    form = {"email": email, "password": password, "csrf_token": token.group(1), "next": "/"}
    assert client.post("/login", data=form, follow_redirects=False).status_code == 303


def test_profile_page_masks_by_default_and_audits_each_reveal(
    duckdb_client: TestClient, duckdb_store: Store, duckdb_settings: Settings
) -> None:
    _ingest(duckdb_store, duckdb_settings)
    customer = _the_customer(duckdb_store)
    masked_api = duckdb_client.get(f"/api/v1/customers/{customer}", headers=make_token(duckdb_store, TokenScope.READ))
    assert "minsu.kim" not in masked_api.text
    assert "cx1:" not in masked_api.text
    assert "mi***@example.com" in masked_api.text
    admin = duckdb_client.get(f"/api/v1/customers/{customer}", headers=make_token(duckdb_store, TokenScope.ADMIN))
    assert {i["raw_value"] for i in admin.json()["identities"]} == {EMAIL, PHONE, EXTERNAL}

    access.create_user(duckdb_store, "analyst@example.com", "분석가", "correct horse battery", Role.ANALYST, source="t")
    _sign_in(duckdb_client, "analyst@example.com", "correct horse battery")
    page = duckdb_client.get(f"/customers/{customer}")
    assert page.status_code == 200
    assert "mi***@example.com" in page.text
    assert "minsu.kim@example.com" not in page.text

    access.create_user(duckdb_store, "admin@example.com", "관리자", "correct horse battery", Role.ADMIN, source="t")
    _sign_in(duckdb_client, "admin@example.com", "correct horse battery")
    for _ in range(2):
        assert "minsu.kim@example.com" in duckdb_client.get(f"/customers/{customer}").text
    with duckdb_store.read() as conn:
        views = conn.execute(
            sa.select(audit_log.c.actor, audit_log.c.target_id, audit_log.c.details).where(
                audit_log.c.action == "pii.view"
            )
        ).all()
    assert [(actor, target) for actor, target, _ in views] == [("admin@example.com", customer)] * 2
    assert "minsu" not in str([details for *_, details in views])
