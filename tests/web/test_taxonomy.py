"""The topic taxonomy can be read and edited through the API and the settings page, validated
first, and the analysis uses the edited one."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

from cxloop.access import create_user
from cxloop.domain import Role, TokenScope
from cxloop.store.engine import Store
from support.helpers import make_token

NEW_TOPIC = {
    "id": "membership_card",
    "name_ko": "멤버십 카드",
    "name_en": "membership card",
    "description": "Physical membership cards",
    "seeds_ko": ["멤버십카드", "회원카드"],
    "seeds_en": ["membership card"],
}


def test_the_api_validates_saves_and_uses_an_edited_taxonomy(duckdb_client: TestClient, duckdb_store: Store) -> None:
    admin = make_token(duckdb_store, TokenScope.ADMIN)
    reader = make_token(duckdb_store, TokenScope.READ)
    taxonomy: dict[str, Any] = duckdb_client.get("/api/v1/taxonomy", headers=reader).json()
    assert len(taxonomy["topics"]) >= 12

    broken = {**taxonomy, "topics": [*taxonomy["topics"], {**NEW_TOPIC, "id": taxonomy["topics"][0]["id"]}]}
    refused = duckdb_client.put("/api/v1/taxonomy", json=broken, headers=admin)
    assert refused.status_code == 422
    assert taxonomy["topics"][0]["id"] in refused.json()["error"]["message"]
    assert duckdb_client.put("/api/v1/taxonomy", json=taxonomy, headers=reader).status_code == 403

    edited = {**taxonomy, "version": "1.1.0", "topics": [*taxonomy["topics"], NEW_TOPIC]}
    saved = duckdb_client.put("/api/v1/taxonomy", json=edited, headers=admin)
    assert saved.status_code == 200
    assert duckdb_client.get("/api/v1/taxonomy", headers=reader).json()["version"] == "1.1.0"
    analysis = duckdb_client.post("/api/v1/analyze", json={"text": "회원카드가 아직 안 왔어요"}, headers=reader).json()
    assert "membership_card" in [t["topic"] for t in analysis["results"][0]["topics"]]


def test_the_settings_page_keeps_a_bad_edit_and_names_the_problem(
    duckdb_client: TestClient, duckdb_store: Store
) -> None:
    create_user(duckdb_store, "steward@example.com", "Steward", "a-long-password", Role.DATA_STEWARD, source="tests")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', duckdb_client.get("/login").text)
    assert csrf is not None
    form = {"email": "steward@example.com", "password": "a-long-password", "csrf_token": csrf.group(1), "next": "/"}
    duckdb_client.post("/login", data=form)
    page = duckdb_client.get("/settings/taxonomy", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    assert "배송" in page.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None
    bad = duckdb_client.post(
        "/settings/taxonomy", data={"taxonomy_yaml": "version: 2\ntopics:\n  - id: x\n", "csrf_token": token.group(1)}
    )
    assert bad.status_code == 422
    assert 'data-testid="taxonomy-error"' in bad.text
    assert "topics:\n  - id: x" in bad.text  # the edit is still in the box
    missing_csrf = duckdb_client.post("/settings/taxonomy", data={"taxonomy_yaml": "version: 2"})
    assert missing_csrf.status_code == 403
