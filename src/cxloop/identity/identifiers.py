"""Identifier normalization: e-mail, phone, external id, device id, social handle. Pure functions."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from cxloop.domain import IdentityKind

_EMAIL = re.compile(r"^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$")
_NON_DIGIT = re.compile(r"\D")
# Korean numbers after the leading 0: mobile 10/11/16-19, Seoul 2, regional 31-64, internet 70.
_KR_NATIONAL = re.compile(r"^(1[016789]\d{7,8}|2\d{7,8}|(3[1-3]|4[1-4]|5[1-5]|6[1-4])\d{7,8}|70\d{8})$")


@dataclass(frozen=True, slots=True)
class Identifier:
    """One identifier as given and as normalized; only valid ones may link records."""

    kind: IdentityKind
    namespace: str  # the issuing system for external ids, "" otherwise
    value: str  # normalized when valid, as given otherwise
    raw_value: str
    is_valid: bool

    @property
    def link_key(self) -> str | None:
        return f"{self.kind.value}:{self.namespace}:{self.value}" if self.is_valid else None


def _clean(raw: str) -> str:
    return unicodedata.normalize("NFKC", raw).strip()


def normalize_email(raw: str) -> Identifier:
    value = _clean(raw).replace(" ", "").lower()
    valid = bool(_EMAIL.match(value)) and len(value) <= 254
    return Identifier(IdentityKind.EMAIL, "", value if valid else raw, raw, valid)


def normalize_phone(raw: str) -> Identifier:
    """E.164 (`+821012345678`). Numbers without a country code are read as Korean."""
    cleaned = _clean(raw)
    digits = _NON_DIGIT.sub("", cleaned)
    value = ""
    if cleaned.startswith("+") or cleaned.startswith("00"):
        digits = digits[2:] if cleaned.startswith("00") else digits
        if digits.startswith("82"):
            national = digits[2:].removeprefix("0")  # "+82 (0)10 ..." is a common writing
            value = "+82" + national if _KR_NATIONAL.match(national) else ""
        elif 8 <= len(digits) <= 15:
            value = "+" + digits
    elif digits.startswith("0") and _KR_NATIONAL.match(digits[1:]):
        value = "+82" + digits[1:]
    return Identifier(IdentityKind.PHONE, "", value or raw, raw, bool(value))


def normalize_external_id(raw: str, namespace: str) -> Identifier:
    value = _clean(raw)
    return Identifier(IdentityKind.EXTERNAL_ID, namespace, value or raw, raw, bool(value))


def normalize_device_id(raw: str) -> Identifier:
    value = _clean(raw).lower()
    return Identifier(IdentityKind.DEVICE_ID, "", value or raw, raw, len(value) >= 6)


def normalize_social_handle(raw: str) -> Identifier:
    value = _clean(raw).lstrip("@").lower()
    return Identifier(IdentityKind.SOCIAL_HANDLE, "", value or raw, raw, bool(value))


def identifiers_of(record: dict[str, object], *, source: str, own_id_field: str | None) -> list[Identifier]:
    """Every identifier a canonical record carries. `own_id_field` names the field holding the
    customer's id in its source system (`external_id` for customer records)."""
    found: list[Identifier] = []
    for field_name in (own_id_field, "customer_external_id"):
        value = record.get(field_name) if field_name else None
        if isinstance(value, str) and value:
            found.append(normalize_external_id(value, source))
    for field_name, normalize in (
        ("email", normalize_email),
        ("phone", normalize_phone),
        ("device_id", normalize_device_id),
        ("social_handle", normalize_social_handle),
    ):
        value = record.get(field_name)
        if isinstance(value, str) and value:
            found.append(normalize(value))
    return found


#: When one record's identifiers point at different customers, the strongest decides.
LINK_STRENGTH = {
    IdentityKind.EXTERNAL_ID: 0,
    IdentityKind.EMAIL: 1,
    IdentityKind.PHONE: 2,
    IdentityKind.DEVICE_ID: 3,
    IdentityKind.SOCIAL_HANDLE: 4,
}
