"""Synthetic Korean and English person records with known truth, for tests, benchmarks and demos.

Each person gets one to four records, written the ways a CRM, a shop and a call center write them:
Hangul with and without spaces, romanized in either order and in variant spellings (Park/Bak,
Minsu/Minsoo), phones in every usual writing, e-mails with case and spaces, birth dates in several
formats, Korean region names long and short, a typo here and there, and fields left empty. Some
people share a phone with a family member, and common names recur among different people, so a
resolver that links too eagerly is caught.
"""

from __future__ import annotations

import random
from typing import Any

from cxloop.identity.names import romanize

_SURNAMES = ("김", "이", "박", "최", "정", "강", "조", "윤", "장", "임", "한", "오", "서", "신", "권", "황", "안", "송")
_ROMAN_VARIANTS = {
    "김": ("Kim", "Gim"), "이": ("Lee", "Yi", "Rhee"), "박": ("Park", "Bak"), "최": ("Choi", "Choe"),
    "정": ("Jung", "Jeong", "Chung"), "강": ("Kang",), "조": ("Cho", "Jo"), "윤": ("Yoon", "Yun"),
    "장": ("Jang", "Chang"), "임": ("Lim", "Im"), "한": ("Han",), "오": ("Oh",), "서": ("Seo", "Suh"),
    "신": ("Shin", "Sin"), "권": ("Kwon",), "황": ("Hwang",), "안": ("Ahn", "An"), "송": ("Song",),
}  # fmt: skip
_SYLLABLES = "민수지영현우서준하은도윤예진성호정태희경재연아혜상훈동유나채"
_EN_FIRST = ("James", "Mary", "John", "Linda", "Michael", "Sarah", "David", "Emma", "Daniel", "Olivia")
_EN_LAST = ("Smith", "Johnson", "Brown", "Taylor", "Wilson", "Davies", "Evans", "Thomas", "Walker", "White")
_CITIES = (
    ("서울특별시", "서울"), ("부산광역시", "부산"), ("인천광역시", "인천"), ("대구광역시", "대구"),
    ("경기도 수원시", "경기 수원"), ("경기도 성남시", "경기 성남"), ("대전광역시", "대전"), ("광주광역시", "광주"),
)  # fmt: skip
_DISTRICTS = ("강남구", "서초구", "마포구", "송파구", "해운대구", "중구", "남동구", "수성구", "분당구", "유성구")
_ROADS = ("테헤란로", "반포대로", "월드컵로", "올림픽로", "해운대로", "중앙로", "인주대로", "달구벌대로")
_DOMAINS = ("naver.com", "gmail.com", "daum.net", "kakao.com", "hanmail.net")


def _given(rng: random.Random) -> str:
    return rng.choice(_SYLLABLES) + rng.choice(_SYLLABLES)


def _roman_given(given: str, rng: random.Random) -> str:
    syllables = [romanize(ch) for ch in given]
    if rng.random() < 0.3:
        syllables = [s.replace("u", "oo", 1) if s.endswith("u") else s for s in syllables]
    joiner = rng.choice(("", "", "-", " "))
    text = joiner.join(syllables)
    return text.capitalize() if joiner != " " else " ".join(s.capitalize() for s in syllables)


def _typo(text: str, rng: random.Random) -> str:
    if len(text) < 3:
        return text
    i = rng.randrange(1, len(text) - 1)
    return text[:i] + text[i + 1] + text[i] + text[i + 2 :] if rng.random() < 0.5 else text[:i] + text[i + 1 :]


def _phone_writing(digits: str, rng: random.Random) -> str:
    a, b, c = digits[:3], digits[3:7], digits[7:]
    return rng.choice(
        (f"{a}-{b}-{c}", f"{a}{b}{c}", f"+82 {a[1:]} {b} {c}", f"{a} {b} {c}", f"({a}){b}-{c}", f"+82-{a[1:]}-{b}-{c}")
    )


def _date_writing(y: int, m: int, d: int, rng: random.Random) -> str:
    return rng.choice(
        (f"{y}-{m:02d}-{d:02d}", f"{y}{m:02d}{d:02d}", f"{y}.{m}.{d}", f"{d:02d}/{m:02d}/{y}", f"{y}년 {m}월 {d}일")
    )


def _person(rng: random.Random, korean: bool) -> dict[str, Any]:
    y, m, d = rng.randint(1950, 2005), rng.randint(1, 12), rng.randint(1, 28)
    city = rng.randrange(len(_CITIES))
    person: dict[str, Any] = {
        "korean": korean,
        "surname": rng.choice(_SURNAMES) if korean else rng.choice(_EN_LAST),
        "given": _given(rng) if korean else rng.choice(_EN_FIRST),
        "dob": (y, m, d),
        "phone": f"010{rng.randrange(10**8):08d}",
        "city": city,
        "street": f"{rng.choice(_DISTRICTS)} {rng.choice(_ROADS)} {rng.randint(1, 400)}",
        "postcode": f"{rng.randint(1000, 63999):05d}",
        "gender": rng.choice(("M", "F")),
    }
    local = romanize(person["given"]).lower() if korean else person["given"].lower()
    person["email"] = f"{local}{rng.randint(1, 999_999)}@{rng.choice(_DOMAINS)}"
    return person


def _record(person: dict[str, Any], rng: random.Random, first: bool) -> dict[str, Any]:
    record: dict[str, Any] = {}
    surname, given = person["surname"], person["given"]
    style = rng.random() if not first else 0.0
    if person["korean"]:
        roman_last = rng.choice(_ROMAN_VARIANTS[surname])
        if style < 0.35:
            record["full_name"] = surname + rng.choice(("", " ")) + given
        elif style < 0.55:
            record["first_name"], record["last_name"] = given, surname
        elif style < 0.8:
            record["full_name"] = f"{roman_last} {_roman_given(given, rng)}"
        else:
            record["full_name"] = f"{_roman_given(given, rng)} {roman_last}".upper()
    else:
        record["first_name"], record["last_name"] = given, surname
    if not first and rng.random() < 0.15:
        key = "full_name" if "full_name" in record else "first_name"
        record[key] = _typo(record[key], rng) if person["korean"] is False or record[key].isascii() else record[key]
    y, m, d = person["dob"]
    if rng.random() < 0.85:
        if not first and rng.random() < 0.05:
            d = d % 28 + 1  # a mistyped day
        record["birth_date"] = _date_writing(y, m, d, rng)
    if rng.random() < 0.7:
        email = person["email"]
        record["email"] = email.upper() if rng.random() < 0.2 else f" {email} " if rng.random() < 0.1 else email
    if rng.random() < 0.75:
        record["phone"] = _phone_writing(person["phone"], rng)
    long_city, short_city = _CITIES[person["city"]]
    if rng.random() < 0.8:
        record["city"] = rng.choice((long_city, short_city))
        record["address"] = f"{record['city']} {person['street']}"
    if rng.random() < 0.6:
        record["postcode"] = person["postcode"]
    if rng.random() < 0.5:
        record["gender"] = rng.choice({"M": ("M", "남", "male"), "F": ("F", "여", "female")}[person["gender"]])
    return record


def make_people(count: int, *, seed: int = 7, korean_share: float = 0.8) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """About `count` records of `count * 0.45` people; returns (records, truth: record_id → person)."""
    rng = random.Random(seed)
    records: list[dict[str, Any]] = []
    truth: dict[str, int] = {}
    person_id = 0
    while len(records) < count:
        person = _person(rng, rng.random() < korean_share)
        household = [person]
        if rng.random() < 0.08:  # a family member on the same phone, with an own e-mail and birth date
            relative = _person(rng, person["korean"])
            relative["surname"], relative["phone"] = person["surname"], person["phone"]
            relative["city"], relative["street"] = person["city"], person["street"]
            household.append(relative)
        for member in household:
            copies = rng.choices((1, 2, 3, 4), weights=(30, 35, 25, 10))[0]
            for n in range(copies):
                record = _record(member, rng, first=n == 0)
                record["record_id"] = f"R{len(records):07d}"
                records.append(record)
                truth[record["record_id"]] = person_id
            person_id += 1
    return records[:count], {k: v for k, v in truth.items() if int(k[1:]) < count}
