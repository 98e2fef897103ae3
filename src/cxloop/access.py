"""Who may do what: users with argon2 passwords, API tokens stored hashed, scopes and lockout."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from cxloop.domain import Role, TokenScope, new_id
from cxloop.errors import AuthenticationRequired, Conflict, InvalidInput, NotFound, PermissionDenied
from cxloop.store import accounts, audit
from cxloop.store.engine import Store
from cxloop.store.intake import utc_now

_hasher = PasswordHasher()
TOKEN_PREFIX = "cxl_"  # noqa: S105 - a public marker, not a secret
MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
MIN_PASSWORD_LENGTH = 10


@dataclass(frozen=True, slots=True)
class TokenPrincipal:
    """The caller behind a valid API token."""

    token_id: str
    name: str
    scopes: frozenset[TokenScope]

    def require(self, scope: TokenScope) -> None:
        if scope not in self.scopes and TokenScope.ADMIN not in self.scopes:
            raise PermissionDenied(f"this token lacks the {scope.value!r} scope")


def hash_token(secret: str) -> str:
    # Tokens are long random secrets, so a fast hash is enough; passwords get argon2.
    return hashlib.sha256(secret.encode()).hexdigest()


def parse_scopes(text: str) -> frozenset[TokenScope]:
    scopes = set()
    for part in (p.strip().lower() for p in text.split(",")):
        if not part:
            continue
        try:
            scopes.add(TokenScope(part))
        except ValueError:
            allowed = ", ".join(s.value for s in TokenScope)
            raise InvalidInput(f"unknown scope {part!r}; scopes are: {allowed}") from None
    if not scopes:
        raise InvalidInput("give at least one scope, e.g. --scopes ingest,read")
    return frozenset(scopes)


def create_token(
    store: Store,
    name: str,
    scopes: frozenset[TokenScope],
    *,
    created_by: str,
    expires_in_days: int | None = None,
) -> str:
    """Create a token and return its secret. Only the hash is stored: the secret is shown once."""
    name = name.strip()
    if not name or len(name) > 100:
        raise InvalidInput("a token needs a name of 1–100 characters")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = utc_now()
    with store.write() as conn:
        accounts.insert_token(
            conn,
            id=new_id(),
            name=name,
            token_hash=hash_token(secret),
            prefix=secret[:10],
            scopes=",".join(sorted(s.value for s in scopes)),
            created_at=now,
            expires_at=now + timedelta(days=expires_in_days) if expires_in_days else None,
            created_by=created_by,
        )
    return secret


def authenticate_token(store: Store, secret: str) -> TokenPrincipal:
    if not secret.startswith(TOKEN_PREFIX):
        raise AuthenticationRequired("invalid API token")
    with store.read() as conn:
        token = accounts.find_token_by_hash(conn, hash_token(secret))
    now = utc_now()
    if token is None or token["revoked_at"] is not None:
        raise AuthenticationRequired("invalid or revoked API token")
    if token["expires_at"] is not None and token["expires_at"] <= now:
        raise AuthenticationRequired("this API token has expired")
    return TokenPrincipal(token["id"], token["name"], frozenset(TokenScope(s) for s in token["scopes"].split(",")))


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    return _hasher.hash(password)


def create_user(
    store: Store, email: str, name: str, password: str, role: Role, *, source: str, locale: str | None = None
) -> str:
    email = email.strip().lower()
    if "@" not in email or len(email) > 320:
        raise InvalidInput(f"{email!r} is not an e-mail address")
    password_hash = hash_password(password)
    user_id = new_id()
    with store.write() as conn:
        if accounts.find_user_by_email(conn, email) is not None:
            raise Conflict(f"a user with e-mail {email} already exists")
        accounts.insert_user(
            conn,
            id=user_id,
            email=email,
            name=name.strip() or email,
            password_hash=password_hash,
            role=role.value,
            locale=locale,
            is_active=True,
            failed_logins=0,
            created_at=utc_now(),
            source=source,
        )
    return user_id


def authenticate_password(store: Store, email: str, password: str) -> dict[str, Any]:
    """The user for these credentials. Repeated failures lock the account for a while."""
    failure = AuthenticationRequired("wrong e-mail or password", details={"reason": "failed"})
    now = utc_now()
    with store.write() as conn:
        user = accounts.find_user_by_email(conn, email.strip().lower())
        if user is None or not user["is_active"]:
            _hasher.hash(password)  # same cost as a real check, so timing does not reveal accounts
            raise failure
        if user["locked_until"] is not None and user["locked_until"] > now:
            raise AuthenticationRequired(
                "too many failed attempts; try again in a few minutes", details={"reason": "locked"}
            )
        try:
            _hasher.verify(user["password_hash"], password)
        except (VerificationError, InvalidHashError):
            failed = int(user["failed_logins"]) + 1
            locked = now + LOCKOUT if failed >= MAX_FAILED_LOGINS else None
            # Recorded before raising, outside the transaction, so the failed attempt is committed.
            accounts.update_user(conn, user["id"], failed_logins=0 if locked else failed, locked_until=locked)
            # Audited in the same transaction as the counter; never the password, only the outcome.
            audit.record(
                conn,
                store.dialect,
                actor=str(user["email"]),
                action=audit.AuditAction.LOGIN_FAILED,
                target_kind="user",
                target_id=str(user["id"]),
                details={"attempt": failed, "locked": locked is not None},
            )
        else:
            accounts.update_user(conn, user["id"], failed_logins=0, locked_until=None, last_login_at=now)
            return user
    raise failure


def set_role(
    store: Store, user_ref: str, *, actor: str, role: Role | None = None, is_active: bool | None = None
) -> dict[str, Any]:
    """Change a user's (by id, or by e-mail) role and/or whether they may sign in, with a
    `role.change` audit entry (before and after) in the same transaction. Returns the user now."""
    if role is None and is_active is None:
        raise InvalidInput("give role and/or is_active")
    with store.write() as conn:
        if "@" in user_ref:
            user = accounts.find_user_by_email(conn, user_ref.strip().lower())
        else:
            user = accounts.find_user(conn, user_ref)
        if user is None:
            raise NotFound(f"no user {user_ref}")
        user_id = str(user["id"])
        changes: dict[str, Any] = {}
        if role is not None and role.value != user["role"]:
            changes["role"] = role.value
        if is_active is not None and is_active != bool(user["is_active"]):
            changes["is_active"] = is_active
        if changes:
            accounts.update_user(conn, user_id, **changes)
            audit.record(
                conn,
                store.dialect,
                actor=actor,
                action=audit.AuditAction.ROLE_CHANGE,
                target_kind="user",
                target_id=user_id,
                details={
                    "email": user["email"],
                    "before": {"role": user["role"], "is_active": bool(user["is_active"])},
                    "after": {
                        "role": changes.get("role", user["role"]),
                        "is_active": changes.get("is_active", bool(user["is_active"])),
                    },
                },
            )
        user.update(changes)
    return {k: user[k] for k in ("id", "email", "name", "role", "is_active")}


def revoke_token(store: Store, name: str) -> int:
    with store.write() as conn:
        return accounts.revoke_token(conn, name, utc_now())


def list_tokens(store: Store) -> list[dict[str, Any]]:
    with store.read() as conn:
        rows = accounts.list_tokens(conn)
    return [{k: v for k, v in row.items() if k != "token_hash"} for row in rows]
