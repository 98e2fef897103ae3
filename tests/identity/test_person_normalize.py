"""Normalization of person fields: Korean and English writings agree, malformed values are flagged."""

from __future__ import annotations

import datetime as dt

import pytest

from cxloop.identity.names import name_key, romanize, split_name, surname_text
from cxloop.identity.person import EmailRules, city_text, normalize_person, parse_birth_date, place_text

KEY = b"test-key"


def person(**fields: object):  # type: ignore[no-untyped-def]
    return normalize_person(fields, "r1", key=KEY)


@pytest.mark.parametrize(
    "raw",
    [
        "1990-01-31",
        "19900131",
        "1990.1.31",
        "1990. 1. 31.",
        "31/01/1990",
        "31.01.1990",
        "1990년 1월 31일",
        "01/31/1990",
        "900131",
        "1990/01/31",
    ],
)
def test_birth_date_writings(raw: str) -> None:
    assert parse_birth_date(raw) == "1990-01-31"


@pytest.mark.parametrize("raw", ["1990-02-30", "19551192", "abc", "2999-01-01", "1850-01-01", "31/31/1990", "1990"])
def test_bad_birth_dates_are_flagged_not_used(raw: str) -> None:
    p = person(birth_date=raw)
    assert p.birth_date is None
    assert [(f.field, f.value) for f in p.flags] == [("birth_date", raw)]


def test_birth_date_from_a_date_object() -> None:
    assert person(birth_date=dt.date(1984, 3, 12)).birth_date == "1984-03-12"


def test_korean_names_in_every_writing_agree() -> None:
    writings = [
        {"full_name": "김민수"},
        {"full_name": "김 민수"},
        {"full_name": "Kim Minsu"},
        {"full_name": "MINSU KIM"},
        {"full_name": "Kim Min-su"},
        {"full_name": "Gim Min Su"},
        {"first_name": "민수", "last_name": "김"},
        {"full_name": "Minsoo Kim"},
    ]
    keys = {(p.first_key, p.last_key) for p in (person(**w) for w in writings)}
    assert keys == {(name_key("minsu"), name_key("kim"))}


def test_romanization_and_surnames() -> None:
    assert romanize("한예슬") == "hanyeseul"
    assert split_name("남궁민") == ("민", "남궁")
    assert split_name("Park Jihoon") == ("jihoon", "park")
    assert split_name("Mary Ann Smith") == ("maryann", "smith")
    assert surname_text("Bak") == surname_text("박") == surname_text("PARK") == "park"
    assert surname_text("Rhee") == surname_text("이") == "lee"
    assert name_key("jihoon") == name_key("jihun")
    assert name_key("minsu") != name_key("minji")


def test_english_names_keep_order_and_case_folding() -> None:
    p = person(first_name="  JOHN ", last_name="O'Brien")
    assert (p.first_name, p.last_name) == ("john", "obrien")


def test_email_and_phone() -> None:
    p = person(email="  Min.Su+shop@GMAIL.com ", phone="+82 (0)10-1234-5678")
    assert p.email == "min.su+shop@gmail.com"
    assert p.phone == "+821012345678"
    strict = normalize_person(
        {"email": "Min.Su+shop@googlemail.com"}, "r", key=KEY, email_rules=EmailRules(gmail_dots=True, plus_tags=True)
    )
    assert strict.email == "minsu@gmail.com"
    for writing in ("010-1234-5678", "01012345678", "(010)1234-5678", "010 1234 5678", "+82-10-1234-5678"):
        assert person(phone=writing).phone == "+821012345678"


def test_places_gender_postcode() -> None:
    assert place_text("서울특별시 강남구,  테헤란로 1") == place_text("서울 강남구 테헤란로 1")
    assert city_text("수원시") == city_text("수원") == "수원"
    assert city_text("Seoul-si") == "seoul"
    p = person(gender="여성", postcode="123-456")
    assert (p.gender, p.postcode) == ("F", "123456")
    assert person(gender="남").gender == "M"


def test_national_id_is_hashed_and_never_kept_raw() -> None:
    p = person(national_id="900131-1234567")
    assert p.national_id
    assert "1234567" not in p.national_id
    assert p.national_id == person(national_id="9001311234567").national_id
    assert p.national_id != normalize_person({"national_id": "9001311234567"}, "r", key=b"other").national_id
    bad = person(national_id="12")
    assert bad.national_id is None
    assert bad.flags[0].value == "<hashed>"


def test_malformed_values_are_kept_as_given_and_flagged() -> None:
    p = person(email="not-an-email", phone="12345", gender="unknown", postcode="!")
    assert (p.email, p.phone, p.gender, p.postcode) == (None, None, None, None)
    assert {(f.field, f.value) for f in p.flags} == {
        ("email", "not-an-email"),
        ("phone", "12345"),
        ("gender", "unknown"),
        ("postcode", "!"),
    }


@pytest.mark.parametrize(
    "value", [None, "", "   ", float("nan"), 0, 3.0, "\u200b", "😀😀", "\ud800", "ＡＢＣ", "𝕂𝕚𝕞", {"a": 1}, ["x"]]
)
def test_unusual_values_never_crash(value: object) -> None:
    fields = [
        "first_name",
        "last_name",
        "full_name",
        "birth_date",
        "email",
        "phone",
        "address",
        "city",
        "postcode",
        "gender",
        "national_id",
        "external_id",
        "source",
    ]
    p = person(**dict.fromkeys(fields, value))
    assert p.record_id == "r1"
