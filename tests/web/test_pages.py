"""The server-rendered pages: sign-in, rendering, errors, security headers, languages and API docs."""

from __future__ import annotations

import re
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from httpx import Response

from cxloop import access
from cxloop.config import Settings
from cxloop.domain import RecordKind, Role
from cxloop.jobs.intake import accept_records
from cxloop.jobs.worker import Worker
from cxloop.store.engine import Store
from cxloop.store.tables import customers, feedback, users

EMAIL, PASSWORD = "agent@example.com", "correct horse battery"
XSS = "<script>alert(1)</script>"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_TAG = re.compile(r"<[^>]+>")


def _visible(html: str) -> str:
    """The page without its tags: highlighted terms split a text into several elements."""
    return _TAG.sub("", html)


@pytest.fixture
def user(duckdb_store: Store) -> str:
    return access.create_user(duckdb_store, EMAIL, "상담원 김", PASSWORD, Role.ADMIN, source="tests")


def _csrf(client: TestClient, path: str = "/login") -> str:
    page = client.get(path)
    assert page.status_code == 200, page.text
    match = _CSRF.search(page.text)
    assert match, "the page carries no CSRF token"
    return match.group(1)


def _login(client: TestClient, password: str = PASSWORD, *, next_url: str = "/", **headers: str) -> Response:
    form = {"email": EMAIL, "password": password, "csrf_token": _csrf(client), "next": next_url}
    return client.post("/login", data=form, headers=headers, follow_redirects=False)


@pytest.fixture
def signed_in(duckdb_client: TestClient, user: str) -> TestClient:
    response = _login(duckdb_client)
    assert response.status_code == 303, response.text
    return duckdb_client


@pytest.fixture
def processed(duckdb_store: Store, duckdb_settings: Settings) -> dict[str, str]:
    """One customer, with hostile markup in the name, and two feedback items; ids by role."""
    records: list[tuple[RecordKind, dict[str, Any]]] = [
        (RecordKind.CUSTOMERS, {"source": "crm", "external_id": "C-1", "name": XSS, "phone": "010-1234-5678"}),
        (
            RecordKind.FEEDBACK,
            {
                "source": "callcenter",
                "feedback_id": "T-1",
                "phone": "01012345678",
                "channel": "call",
                "occurred_at": "2026-06-03T14:22:05+09:00",
                "text": "배송이 너무 늦어요, 벌써 일주일째입니다",
            },
        ),
        (
            RecordKind.FEEDBACK,
            {
                "source": "web",
                "feedback_id": "W-1",
                "channel": "web_form",
                "occurred_at": "2026-06-03T15:00:00+09:00",
                "text": f"hello {XSS}",
            },
        ),
    ]
    for kind, record in records:
        receipt = accept_records(duckdb_store, duckdb_settings, kind, [(0, record)], origin="api")
        assert receipt.accepted == 1, receipt.rejections
    # Oldest first: the customer record is linked before the feedback that shares its phone number.
    assert Worker(duckdb_store, duckdb_settings).run_until_idle() == 3
    with duckdb_store.read() as conn:
        ids = dict(conn.execute(sa.select(feedback.c.external_id, feedback.c.id)).all())
        customer_id = conn.execute(sa.select(customers.c.id)).scalar_one()
    return {"call": ids["T-1"], "xss": ids["W-1"], "customer": customer_id}


# -- signing in --------------------------------------------------------------------------------


def test_pages_redirect_anonymous_visitors_to_login(duckdb_client: TestClient) -> None:
    response = duckdb_client.get("/feedback?channel=call", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/feedback%3Fchannel%3Dcall"
    login_page = duckdb_client.get(response.headers["location"])
    assert login_page.status_code == 200
    assert 'name="next" value="/feedback?channel=call"' in login_page.text


def test_wrong_password_shows_the_login_page_with_401(duckdb_client: TestClient, user: str) -> None:
    response = _login(duckdb_client, "not the password", **{"Accept-Language": "en"})
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("text/html")
    assert "Wrong e-mail or password." in response.text
    assert 'value="agent@example.com"' in response.text, "the e-mail is kept in the form"
    assert duckdb_client.get("/feedback", follow_redirects=False).status_code == 303


def test_five_failed_logins_lock_the_account(duckdb_client: TestClient, duckdb_store: Store, user: str) -> None:
    for _ in range(access.MAX_FAILED_LOGINS):
        assert _login(duckdb_client, "guessing wrong").status_code == 401
    locked = _login(duckdb_client, **{"Accept-Language": "en"})  # the right password no longer helps
    assert locked.status_code == 401
    assert "Too many failed attempts" in locked.text
    with duckdb_store.read() as conn:
        locked_until = conn.execute(sa.select(users.c.locked_until).where(users.c.id == user)).scalar_one()
    assert locked_until is not None


@pytest.mark.parametrize("token", [None, "forged-token"])
def test_login_without_a_valid_csrf_token_is_refused(duckdb_client: TestClient, user: str, token: str | None) -> None:
    _csrf(duckdb_client)  # the session has a token; the form does not send it
    form = {"email": EMAIL, "password": PASSWORD, "next": "/"}
    if token:
        form["csrf_token"] = token
    response = duckdb_client.post("/login", data=form, follow_redirects=False)
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("text/html")
    assert duckdb_client.get("/", follow_redirects=False).status_code == 303, "no session was opened"


@pytest.mark.parametrize("target", ["//evil.com", "https://evil.com", "/\\evil.com", "javascript:alert(1)"])
def test_next_never_leaves_the_site(duckdb_client: TestClient, user: str, target: str) -> None:
    response = _login(duckdb_client, next_url=target)
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    switched = duckdb_client.get("/lang/en", params={"next": target}, follow_redirects=False)
    assert switched.headers["location"] == "/"


def test_login_follows_a_same_site_next(duckdb_client: TestClient, user: str) -> None:
    response = _login(duckdb_client, next_url="/customers?q=kim")
    assert (response.status_code, response.headers["location"]) == (303, "/customers?q=kim")


# -- pages -------------------------------------------------------------------------------------


def test_signed_in_pages_render(signed_in: TestClient, processed: dict[str, str]) -> None:
    expected = {
        "/": "피드백 수신함",
        "/feedback": "배송이 너무 늦어요, 벌써 일주일째입니다",
        f"/feedback/{processed['call']}": "배송이 너무 늦어요, 벌써 일주일째입니다",
        "/customers": f'href="/customers/{processed["customer"]}"',
        f"/customers/{processed['customer']}": "+821012345678",
        "/import": 'type="file"',
    }
    for path, text in expected.items():
        page = signed_in.get(path)
        assert page.status_code == 200, f"{path}: {page.status_code} {page.text[:500]}"
        assert page.headers["content-type"].startswith("text/html")
        assert text in page.text or text in _visible(page.text), f"{path} does not show {text!r}"
        assert "상담원 김" in page.text, f"{path} does not show who is signed in"
    # The feedback page and the profile link to each other.
    assert f"/customers/{processed['customer']}" in signed_in.get(f"/feedback/{processed['call']}").text
    assert f"/feedback/{processed['call']}" in signed_in.get(f"/customers/{processed['customer']}").text


def test_unknown_feedback_is_a_404_page(signed_in: TestClient) -> None:
    response = signed_in.get("/feedback/01NOSUCHFEEDBACK0000000000")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "no feedback with id 01NOSUCHFEEDBACK0000000000" in response.text
    assert signed_in.get("/customers/01NOSUCHCUSTOMER0000000000").status_code == 404


def test_unknown_api_path_is_a_404_json(duckdb_client: TestClient) -> None:
    response = duckdb_client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["error"]["code"] == "not_found"


def test_the_site_icon_is_served_from_the_package(duckdb_client: TestClient) -> None:
    page = duckdb_client.get("/login")
    assert '<link rel="icon" href="/static/favicon.svg"' in page.text
    icon = duckdb_client.get("/favicon.ico")  # what a browser asks for where no page names an icon
    assert icon.status_code == 200
    assert icon.headers["content-type"].startswith("image/svg+xml")
    assert icon.text.startswith("<svg")


def test_pages_send_security_headers(duckdb_client: TestClient, signed_in: TestClient) -> None:
    for path in ("/login", "/", "/feedback/01NOSUCHFEEDBACK0000000000", "/docs"):
        response = signed_in.get(path)
        csp = response.headers.get("content-security-policy", "")
        assert "script-src 'self'" in csp, path
        assert "unsafe-inline" not in csp, path
        assert "frame-ancestors 'none'" in csp, path
        assert response.headers.get("x-frame-options") == "DENY", path
        assert response.headers.get("x-content-type-options") == "nosniff", path


def test_stored_markup_is_escaped(signed_in: TestClient, processed: dict[str, str]) -> None:
    for path in ("/feedback", f"/feedback/{processed['xss']}", "/customers", f"/customers/{processed['customer']}"):
        page = signed_in.get(path)
        assert page.status_code == 200, path
        assert XSS not in page.text, f"{path} renders stored markup unescaped"
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in _visible(page.text), path


# -- language ----------------------------------------------------------------------------------


def test_language_follows_the_browser_then_the_cookie(signed_in: TestClient) -> None:
    english = signed_in.get("/feedback", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert "Feedback inbox" in english.text
    assert "피드백 수신함" not in english.text
    assert '<html lang="en">' in english.text

    switched = signed_in.get("/lang/ko", params={"next": "/feedback"}, follow_redirects=False)
    assert (switched.status_code, switched.headers["location"]) == (303, "/feedback")
    assert "cxloop_lang=ko" in switched.headers["set-cookie"]
    korean = signed_in.get("/feedback", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert "피드백 수신함" in korean.text
    assert '<html lang="ko">' in korean.text


def test_login_page_language_defaults_to_korean(duckdb_client: TestClient) -> None:
    assert "로그인" in duckdb_client.get("/login").text
    assert "Sign in" in duckdb_client.get("/login", headers={"Accept-Language": "en-GB"}).text


# -- API docs ----------------------------------------------------------------------------------


def test_docs_serve_the_vendored_swagger_ui(duckdb_client: TestClient) -> None:
    page = duckdb_client.get("/docs")
    assert page.status_code == 200
    assert re.findall(r"(?:https?:)?//[^\s\"'<>]+", page.text) == [], "the docs page must not load anything external"
    assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', page.text)
    assert any("swagger-ui-bundle" in a for a in assets)
    for asset in assets:
        assert duckdb_client.get(asset).status_code == 200, f"{asset} is not shipped"


def test_openapi_lists_the_ingest_routes(duckdb_client: TestClient) -> None:
    spec = duckdb_client.get("/openapi.json").json()
    for kind in ("customers", "events", "feedback"):
        operation = spec["paths"][f"/api/v1/{kind}"]["post"]
        assert operation["operationId"] == f"ingest_{kind}"
    assert not any(path.startswith(("/login", "/feedback", "/customers")) for path in spec["paths"]), (
        "pages stay out of the API description"
    )
