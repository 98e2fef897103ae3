"""Synthetic customers: who they are, and how the CRM and the app write down their identifiers."""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import partial

from cxloop.demo.names import CITIES, EMAIL_DOMAINS, GIVEN_FEMALE, GIVEN_MALE, NICK_STEMS, SURNAMES
from cxloop.demo.timeline import Timeline, kst_text, utc_text

TIERS: tuple[str, ...] = ("basic", "silver", "gold", "vip")
_TIER_WEIGHTS = (63, 25, 10, 2)
_TIER_ACTIVITY = {"basic": 1.0, "silver": 1.3, "gold": 1.7, "vip": 2.6}
_CATEGORIES = ("fashion", "beauty", "food", "living", "appliance", "digital", "kids", "sports")

_SURNAME_CUM = tuple(itertools.accumulate(weight for _, _, weight in SURNAMES))
_CITY_NAMES = tuple(city for city, _ in CITIES)
_CITY_CUM = tuple(itertools.accumulate(weight for _, weight in CITIES))
_DOMAIN_NAMES = tuple(domain for domain, _ in EMAIL_DOMAINS)
_DOMAIN_CUM = tuple(itertools.accumulate(weight for _, weight in EMAIL_DOMAINS))

MALFORMED_RATE = 0.01
_CRM_LAUNCH = datetime(2016, 1, 1)
_APP_LAUNCH = datetime(2019, 3, 1)


@dataclass(frozen=True)
class Person:
    """One real human behind the records; the generator's ground truth, never exported as is."""

    index: int
    crm_id: str
    name: str  # Hangul
    name_en: str  # "Minji Kim"
    gender: str | None
    birth_date: date
    city: str
    tier: str
    email: str  # canonical lower-case address
    phone: str  # canonical digits, 010XXXXXXXX
    joined: datetime
    app_id: str | None
    app_joined: datetime | None
    activity: float  # expected shopping sessions per 30 days
    temper: float  # baseline disposition; shifts every survey score the person gives
    language: str  # how the person writes feedback: ko, en or mixed
    update_lag: int  # days before the person installs a new app version
    member: bool  # pays for the monthly membership
    categories: tuple[str, str]  # favourite product categories


def make_people(rng: random.Random, count: int, timeline: Timeline) -> list[Person]:
    """Draw `count` people; a few households share one phone number, as families do."""
    used_emails: set[str] = set()
    used_phones: set[str] = set()
    used_app_ids: set[str] = set()
    people: list[Person] = []
    start = datetime.combine(timeline.start, datetime.min.time())
    for index in range(count):
        surname_ko, surname_en, _ = SURNAMES[_weighted(rng, _SURNAME_CUM)]
        roll = rng.random()
        gender: str | None = "F" if roll < 0.52 else "M"
        given_ko, given_en = rng.choice(GIVEN_FEMALE if gender == "F" else GIVEN_MALE)
        if roll > 0.93:
            gender = None  # the CRM never asked
        birth_date = date(1955, 1, 1) + timedelta(days=int(rng.triangular(0, 18_600, 11_000)))
        tier = rng.choices(TIERS, weights=_TIER_WEIGHTS)[0]
        if rng.random() < 0.8:
            joined = _CRM_LAUNCH + timedelta(seconds=rng.randrange(int((start - _CRM_LAUNCH).total_seconds())))
        else:
            joined = timeline.moment(rng, timeline.pick_day(rng))
        has_app = rng.random() < 0.45
        app_joined = None
        if has_app and (joined >= start or rng.random() < 0.15):
            app_joined = timeline.moment(rng, timeline.pick_day(rng, max(0, timeline.day_of(joined))))
        elif has_app:
            app_launch = max(joined, _APP_LAUNCH)
            app_joined = app_launch + (start - app_launch) * rng.random()
        app_id = _fresh(used_app_ids, lambda: f"U{rng.getrandbits(24):06X}") if has_app else None
        language = rng.choices(("ko", "en", "mixed"), weights=(74, 14, 12))[0]
        people.append(
            Person(
                index=index,
                crm_id=f"C{index + 1:06d}",
                name=surname_ko + given_ko,
                name_en=f"{given_en} {surname_en}",
                gender=gender,
                birth_date=birth_date,
                city=_CITY_NAMES[_weighted(rng, _CITY_CUM)],
                tier=tier,
                email=_fresh(used_emails, partial(_email_address, rng, given_en, surname_en, birth_date)),
                phone=_fresh(used_phones, lambda: f"010{rng.randrange(10**8):08d}"),
                joined=joined,
                app_id=app_id,
                app_joined=max(app_joined, joined) if app_joined else None,
                activity=rng.lognormvariate(math.log(0.9), 0.75) * _TIER_ACTIVITY[tier],
                temper=rng.gauss(0.0, 0.35),
                language=language,
                update_lag=min(int(rng.expovariate(0.35)), 20),
                member=rng.random() < (0.1 if tier == "basic" else 0.3),
                categories=(rng.choice(_CATEGORIES), rng.choice(_CATEGORIES)),
            )
        )
    return _share_family_phones(rng, people)


def _share_family_phones(rng: random.Random, people: list[Person]) -> list[Person]:
    """Give ~0.8% of people the phone of an earlier person in their city (a parent's or spouse's line)."""
    shared = list(people)
    by_city: dict[str, list[int]] = {}
    for person in people:
        by_city.setdefault(person.city, []).append(person.index)
    for person in people:
        earlier = [i for i in by_city[person.city] if i < person.index]
        if earlier and rng.random() < 0.008:
            owner = people[rng.choice(earlier[-50:])]
            shared[person.index] = _replace_phone(person, owner.phone)
    return shared


def _replace_phone(person: Person, phone: str) -> Person:
    values = dict(person.__dict__)
    values["phone"] = phone
    return Person(**values)


def _weighted(rng: random.Random, cum: tuple[float, ...]) -> int:
    target = rng.random() * cum[-1]
    for position, bound in enumerate(cum):
        if target < bound:
            return position
    return len(cum) - 1


def _fresh(used: set[str], draw: Callable[[], str]) -> str:
    """Draw until the value is new; membership checks only, so set order never leaks into the output."""
    while True:
        value = draw()
        if value not in used:
            used.add(value)
            return value


def _email_address(rng: random.Random, given_en: str, surname_en: str, birth_date: date) -> str:
    given, surname = given_en.lower(), surname_en.lower()
    style = rng.random()
    if style < 0.3:
        local = f"{given}.{surname}"
    elif style < 0.5:
        local = f"{surname}{given}{birth_date.year % 100:02d}"
    elif style < 0.65:
        local = f"{given[0]}{given[-1]}_{surname}{rng.randrange(100)}"
    elif style < 0.8:
        local = f"{given}{surname}{birth_date.month:02d}{birth_date.day:02d}"
    else:
        local = f"{rng.choice(NICK_STEMS)}{rng.randrange(10, 9999)}"
    return f"{local}@{_DOMAIN_NAMES[_weighted(rng, _DOMAIN_CUM)]}"


def write_phone(rng: random.Random, phone: str, malformed_rate: float = MALFORMED_RATE) -> str:
    """The phone as some system or person typed it: dashes, spaces, +82, or occasionally broken."""
    head, middle, tail = phone[:3], phone[3:7], phone[7:]
    roll = rng.random()
    if roll < malformed_rate:
        return rng.choice((f"{head}-{middle[:2]}", f"{head}-{middle}-{tail[:3]}", phone[1:], f"{phone}9"))
    if roll < 0.5:
        return f"{head}-{middle}-{tail}"
    if roll < 0.72:
        return phone
    if roll < 0.82:
        return f"{head} {middle} {tail}"
    if roll < 0.92:
        return f"+82 {head[1:]}-{middle}-{tail}"
    return f"+82{phone[1:]}"


def write_email(rng: random.Random, email: str, malformed_rate: float = MALFORMED_RATE) -> str:
    """The e-mail as typed: mostly clean, sometimes capitalised, padded, or broken."""
    local, domain = email.split("@")
    roll = rng.random()
    if roll < malformed_rate:
        return rng.choice((f"{local}@@{domain}", f"{local}@{domain.split('.')[0]}", f"{local}.{domain}"))
    if roll < 0.8:
        return email
    if roll < 0.9:
        return f"{local.capitalize()}@{domain.capitalize()}"
    if roll < 0.95:
        return email.upper()
    return rng.choice((f" {email}", f"{email} ", f" {email}  "))


def _write_date(rng: random.Random, day: date) -> str:
    roll = rng.random()
    if roll < 0.86:
        return day.isoformat()
    if roll < 0.93:
        return day.strftime("%Y.%m.%d")
    if roll < 0.97:
        return day.strftime("%Y%m%d")
    return f"{day.year}/{day.month}/{day.day}"


def _write_name(rng: random.Random, person: Person) -> str:
    roll = rng.random()
    if roll < 0.9:
        return person.name
    if roll < 0.94:
        return person.name_en
    if roll < 0.97:
        given, surname = person.name_en.split(" ")
        return f"{surname.upper()} {given.upper()}"
    return f"{person.name[0]} {person.name[1:]}"


def customer_records(rng: random.Random, people: list[Person]) -> list[dict[str, object]]:
    """CRM rows for everyone, then app sign-ups that write the same email/phone differently."""
    records: list[dict[str, object]] = []
    for person in people:
        created = rng.random()
        records.append(
            {
                "external_id": person.crm_id,
                "source": "crm",
                "name": _write_name(rng, person),
                "email": write_email(rng, person.email) if rng.random() > 0.04 else None,
                "phone": write_phone(rng, person.phone) if rng.random() > 0.03 else None,
                "birth_date": _write_date(rng, person.birth_date) if rng.random() > 0.08 else None,
                "gender": person.gender,
                "city": person.city,
                "tier": person.tier,
                "created_at": kst_text(person.joined) if created < 0.93 else _write_date(rng, person.joined.date()),
            }
        )
    app_people = sorted((p for p in people if p.app_id and p.app_joined), key=lambda p: (p.app_joined, p.index))
    used_app_ids = {p.app_id for p in app_people if p.app_id}
    for person in app_people:
        records.append(_app_record(rng, person, person.app_id or "", person.email, person.app_joined))
        # One email, two app accounts: a re-sign-up after a forgotten password, or a spouse on the same address.
        if rng.random() < 0.01:
            second_id = _fresh(used_app_ids, lambda: f"U{rng.getrandbits(24):06X}")
            later = (person.app_joined or person.joined) + timedelta(days=rng.randrange(3, 200))
            records.append(_app_record(rng, person, second_id, person.email, later, phone=rng.random() < 0.3))
    return records


def _app_record(
    rng: random.Random, person: Person, app_id: str, email: str, joined: datetime | None, phone: bool = True
) -> dict[str, object]:
    with_email = rng.random() < 0.85
    with_phone = phone and (rng.random() < 0.7 or not with_email)
    return {
        "external_id": app_id,
        "source": "app",
        "name": rng.choice((person.name, person.name, person.name_en, None)),
        "email": write_email(rng, email) if with_email else None,
        "phone": write_phone(rng, person.phone) if with_phone else None,
        "birth_date": _write_date(rng, person.birth_date) if rng.random() < 0.5 else None,
        "gender": person.gender if rng.random() < 0.6 else None,
        "city": person.city if rng.random() < 0.3 else None,
        "tier": None,
        "created_at": utc_text(joined) if joined else None,  # the app backend logs in UTC
    }


# Systems that know a person only by phone, and global SaaS tools that log in UTC.
_PHONE_SOURCES = frozenset({"pos", "callcenter", "delivery", "sms_survey"})
_UTC_SOURCES = frozenset({"helpdesk", "google_play", "app_store"})


@dataclass(frozen=True)
class Handle:
    """How one source system identifies a person on one record."""

    source: str
    external_id: str | None = None
    email: str | None = None
    phone: str | None = None
    utc: bool = False  # the system writes UTC timestamps


def handle_for(rng: random.Random, person: Person, source: str) -> Handle:
    """The identifier the given source system would carry: its own id, a phone, or an e-mail."""
    utc = source in _UTC_SOURCES
    if source == "crm":
        return Handle(source, external_id=person.crm_id)
    if source == "app" and person.app_id:
        return Handle(source, external_id=person.app_id)
    if source in _PHONE_SOURCES:
        return Handle(source, phone=write_phone(rng, person.phone), utc=utc)
    return Handle(source, email=write_email(rng, person.email), utc=utc)


ANONYMOUS_SOURCES = frozenset({"sns", "google_play", "app_store"})
