"""How CLI commands reach the store: directly, or through the API of the server that owns it.

An embedded DuckDB file belongs to one process. When a server holds it, it announces itself in
`<data_dir>/server.json`; CLI commands then send their work to that server instead of failing on
the file lock. With PostgreSQL every command opens the store directly.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote

import httpx
import orjson

from cxloop import access
from cxloop.config import Settings
from cxloop.domain import RecordKind, Role, TokenScope
from cxloop.errors import CxloopError, StoreUnavailable
from cxloop.store.engine import Store


class Gateway(Protocol):
    description: str

    def import_file(
        self, path: Path, kind: RecordKind, mapping: dict[str, str], source: str | None
    ) -> dict[str, Any]: ...
    def create_token(self, name: str, scopes: frozenset[TokenScope], expires_in_days: int | None) -> str: ...
    def list_tokens(self) -> list[dict[str, Any]]: ...
    def revoke_token(self, name: str) -> int: ...
    def add_user(self, email: str, name: str, password: str, role: Role) -> str: ...
    def set_role(self, email: str, role: Role) -> dict[str, Any]: ...
    def status(self) -> dict[str, Any]: ...


class LocalGateway:
    def __init__(self, store: Store, settings: Settings) -> None:
        self.store, self.settings = store, settings
        self.description = f"store {store.url.render_as_string(hide_password=True)}"

    def import_file(self, path: Path, kind: RecordKind, mapping: dict[str, str], source: str | None) -> dict[str, Any]:
        from cxloop.jobs.imports import import_into_store

        report = import_into_store(
            self.store,
            self.settings,
            read_file(path),
            path.name,
            kind,
            mapping=mapping,
            default_source=source,
            submitted_by="cli",
        )
        return report.to_dict()

    def create_token(self, name: str, scopes: frozenset[TokenScope], expires_in_days: int | None) -> str:
        return access.create_token(self.store, name, scopes, created_by="cli", expires_in_days=expires_in_days)

    def list_tokens(self) -> list[dict[str, Any]]:
        return access.list_tokens(self.store)

    def revoke_token(self, name: str) -> int:
        return access.revoke_token(self.store, name)

    def add_user(self, email: str, name: str, password: str, role: Role) -> str:
        return access.create_user(self.store, email, name, password, role, source="cli")

    def set_role(self, email: str, role: Role) -> dict[str, Any]:
        return access.set_role(self.store, email, actor="cli", role=role)  # audited in the same transaction

    def status(self) -> dict[str, Any]:
        from cxloop.store import intake

        with self.store.read() as conn:
            return intake.queue_summary(conn)


class RemoteGateway:
    def __init__(self, url: str, control_token: str) -> None:
        self.description = f"server {url}"
        self._http = httpx.Client(
            base_url=url, headers={"Authorization": f"Bearer {control_token}"}, timeout=httpx.Timeout(600.0)
        )

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = self._http.request(method, "/api/v1" + path, **kwargs)
        except httpx.HTTPError as exc:
            raise StoreUnavailable(f"the cxloop server at {self._http.base_url} did not answer: {exc}") from exc
        body = response.json() if response.content else {}
        if response.status_code >= 400:
            error = body.get("error", {}) if isinstance(body, dict) else {}
            raise _RemoteError(response.status_code, error.get("message", response.text), error.get("details"))
        return body

    def import_file(self, path: Path, kind: RecordKind, mapping: dict[str, str], source: str | None) -> dict[str, Any]:
        form: dict[str, Any] = {"kind": kind.value, "mapping": [f"{k}={v}" for k, v in mapping.items()]}
        if source:
            form["source"] = source
        result: dict[str, Any] = self._call("POST", "/imports", data=form, files={"file": (path.name, read_file(path))})
        return result

    def create_token(self, name: str, scopes: frozenset[TokenScope], expires_in_days: int | None) -> str:
        body = {"name": name, "scopes": ",".join(s.value for s in scopes), "expires_in_days": expires_in_days}
        return str(self._call("POST", "/tokens", json=body)["token"])

    def list_tokens(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._call("GET", "/tokens")
        return result

    def revoke_token(self, name: str) -> int:
        return int(self._call("DELETE", f"/tokens/{name}")["revoked"])

    def add_user(self, email: str, name: str, password: str, role: Role) -> str:
        body = {"email": email, "name": name, "password": password, "role": role.value}
        return str(self._call("POST", "/users", json=body)["id"])

    def set_role(self, email: str, role: Role) -> dict[str, Any]:
        path = f"/users/{quote(email.strip(), safe='@')}"
        result: dict[str, Any] = self._call("PATCH", path, json={"role": role.value})
        return result

    def status(self) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", "/status")
        return result


class _RemoteError(CxloopError):
    def __init__(self, status: int, message: str, details: Any) -> None:
        super().__init__(message, details=details)
        self.status_code = status  # type: ignore[misc]


def read_file(path: Path) -> bytes:
    """A file's bytes, or InvalidInput naming the file and the reason."""
    try:
        return path.read_bytes()
    except OSError as exc:
        from cxloop.errors import InvalidInput

        raise InvalidInput(f"cannot read {path}: {exc.strerror or exc}") from exc


def running_server(settings: Settings) -> dict[str, Any] | None:
    """The announcement of a live server owning the embedded store, if there is one."""
    if not settings.is_embedded or not settings.server_file.exists():
        return None
    try:
        info: dict[str, Any] = orjson.loads(settings.server_file.read_bytes())
        os.kill(int(info["pid"]), 0)
    except (OSError, ValueError, KeyError, orjson.JSONDecodeError):
        return None  # stale file from a server that did not shut down cleanly
    return info


def open_gateway(settings: Settings) -> Gateway:
    server = running_server(settings)
    if server is not None:
        return RemoteGateway(str(server["url"]), str(server["control_token"]))
    from cxloop.store import migrate

    store = Store(settings.resolved_database_url)
    store.check_available()
    if store.is_embedded:
        migrate.upgrade(store)
    return LocalGateway(store, settings)
