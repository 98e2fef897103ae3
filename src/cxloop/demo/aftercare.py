"""What happens after checkout and outside shopping: delivery, returns, support contacts, churn, mailings."""

from __future__ import annotations

import math
import random
from datetime import datetime, timedelta

from cxloop.demo.experience import Contact, EventLog, Experience, Order
from cxloop.demo.names import CARRIERS_KO
from cxloop.demo.people import handle_for
from cxloop.demo.timeline import Timeline

# Probability that a customer contacts support about an order, by outcome.
_CONTACT_CHANCE = {
    "ok": 0.02,
    "late": 0.5,
    "damaged": 0.7,
    "defective": 0.75,
    "wrong_item": 0.8,
    "changed_mind": 0.3,
}
_CONTACT_TOPIC = {
    "ok": "delivery",
    "late": "delivery",
    "damaged": "refund",
    "defective": "quality",
    "wrong_item": "delivery",
    "changed_mind": "refund",
}
_RETURN_REASON = {
    "damaged": "파손",
    "defective": "불량",
    "wrong_item": "오배송",
    "changed_mind": "단순변심",
}
_SPONTANEOUS_TOPICS = ("account", "payment", "coupon", "price", "app_error", "churn", "account", "coupon")
_MEMBERSHIP_FEE = 4_900


def fulfil(rng: random.Random, timeline: Timeline, log: EventLog, experience: Experience, order: Order) -> None:
    """Ship an online order, decide how it goes wrong (if at all), and log deliveries, returns and refunds."""
    person = experience.person
    day = timeline.day_of(order.ordered_at)
    late_chance = 0.22 if timeline.in_rush(day) else 0.06 + (0.05 if timeline.in_promo(day) else 0.0)
    order.outcome = _draw_outcome(rng, late_chance)
    courier = handle_for(rng, person, "delivery")
    carrier = rng.choice(CARRIERS_KO)
    transit_days = 1 + (rng.random() < 0.35) + (rng.random() < 0.2)
    expected = _daytime(rng, order.ordered_at + timedelta(days=transit_days))
    delivered = expected
    if order.outcome == "late":
        delay = rng.randint(2, 6)
        reason = rng.choice(("물량 증가", "간선 차량 지연", "주소 불명확", "기상 악화"))
        props: dict[str, object] = {"order_id": order.order_id, "carrier": carrier, "delay_days": delay}
        log.add(expected, courier, "delivery_delayed", "other", "delivery", {**props, "reason": reason})
        delivered = _daytime(rng, expected + timedelta(days=delay))
    order.settled_at = delivered
    log.add(
        delivered,
        courier,
        "delivery_completed",
        "other",
        "delivery",
        {
            "order_id": order.order_id,
            "carrier": carrier,
            "days_to_deliver": (delivered - order.ordered_at).days,
        },
    )
    if order.outcome in _RETURN_REASON:
        source = "app" if order.channel == "app" else "crm"
        shopper = handle_for(rng, person, source)
        requested = delivered + timedelta(minutes=rng.randrange(60, 4_000))
        reason = _RETURN_REASON[order.outcome]
        props = {"order_id": order.order_id, "product_id": order.product.product_id, "reason": reason}
        log.add(requested, shopper, "return_requested", order.channel, "support", dict(props))
        if rng.random() < 0.85:
            order.refunded = True
            refunded = requested + timedelta(hours=rng.randrange(30, 200))
            log.add(refunded, handle_for(rng, person, "crm"), "refund", "web", "support", props, order.value)
    if rng.random() < _CONTACT_CHANCE[order.outcome]:
        at = delivered + timedelta(minutes=rng.randrange(20, 2_500))
        contact_support(rng, timeline, log, experience, at, _CONTACT_TOPIC[order.outcome], order)
    maybe_churn(rng, log, experience, delivered)


def _draw_outcome(rng: random.Random, late_chance: float) -> str:
    roll = rng.random()
    for outcome, chance in (
        ("late", late_chance),
        ("damaged", 0.02),
        ("defective", 0.025),
        ("wrong_item", 0.01),
        ("changed_mind", 0.03),
    ):
        if roll < chance:
            return outcome
        roll -= chance
    return "ok"


def _daytime(rng: random.Random, moment: datetime) -> datetime:
    """Couriers deliver between 9:00 and 21:00."""
    return moment.replace(hour=rng.randint(9, 20), minute=rng.randrange(60), second=rng.randrange(60))


def contact_support(
    rng: random.Random,
    timeline: Timeline,
    log: EventLog,
    experience: Experience,
    at: datetime,
    topic: str,
    order: Order | None,
    follow_up: bool = True,
) -> None:
    """A call, chat or e-mail to support; unresolved contacts often come back a day or two later."""
    person = experience.person
    channel = rng.choices(("call", "chat", "email"), weights=(45, 40, 15))[0]
    day = timeline.day_of(at)
    # Queues swell in the courier rush and the days the broken app release floods the lines.
    busy = 2.0 if timeline.in_rush(day) or timeline.release_day <= day < timeline.hotfix_day + 2 else 1.0
    if channel == "call":
        wait = int(rng.lognormvariate(math.log(6 * busy), 0.8))
        who = handle_for(rng, person, "callcenter")
    elif channel == "chat":
        wait = int(rng.lognormvariate(math.log(3 * busy), 0.7))
        who = handle_for(rng, person, "app" if person.app_id and rng.random() < 0.5 else "helpdesk")
    else:
        wait = 0
        who = handle_for(rng, person, "helpdesk")
    resolved = rng.random() < 0.78 - min(wait, 40) * 0.006
    experience.contacts.append(Contact(at, channel, topic, order, resolved, wait))
    props: dict[str, object] = {
        "topic": topic,
        "wait_seconds": wait * 60 + rng.randrange(60),
        "resolved": resolved,
        "agent_id": f"A{rng.randrange(1, 41):03d}",
    }
    if order:
        props["order_id"] = order.order_id
    log.add(at, who, "support_contact", channel, "support", props)
    if not resolved and follow_up and rng.random() < 0.5:
        again = at + timedelta(hours=rng.randrange(18, 72))
        contact_support(rng, timeline, log, experience, again, topic, order, follow_up=False)


def maybe_churn(rng: random.Random, log: EventLog, experience: Experience, at: datetime) -> None:
    """Customers who keep having bad experiences sometimes close their account or cancel the membership."""
    if experience.closed_at or experience.mood_at(at) > -0.7 or rng.random() > 0.3:
        return
    person = experience.person
    closed = at + timedelta(hours=rng.randrange(2, 120))
    experience.closed_at = closed
    event_type = "membership_cancelled" if person.member else "account_closed"
    source = "app" if person.app_id and rng.random() < 0.5 else "crm"
    props: dict[str, object] = {"reason": rng.choice(("서비스 불만", "배송 불만", "타사 이용", "혜택 부족", "기타"))}
    log.add(
        closed,
        handle_for(rng, person, source),
        event_type,
        source if source == "app" else "web",
        "churn",
        props,
    )


def spontaneous_contacts(rng: random.Random, timeline: Timeline, log: EventLog, experience: Experience) -> None:
    """Questions not tied to an order: login, payment, coupons, membership; plus app-release trouble."""
    person = experience.person
    first_day = max(0, timeline.day_of(person.joined))
    if rng.random() < 0.12:
        at = timeline.moment(rng, timeline.pick_day(rng, first_day))
        contact_support(rng, timeline, log, experience, at, rng.choice(_SPONTANEOUS_TOPICS), None)
    if experience.app_failures and rng.random() < 0.3:
        at = experience.app_failures[0] + timedelta(minutes=rng.randrange(5, 600))
        contact_support(rng, timeline, log, experience, at, rng.choice(("app_error", "account")), None)


def renew_membership(rng: random.Random, timeline: Timeline, log: EventLog, experience: Experience) -> None:
    """Monthly paid-membership renewals on the sign-up day of month until the person cancels."""
    person = experience.person
    if not person.member:
        return
    renewal = person.joined.replace(hour=4, minute=rng.randrange(60), second=rng.randrange(60))
    while renewal < datetime.combine(timeline.start, datetime.min.time()):
        renewal = _next_month(renewal)
    while renewal < timeline.end and (experience.closed_at is None or renewal < experience.closed_at):
        props: dict[str, object] = {"plan": "루프플러스 월간", "billing": "card"}
        log.add(
            renewal,
            handle_for(rng, person, "crm"),
            "membership_renewal",
            "web",
            "renewal",
            props,
            _MEMBERSHIP_FEE,
        )
        renewal = _next_month(renewal)


def _next_month(moment: datetime) -> datetime:
    year, month = (moment.year + 1, 1) if moment.month == 12 else (moment.year, moment.month + 1)
    return moment.replace(year=year, month=month, day=min(moment.day, 28))


def send_campaigns(rng: random.Random, timeline: Timeline, log: EventLog, experiences: list[Experience]) -> None:
    """Weekly marketing e-mails; opens and clicks are the awareness stage of the journey."""
    start = datetime.combine(timeline.start, datetime.min.time())
    for number, day in enumerate(range(2, timeline.days, 7), start=1):
        sent = start + timedelta(days=day, hours=10)
        campaign = f"CMP{number:03d}"
        promo = timeline.in_promo(day) or timeline.in_promo(day + 3)
        open_chance = 0.22 if promo else 0.15
        for experience in experiences:
            person = experience.person
            if person.joined > sent or (experience.closed_at and experience.closed_at < sent):
                continue
            if rng.random() >= open_chance * min(person.activity, 2.0):
                continue
            who = handle_for(rng, person, "mailer")
            opened = sent + timedelta(minutes=int(rng.expovariate(1 / 600)))
            log.add(opened, who, "email_open", "email", "awareness", {"campaign_id": campaign})
            if rng.random() < 0.3:
                clicked = opened + timedelta(seconds=rng.randrange(5, 300))
                url = "/event/summer-sale" if promo else f"/event/weekly-{number:03d}"
                log.add(clicked, who, "email_click", "email", "awareness", {"campaign_id": campaign, "url": url})
