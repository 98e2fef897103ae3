"""One person record as given → one normalized `Person`: the fields identity resolution compares.

Canonical input fields: first_name, last_name, full_name, birth_date, email, phone, address, city,
postcode, gender, national_id, source, external_id. Every value may be missing, of any type, or
malformed: a malformed value is kept as given in `Person.flags`, never used for linking, and never
stops the batch. The national id is hashed on read with a keyed hash (HMAC-SHA256) and the raw
value is not kept anywhere, not even in the flags.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import math
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from cxloop.identity.identifiers import normalize_email, normalize_phone
from cxloop.identity.names import name_key, name_text, split_name, surname_text

FIELDS = (
    "first_name", "last_name", "full_name", "birth_date", "email", "phone", "address", "city",
    "postcode", "gender", "national_id", "source", "external_id",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class EmailRules:
    """Provider rules for e-mail; off by default because they merge addresses that may differ."""

    gmail_dots: bool = False  # "min.su@gmail.com" == "minsu@gmail.com" (Gmail ignores dots)
    plus_tags: bool = False  # "minsu+shop@x.com" == "minsu@x.com"


@dataclass(frozen=True, slots=True)
class Flag:
    """A value that could not be read; `value` is as given ("<hashed>" for a national id)."""

    field: str
    value: str
    reason: str


@dataclass(slots=True)
class Person:
    record_id: str
    first_name: str | None = None  # comparable writing (romanized, lower case, no spaces)
    last_name: str | None = None
    first_key: str | None = None  # romanization variants folded
    last_key: str | None = None
    birth_date: str | None = None  # ISO
    email: str | None = None
    email_local: str | None = None
    phone: str | None = None  # E.164
    address: str | None = None
    city: str | None = None
    postcode: str | None = None
    gender: str | None = None  # "M" | "F"
    national_id: str | None = None  # keyed hash
    external_key: str | None = None  # "source:external id"
    flags: list[Flag] = field(default_factory=list)


def text_of(value: Any) -> str:
    """Any cell (None, NaN, number, date, string) as stripped NFKC text; "" when missing."""
    if value.__class__ is str:  # the common case first: this runs a dozen times per record
        return value.strip() if value.isascii() else unicodedata.normalize("NFKC", value).strip()
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, dt.date):
        value = value.isoformat()[:10]
    return unicodedata.normalize("NFKC", str(value)).strip()


# -- birth dates ---------------------------------------------------------------------------------

_DATE_PARTS = re.compile(r"^(\d{1,4})\s*[-/.년]\s*(\d{1,2})\s*[-/.월]\s*(\d{1,4})\s*[.일]?$")


def _valid_date(year: int, month: int, day: int, today: dt.date) -> str | None:
    if not 1900 <= year <= today.year:
        return None
    try:
        found = dt.date(year, month, day)
    except ValueError:
        return None
    return found.isoformat() if found <= today else None


@lru_cache(maxsize=65536)
def parse_birth_date(text: str, today: dt.date | None = None) -> str | None:
    """ISO date from 1990-01-31, 19900131, 1990.1.31, 1990년 1월 31일, 31/01/1990, 31.01.1990, 900131.
    Day and month are read day-first unless that is impossible (01/31/1990 is read month-first)."""
    today = today or dt.date.today()
    text = text.strip().rstrip(".").replace(" 00:00:00", "").replace("T00:00:00", "")
    if text.isdigit():
        if len(text) == 8:
            return _valid_date(int(text[:4]), int(text[4:6]), int(text[6:]), today)
        if len(text) == 6:  # YYMMDD, as in resident registration numbers
            year = int(text[:2])
            century = 2000 if 2000 + year <= today.year else 1900
            return _valid_date(century + year, int(text[2:4]), int(text[4:]), today)
        return None
    match = _DATE_PARTS.match(text)
    if not match:
        return None
    a, b, c = match.groups()
    if len(a) == 4:
        return _valid_date(int(a), int(b), int(c), today)
    if len(c) != 4:
        return None
    first, second, year = int(a), int(b), int(c)
    if first <= 12 < second:
        return _valid_date(year, first, second, today)
    return _valid_date(year, second, first, today)


# -- places --------------------------------------------------------------------------------------

_REGIONS = (
    ("서울특별시", "서울"), ("서울시", "서울"), ("부산광역시", "부산"), ("대구광역시", "대구"),
    ("인천광역시", "인천"), ("광주광역시", "광주"), ("대전광역시", "대전"), ("울산광역시", "울산"),
    ("세종특별자치시", "세종"), ("제주특별자치도", "제주"), ("강원특별자치도", "강원"),
    ("전북특별자치도", "전북"), ("경기도", "경기"), ("강원도", "강원"), ("충청북도", "충북"),
    ("충청남도", "충남"), ("전라북도", "전북"), ("전라남도", "전남"), ("경상북도", "경북"),
    ("경상남도", "경남"), ("제주도", "제주"),
)  # fmt: skip
_PUNCT = re.compile(r"[^\w\s-]|_")
_CITY_SUFFIX = re.compile(r"(?<=\w\w)[시군구]$")


@lru_cache(maxsize=131072)
def place_text(raw: str) -> str:
    """An address or place: NFKC, lower case, punctuation to spaces, Korean region names shortened."""
    text = _PUNCT.sub(" ", raw.lower())
    if not text.isascii():
        for long, short in _REGIONS:
            text = text.replace(long, short)
    return " ".join(text.split())


@lru_cache(maxsize=65536)
def city_text(raw: str) -> str:
    """A city: as `place_text`, and "수원시" == "수원", "seoul-si" == "seoul"."""
    text = place_text(raw).removesuffix("-si").removesuffix(" si").removesuffix(" city")
    return _CITY_SUFFIX.sub("", text)


def postcode_text(raw: str) -> str | None:
    """Digits and letters only, upper case ("123-456" → "123456"); None unless 3-10 of them."""
    value = re.sub(r"[\s-]", "", raw).upper()
    return value if 3 <= len(value) <= 10 and value.isalnum() and value.isascii() else None


_GENDERS = {
    "m": "M", "male": "M", "man": "M", "남": "M", "남자": "M", "남성": "M",
    "f": "F", "female": "F", "woman": "F", "여": "F", "여자": "F", "여성": "F",
}  # fmt: skip


# -- identifiers ---------------------------------------------------------------------------------


def email_with_rules(value: str, rules: EmailRules) -> str:
    local, _, domain = value.partition("@")
    if domain == "googlemail.com":
        domain = "gmail.com"
    if rules.plus_tags:
        local = local.split("+", 1)[0] or local
    if rules.gmail_dots and domain == "gmail.com":
        local = local.replace(".", "")
    return f"{local}@{domain}"


def hash_national_id(value: str, key: bytes) -> str:
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()[:32]


@lru_cache(maxsize=131072)
def _name_parts(first: str, last: str, full: str) -> tuple[str, str, str, str]:
    """(first, first key, last, last key) in comparable writing."""
    if not first and not last and full:
        first, last = split_name(full)
    first, last = (name_text(first) if first else ""), (surname_text(last) if last else "")
    return first, name_key(first) if first else "", last, name_key(last) if last else ""


@lru_cache(maxsize=131072)
def _phone(raw: str) -> str | None:
    number = normalize_phone(raw)
    return number.value if number.is_valid else None


def normalize_person(
    record: Mapping[str, Any], record_id: str, *, key: bytes, email_rules: EmailRules = EmailRules()
) -> Person:
    """The normalized person of one record (canonical field names); never raises on a bad value."""
    person = Person(record_id)
    flags = person.flags
    get = record.get
    first, first_key, last, last_key = _name_parts(
        text_of(get("first_name")), text_of(get("last_name")), text_of(get("full_name"))
    )
    if first:
        person.first_name, person.first_key = first, first_key
    if last:
        person.last_name, person.last_key = last, last_key
    if birth := text_of(get("birth_date")):
        person.birth_date = parse_birth_date(birth)
        if person.birth_date is None:
            flags.append(Flag("birth_date", birth, "not a date between 1900 and today"))
    if email := text_of(get("email")):
        found = normalize_email(email)
        if found.is_valid:
            person.email = email_with_rules(found.value, email_rules)
            # Dots, dashes and underscores are the part people drop or mistype; digits stay.
            person.email_local = re.sub(r"[._-]", "", person.email.partition("@")[0]) or None
        else:
            flags.append(Flag("email", email, "not an e-mail address"))
    if phone := text_of(get("phone")):
        person.phone = _phone(phone)
        if person.phone is None:
            flags.append(Flag("phone", phone, "not a phone number"))
    if address := text_of(get("address")):
        person.address = place_text(address) or None
    if city := text_of(get("city")):
        person.city = city_text(city) or None
    if postcode := text_of(get("postcode")):
        person.postcode = postcode_text(postcode)
        if person.postcode is None:
            flags.append(Flag("postcode", postcode, "not a postcode"))
    if gender := text_of(get("gender")):
        person.gender = _GENDERS.get(gender.lower())
        if person.gender is None:
            flags.append(Flag("gender", gender, "not a known gender"))
    if national := text_of(get("national_id")):
        value = re.sub(r"[\s-]", "", national).upper()
        if 5 <= len(value) <= 20 and value.isalnum() and value.isascii():
            person.national_id = hash_national_id(value, key)
        else:
            flags.append(Flag("national_id", "<hashed>", "not an identity number"))
    if external := text_of(get("external_id")):
        person.external_key = f"{text_of(get('source'))}:{external}"
    return person
