"""Erasure acceptance: one customer seeded everywhere is gone from every table and every file, and an
unrelated customer is untouched. Also the export ZIP, on both stores."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient

from cxloop.config import Settings
from cxloop.domain import TokenScope, new_id
from cxloop.governance.audit import verify_chain
from cxloop.governance.consent import set_consents
from cxloop.governance.dsr import export_customer, write_export
from cxloop.jobs.worker import Worker
from cxloop.route.casework import add_note, add_reply
from cxloop.route.manual import create_case_by_hand
from cxloop.store import merges
from cxloop.store.cases import ensure_teams
from cxloop.store.engine import Store
from cxloop.store.tables import audit_log, customers, erasure_tombstones, feedback, metadata
from support.helpers import make_token

NOW = datetime(2026, 6, 10, 9, 0)
# Every way the erased customer can be recognized. Phone numbers in several writings on purpose.
NEEDLES = [
    "gilsoon.hong@example.com", "gs.hong@work.example", "010-5555-1234", "01055551234", "+821055551234",
    "010 5555 1234", "C-7001", "C-7002", "홍길순", "택배상자가 찢어진 채로",
]  # fmt: skip
OTHER = ["emily.carter@example.com", "C-9001", "Emily Carter", "포장이 아주 꼼꼼해요"]


def _ingest(client: TestClient, headers: dict[str, str], kind: str, records: list[dict[str, Any]]) -> None:
    response = client.post(f"/api/v1/{kind}", json=records, headers=headers)
    assert response.status_code == 202, response.text


def _seed(client: TestClient, store: Store, settings: Settings, headers: dict[str, str]) -> dict[str, Any]:
    _ingest(client, headers, "customers", [
        {"external_id": "C-7001", "source": "crm", "name": "홍길순", "email": "GilSoon.Hong@example.com",
         "phone": "010-5555-1234", "city": "부산"},
        {"external_id": "C-7002", "source": "crm", "name": "홍길순", "email": "gs.hong@work.example"},
        {"external_id": "C-9001", "source": "crm", "name": "Emily Carter", "email": "emily.carter@example.com"},
    ])  # fmt: skip
    _ingest(client, headers, "feedback", [
        {"feedback_id": "F-1", "source": "chat", "email": "gilsoon.hong@example.com", "channel": "chat",
         "occurred_at": "2026-06-01T10:00:00+09:00",
         "text": "홍길순입니다. 택배상자가 찢어진 채로 왔어요. 010-5555-1234로 연락 주세요. 환불 원합니다!"},
        {"feedback_id": "F-2", "source": "call", "phone": "01055551234", "channel": "call",
         "occurred_at": "2026-06-02T10:00:00+09:00", "text": "환불 아직 안 됐어요. 01055551234 홍길순"},
        {"feedback_id": "F-3", "source": "chat", "customer_external_id": "C-9001", "channel": "chat",
         "occurred_at": "2026-06-02T11:00:00+09:00", "text": "포장이 아주 꼼꼼해요"},
    ])  # fmt: skip
    _ingest(client, headers, "events", [
        {"event_id": "E-1", "source": "web", "email": "gilsoon.hong@example.com", "type": "purchase",
         "channel": "web", "occurred_at": "2026-05-30T10:00:00+09:00", "value": 39000},
        {"event_id": "E-2", "source": "web", "customer_external_id": "C-9001", "type": "purchase",
         "channel": "web", "occurred_at": "2026-05-30T11:00:00+09:00", "value": 12000},
    ])  # fmt: skip
    assert Worker(store, settings).run_until_idle() >= 8
    with store.read() as conn:
        by_ext = dict(conn.execute(sa.select(feedback.c.external_id, feedback.c.id)).all())
        people = {n: i for i, n in conn.execute(sa.select(customers.c.id, customers.c.name)).all()}
        ids = sorted(i for i, n in conn.execute(sa.select(customers.c.id, customers.c.name)).all() if n == "홍길순")
    first, second = ids
    emily = people["Emily Carter"]
    with store.write() as conn:
        merges.merge(conn, first, second, actor="tests", rule="manual", now=NOW, reasons=["same name"])
        ensure_teams(conn, ["support"], NOW)
        case = create_case_by_hand(
            conn, store.dialect, settings, {"subject": "홍길순 환불 요청", "team": "support", "customer_id": first,
                                            "feedback_id": by_ext["F-1"]},
            actor=None, now=NOW, allowed_team_ids=None,
        )  # fmt: skip
        add_note(conn, store.dialect, case["id"], "홍길순 고객 010-5555-1234 통화 완료", actor=None, now=NOW)
        add_reply(conn, store.dialect, case["id"], "홍길순님, 환불 처리했습니다.", actor=None, now=NOW)
        tables = metadata.tables
        action_id = new_id()
        conn.execute(tables["improvement_actions"].insert().values(
            id=action_id, title="포장 개선", status="planned", before_days=14, after_days=14, created_at=NOW,
            updated_at=NOW, version=1))  # fmt: skip
        conn.execute(tables["action_feedback"].insert().values(action_id=action_id, feedback_id=by_ext["F-1"],
                                                               linked_at=NOW))  # fmt: skip
        conn.execute(tables["notifications"].insert().values(
            id=new_id(), user_id=new_id(), title="VIP 불만: 홍길순", body="010-5555-1234 고객 불만",
            link=f"/customers/{first}", created_at=NOW))  # fmt: skip
        conn.execute(tables["notification_deliveries"].insert().values(
            id=new_id(), kind="customer_followup", target=first, event="case.resolved",
            payload={"customer_id": first, "email": "gilsoon.hong@example.com", "name": "홍길순"},
            dedupe_key=f"followup:{first}", status="pending", attempts=0, next_attempt_at=NOW, created_at=NOW,
            updated_at=NOW))  # fmt: skip
        conn.execute(tables["emerging_issues"].insert().values(
            id=new_id(), kind="topic_spike", subject="delivery", day=NOW.date(), observed=3, expected=1.0, lift=3.0,
            score=2.0, examples=[by_ext["F-1"], by_ext["F-3"]], status="open", detected_at=NOW))  # fmt: skip
    set_consents(store, settings, first, {"marketing_contact": True}, source="call", actor="tests",
                 evidence="call with 010-5555-1234")  # fmt: skip
    _, data = export_customer(store, settings, first, actor="tests")
    write_export(settings, first, data)
    return {"first": first, "second": second, "emily": emily, "case": case["id"], "feedback": by_ext}


def _text_of(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)


def _store_text(store: Store) -> str:
    """Every text-like value of every table, found from the metadata so new tables are scanned too."""
    parts: list[str] = []
    with store.read() as conn:
        for table in metadata.sorted_tables:
            columns = [c for c in table.c if isinstance(c.type, (sa.String, sa.Text, sa.JSON))]
            for row in conn.execute(sa.select(*columns)).all():
                parts.extend(_text_of(v) for v in row if v is not None)
    return "\n".join(parts)


def _files_text(root: Path) -> str:
    # The DuckDB file lives outside the data directory in these tests (tmp/store/) and is checked through
    # SQL above. Its raw bytes are not scanned: after DELETE + CHECKPOINT the rows are gone from every
    # active block, but freed blocks keep their old bytes until DuckDB reuses them (measured: the
    # erased strings are still in the file's free space), as PostgreSQL's heap keeps them until VACUUM.
    return "\n".join(p.read_bytes().decode("utf-8", "replace") for p in root.rglob("*") if p.is_file())


def _other_customer(store: Store, emily: str) -> dict[str, Any]:
    with store.read() as conn:
        found = {}
        for table in metadata.sorted_tables:
            if "customer_id" in table.c:
                rows = conn.execute(sa.select(table).where(table.c.customer_id == emily)).mappings().all()
                found[table.name] = sorted(json.dumps(dict(r), default=str, sort_keys=True) for r in rows)
        found["profile"] = [str(dict(conn.execute(sa.select(customers).where(customers.c.id == emily)).one()._mapping))]
    return found


def test_export_then_erase_leaves_nothing_and_keeps_the_other_customer(
    client: TestClient, store: Store, settings: Settings
) -> None:
    admin = make_token(store, TokenScope.ADMIN, TokenScope.INGEST)
    seeded = _seed(client, store, settings, admin)
    before = _store_text(store) + _files_text(settings.data_dir)
    assert all(n in before for n in ["홍길순", "C-7001", "010-5555-1234", "택배상자가 찢어진 채로"])
    other_before = _other_customer(store, seeded["emily"])

    reader = make_token(store, TokenScope.READ)
    assert client.post(f"/api/v1/customers/{seeded['first']}/erase", headers=reader).status_code == 403
    assert client.post("/api/v1/customers/NOPE/export", headers=admin).status_code == 404
    exported = client.post(f"/api/v1/customers/{seeded['second']}/export", headers=admin)
    assert exported.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(exported.content))
    files = {name: json.loads(archive.read(name)) for name in archive.namelist()}
    assert set(files["manifest.json"]["customer_ids"]) == {seeded["first"], seeded["second"]}
    assert {i["raw_value"] for i in files["customer_identities.json"]} >= {"010-5555-1234", "gs.hong@work.example"}
    assert any("택배상자" in (f["text_raw"] or f["text"] or "") for f in files["feedback.json"])
    assert any(h["note"] and "통화 완료" in h["note"] for h in files["case_history.json"])
    assert files["customer_merges.json"][0]["merged_id"] == seeded["second"]
    assert files["consents.json"][0]["evidence"] == "call with 010-5555-1234"
    assert files["improvement_actions.json"][0]["title"] == "포장 개선"
    assert "mentions/notifications.json" in files
    assert "mentions/emerging_issues.json" in files
    assert {e["action"] for e in files["audit_log.json"]} >= {"consent.change", "export"}
    assert "Emily" not in exported.content.decode("latin-1")

    erased = client.post(f"/api/v1/customers/{seeded['second']}/erase", headers=admin)
    assert erased.status_code == 200, erased.text
    summary = erased.json()
    assert summary["customer_id"] == seeded["first"]
    assert summary["files_removed"] == 1
    assert summary["counts"]["removed_or_anonymized"]["customers"] == 2

    after = _store_text(store) + _files_text(settings.data_dir)
    assert [n for n in NEEDLES if n in after or n.lower() in after.lower()] == []
    assert _other_customer(store, seeded["emily"]) == other_before
    assert all(n in after for n in OTHER)
    with store.read() as conn:
        assert verify_chain(conn).ok
        entry = conn.execute(sa.select(audit_log).where(audit_log.c.action == "erase")).mappings().one()
        tombstone = conn.execute(sa.select(erasure_tombstones)).mappings().one()
        anonymous = conn.execute(sa.select(feedback).where(feedback.c.id == seeded["feedback"]["F-1"])).mappings().one()
        issue = conn.execute(sa.select(metadata.tables["emerging_issues"].c.examples)).scalar_one()
    assert entry["target_id"] == seeded["first"]
    assert len(tombstone["customer_hashes"]) == 2
    assert seeded["first"] not in json.dumps(tombstone["customer_hashes"])
    assert anonymous["customer_id"] is None
    assert anonymous["text"] is None
    assert anonymous["channel"] == "chat"
    assert issue == [seeded["feedback"]["F-3"]]
    assert client.post(f"/api/v1/customers/{seeded['first']}/export", headers=admin).status_code == 404
