"""One exception tree for cxloop; each class carries an HTTP status and a stable error code.

CxloopError
 ├── ConfigurationError        500  config.invalid        (startup only, never from a request)
 ├── InvalidInput (ValueError) 422  input.invalid
 │    ├── UnsupportedFile      415  input.unsupported_file
 │    └── PayloadTooLarge      413  input.too_large
 ├── AuthenticationRequired    401  auth.required
 ├── PermissionDenied          403  auth.forbidden
 ├── NotFound (LookupError)    404  not_found
 ├── Conflict                  409  conflict
 └── StoreUnavailable          503  store.unavailable
"""

from __future__ import annotations

from typing import Any, ClassVar


class CxloopError(Exception):
    """Base of every error cxloop raises on purpose."""

    status_code: ClassVar[int] = 500
    code: ClassVar[str] = "error"

    def __init__(self, message: str, *, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details is not None:
            body["details"] = self.details
        return body


class ConfigurationError(CxloopError):
    code = "config.invalid"


class InvalidInput(CxloopError, ValueError):
    status_code = 422
    code = "input.invalid"


class UnsupportedFile(InvalidInput):
    status_code = 415
    code = "input.unsupported_file"


class PayloadTooLarge(InvalidInput):
    status_code = 413
    code = "input.too_large"


class AuthenticationRequired(CxloopError):
    status_code = 401
    code = "auth.required"


class PermissionDenied(CxloopError):
    status_code = 403
    code = "auth.forbidden"


class NotFound(CxloopError, LookupError):
    status_code = 404
    code = "not_found"


class Conflict(CxloopError):
    status_code = 409
    code = "conflict"


class StoreUnavailable(CxloopError):
    status_code = 503
    code = "store.unavailable"


class RateLimited(CxloopError):
    """Too many requests from one caller; `retry_after` seconds until the next one is accepted."""

    status_code = 429
    code = "rate.limited"

    def __init__(self, message: str, *, retry_after: float) -> None:
        super().__init__(message, details={"retry_after_seconds": round(retry_after, 1)})
        self.retry_after = retry_after
