"""Shopping journeys: web, app and store sessions that walk visit → view → cart → checkout → purchase."""

from __future__ import annotations

import itertools
import math
import random
from datetime import datetime, timedelta

from cxloop.demo.aftercare import (
    contact_support,
    fulfil,
    maybe_churn,
    renew_membership,
    send_campaigns,
    spontaneous_contacts,
)
from cxloop.demo.catalog import BY_CATEGORY, PRODUCTS, Product
from cxloop.demo.experience import EventLog, Experience, Order
from cxloop.demo.names import STORES
from cxloop.demo.people import Handle, Person, handle_for
from cxloop.demo.timeline import Timeline

_BUGGY_VERSION = "5.2.0"
_PAYMENT_METHODS = ("card", "kakaopay", "naverpay", "tosspay", "bank_transfer", "phone_billing")
_PAYMENT_CUM = tuple(itertools.accumulate((46, 20, 16, 9, 6, 3)))
_REFERRERS = ("direct", "naver", "google", "instagram", "kakao", "youtube")
_REFERRER_CUM = tuple(itertools.accumulate((35, 30, 12, 10, 9, 4)))
_QUANTITY_CUM = (82, 96, 100)


def simulate_journeys(
    rng: random.Random, people: list[Person], timeline: Timeline
) -> tuple[list[dict[str, object]], list[Experience]]:
    """Every person's sessions, orders and aftercare; returns the event records and the ground truth."""
    log = EventLog()
    order_numbers = itertools.count(1)
    experiences: list[Experience] = []
    for person in people:
        experience = Experience(person)
        _live(rng, timeline, log, experience, order_numbers)
        spontaneous_contacts(rng, timeline, log, experience)
        renew_membership(rng, timeline, log, experience)
        experiences.append(experience)
    send_campaigns(rng, timeline, log, experiences)
    return log.records(timeline.end), experiences


def poisson(rng: random.Random, mean: float) -> int:
    """A Poisson count; the normal approximation above 30 keeps heavy shoppers cheap to draw."""
    if mean > 30:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def _live(
    rng: random.Random,
    timeline: Timeline,
    log: EventLog,
    experience: Experience,
    order_numbers: itertools.count[int],
) -> None:
    person = experience.person
    first_day = max(0, timeline.day_of(person.joined))
    sessions = poisson(rng, person.activity * (timeline.days - first_day) / 30)
    for day in sorted(timeline.pick_day(rng, first_day) for _ in range(sessions)):
        at = max(timeline.moment(rng, day), person.joined + timedelta(minutes=3))
        if experience.closed_at and at > experience.closed_at:
            break
        roll = rng.random()
        if roll < 0.06:
            _store_visit(rng, timeline, log, experience, at, order_numbers)
        elif person.app_id and person.app_joined and person.app_joined <= at and roll < 0.72:
            _app_session(rng, timeline, log, experience, at, order_numbers)
        else:
            _web_session(rng, timeline, log, experience, at, order_numbers)
    if person.app_id and person.app_joined:
        # App users also open the app just to track a parcel or check a push, without shopping.
        first_app_day = max(first_day, timeline.day_of(person.app_joined))
        for _ in range(poisson(rng, person.activity * (timeline.days - first_app_day) / 30)):
            at = max(timeline.moment(rng, timeline.pick_day(rng, first_app_day)), person.app_joined)
            if experience.closed_at and at > experience.closed_at:
                continue
            _app_session(rng, timeline, log, experience, at, order_numbers, browse=rng.random() < 0.3)


def _pick_product(rng: random.Random, person: Person) -> Product:
    # Most browsing stays in the person's favourite categories.
    if rng.random() < 0.7:
        return rng.choice(BY_CATEGORY[rng.choice(person.categories)])
    return rng.choice(PRODUCTS)


def _web_session(
    rng: random.Random,
    timeline: Timeline,
    log: EventLog,
    experience: Experience,
    at: datetime,
    order_numbers: itertools.count[int],
) -> None:
    person = experience.person
    who = handle_for(rng, person, "crm" if rng.random() < 0.8 else "web")  # "web" = guest, known by e-mail
    day = timeline.day_of(at)
    promo = timeline.in_promo(day)
    page = "/event/summer-sale" if promo and rng.random() < 0.5 else rng.choice(("/", "/", "/best", "/new"))
    referrer = rng.choices(_REFERRERS, cum_weights=_REFERRER_CUM)[0]
    log.add(at, who, "visit", "web", "awareness", {"page": page, "referrer": referrer})
    if rng.random() < 0.35:
        at += timedelta(seconds=rng.randrange(5, 90))
        query = _pick_product(rng, person).name.split(" ")[-1]
        log.add(at, who, "search", "web", "consideration", {"query": query, "page": "/search"})
    _browse(rng, timeline, log, experience, who, "web", at, {}, order_numbers)


def _app_session(
    rng: random.Random,
    timeline: Timeline,
    log: EventLog,
    experience: Experience,
    at: datetime,
    order_numbers: itertools.count[int],
    browse: bool = True,
) -> None:
    person = experience.person
    who = handle_for(rng, person, "app")
    day = timeline.day_of(at)
    version = timeline.app_version(day - person.update_lag)
    device: dict[str, object] = {"app_version": version, "os": "android" if person.index % 10 < 6 else "ios"}
    log.add(at, who, "app_open", "app", "use", dict(device))
    # The 5.2.0 release broke token refresh: logins fail and the app crashes until the hotfix lands.
    failure_chance = 0.5 if version == _BUGGY_VERSION else 0.004
    if rng.random() < failure_chance:
        at += timedelta(seconds=rng.randrange(2, 40))
        if rng.random() < 0.6:
            log.add(at, who, "login_failed", "app", "use", {**device, "error_code": "AUTH_TOKEN_REFRESH"})
        else:
            log.add(at, who, "app_crash", "app", "use", {**device, "error_code": "SIGABRT"})
        experience.app_failures.append(at)
        if rng.random() < 0.75:
            maybe_churn(rng, log, experience, at)
            return
    if not browse:
        return
    _browse(rng, timeline, log, experience, who, "app", at, device, order_numbers)


def _browse(
    rng: random.Random,
    timeline: Timeline,
    log: EventLog,
    experience: Experience,
    who: Handle,
    channel: str,
    at: datetime,
    device: dict[str, object],
    order_numbers: itertools.count[int],
) -> None:
    """Product views, then the funnel with its drop-offs; promo week converts better."""
    person = experience.person
    promo = timeline.in_promo(timeline.day_of(at))
    product = _pick_product(rng, person)
    views = 1 + min(int(rng.expovariate(1.2)), 4)
    for _ in range(views):
        at += timedelta(seconds=rng.randrange(8, 180))
        product = _pick_product(rng, person)
        where = device or {"page": f"/products/{product.product_id}"}
        props = {"product_id": product.product_id, "category": product.category, **where}
        log.add(at, who, "product_view", channel, "consideration", props)
    basket = {"product_id": product.product_id, "category": product.category, **device}
    if rng.random() > (0.45 if promo else 0.32):
        return
    at += timedelta(seconds=rng.randrange(5, 120))
    log.add(at, who, "add_to_cart", channel, "consideration", dict(basket))
    if rng.random() > 0.68:
        return
    at += timedelta(seconds=rng.randrange(20, 900))
    log.add(at, who, "checkout", channel, "purchase", dict(basket))
    if rng.random() < 0.04:
        at += timedelta(seconds=rng.randrange(10, 60))
        method = rng.choices(_PAYMENT_METHODS, cum_weights=_PAYMENT_CUM)[0]
        log.add(at, who, "payment_failed", channel, "purchase", {**basket, "payment_method": method})
        experience.payment_failures.append(at)
        if rng.random() < 0.5:
            return
    if rng.random() > 0.9:
        return
    at += timedelta(seconds=rng.randrange(10, 120))
    order = _place_order(rng, timeline, log, experience, who, channel, at, product, order_numbers, device)
    fulfil(rng, timeline, log, experience, order)


def _place_order(
    rng: random.Random,
    timeline: Timeline,
    log: EventLog,
    experience: Experience,
    who: Handle,
    channel: str,
    at: datetime,
    product: Product,
    order_numbers: itertools.count[int],
    extra: dict[str, object],
) -> Order:
    quantity = rng.choices((1, 2, 3), cum_weights=_QUANTITY_CUM)[0]
    discount, coupon = _coupon(rng, timeline, channel, at)
    value = int(product.price * quantity * (1 - discount)) // 10 * 10
    if coupon == "APP3000":
        value -= 3_000
    order_id = f"{'S' if channel == 'store' else 'O'}{at:%Y%m%d}-{next(order_numbers):06d}"
    order = Order(order_id, product, quantity, value, at, channel, "ok", at)
    experience.orders.append(order)
    props: dict[str, object] = {
        "order_id": order_id,
        "product_id": product.product_id,
        "category": product.category,
        "quantity": quantity,
        "payment_method": rng.choices(_PAYMENT_METHODS, cum_weights=_PAYMENT_CUM)[0],
        **extra,
    }
    if coupon:
        props["coupon"] = coupon
    log.add(at, who, "purchase", channel, "purchase", props, value)
    return order


def _coupon(rng: random.Random, timeline: Timeline, channel: str, at: datetime) -> tuple[float, str | None]:
    if timeline.in_promo(timeline.day_of(at)) and rng.random() < 0.7:
        return 0.15, "SUMMER15"
    roll = rng.random()
    if roll < 0.06:
        return 0.10, "WELCOME10"
    if roll < 0.09:
        return 0.05, "BIRTHDAY5"
    if channel == "app" and roll < 0.15:
        return 0.0, "APP3000"
    return 0.0, None


def _store_visit(
    rng: random.Random,
    timeline: Timeline,
    log: EventLog,
    experience: Experience,
    at: datetime,
    order_numbers: itertools.count[int],
) -> None:
    """Offline purchases, looked up at the POS by phone number; no delivery involved."""
    person = experience.person
    who = handle_for(rng, person, "pos")
    product = _pick_product(rng, person)
    store: dict[str, object] = {"store": rng.choice(STORES)}
    order = _place_order(rng, timeline, log, experience, who, "store", at, product, order_numbers, store)
    if rng.random() < 0.015:
        order.outcome = "defective"
        later = at + timedelta(days=rng.randrange(1, 10))
        contact_support(rng, timeline, log, experience, later, "quality", order)
