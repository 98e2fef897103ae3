"""Feedback records: complaints after trouble, surveys scored from experience, reviews and public chatter."""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from cxloop.demo.compose import Aspect, Voice, compose
from cxloop.demo.experience import OUTCOME_TOPIC, Contact, Experience, Order
from cxloop.demo.journeys import poisson
from cxloop.demo.people import Handle, Person, handle_for
from cxloop.demo.slots import make_slots
from cxloop.demo.timeline import Timeline, kst_text, utc_text

_TOPIC_STAGE: dict[str, str | None] = {
    "delivery": "delivery",
    "packaging": "delivery",
    "refund": "support",
    "agent": "support",
    "wait": "support",
    "quality": "use",
    "app_error": "use",
    "account": "use",
    "payment": "purchase",
    "coupon": "purchase",
    "price": "consideration",
    "churn": "churn",
    "general": None,
}
_SPONTANEOUS = ("price", "coupon", "account", "payment", "app_error", "agent", "wait", "churn", "quality", "general")
_PUBLIC = ("delivery", "price", "quality", "app_error", "coupon", "packaging", "agent", "refund", "general")
_PRAISE = ("delivery", "quality", "price", "packaging")
_CSAT_BASE = {"ok": 4.4, "late": 2.7, "damaged": 2.0, "defective": 1.8, "wrong_item": 1.9, "changed_mind": 3.6}
_LANGUAGES = ("ko", "en", "mixed")
_LANGUAGE_CUM = (74, 88, 100)
# Monthly relationship-survey pulses, as fractions of the six-month range: every 30-day period (and
# the one before it) holds a pulse, so NPS has a trend and a previous period to compare with.
_NPS_WAVES = (0.04, 0.2, 0.37, 0.54, 0.71, 0.87)
_NPS_ANSWER_RATE = 0.25  # a pulse reaches everyone who had joined; a quarter answer (fewer once they left)
_NPS_ANSWER_RATE_CLOSED = 0.13


@dataclass(frozen=True)
class _Draft:
    at: datetime
    who: Handle
    channel: str
    text: str | None
    rating: int | None = None
    survey_type: str | None = None
    score: int | None = None
    stage: str | None = None
    product: str | None = None
    order_id: str | None = None
    person: Person | None = None  # ground truth, kept so a copy-paste can be re-identified


def make_feedback(rng: random.Random, timeline: Timeline, experiences: list[Experience]) -> list[dict[str, object]]:
    """All feedback inside the range, oldest first, with ids unique per source."""
    drafts: list[_Draft] = []
    for experience in experiences:
        _person_feedback(rng, timeline, experience, drafts)
    _public_chatter(rng, timeline, len(experiences), drafts)
    _copy_paste(rng, drafts)
    drafts = [d for d in drafts if d.at < timeline.end]
    drafts.sort(key=lambda d: d.at)  # stable, so ties keep generation order
    counters: dict[str, int] = {}
    records: list[dict[str, object]] = []
    for draft in drafts:
        source = draft.who.source
        counters[source] = counters.get(source, 0) + 1
        records.append(
            {
                "feedback_id": f"{source.upper()}-{counters[source]:07d}",
                "source": source,
                "customer_external_id": draft.who.external_id,
                "email": draft.who.email,
                "phone": draft.who.phone,
                "channel": draft.channel,
                "occurred_at": utc_text(draft.at) if draft.who.utc else kst_text(draft.at),
                "text": draft.text,
                "rating": draft.rating,
                "survey_type": draft.survey_type,
                "score": draft.score,
                "journey_stage": draft.stage,
                "product": draft.product,
                "order_id": draft.order_id,
            }
        )
    return records


def _language(rng: random.Random, person: Person | None) -> str:
    if person and rng.random() < 0.88:
        return person.language
    return rng.choices(_LANGUAGES, cum_weights=_LANGUAGE_CUM)[0]


def _pii(rng: random.Random, channel: str) -> str | None:
    chance = 0.02 if channel in ("sns", "app_review", "survey") else 0.06
    if rng.random() >= chance:
        return None
    return rng.choices(("phone", "email", "card", "rrn"), weights=(45, 25, 18, 12))[0]


def _who(rng: random.Random, person: Person | None, channel: str) -> Handle:
    """The identifier each channel's system carries; public reviews and posts carry none."""
    if channel == "app_review":
        android = person.index % 10 < 6 if person else rng.random() < 0.6
        return Handle("google_play" if android else "app_store", utc=True)
    if channel == "sns" or person is None:
        return Handle("sns")
    if channel == "call":
        return handle_for(rng, person, "callcenter")
    if channel == "chat":
        roll = rng.random()
        source = "app" if person.app_id and roll < 0.45 else "crm" if roll < 0.6 else "helpdesk"
        return handle_for(rng, person, source)
    if channel == "email":
        return handle_for(rng, person, "helpdesk")
    if channel == "web_form":
        return handle_for(rng, person, "crm" if rng.random() < 0.7 else "web")
    roll = rng.random()  # survey
    source = "app" if person.app_id and roll < 0.2 else "sms_survey" if roll < 0.45 else "survey"
    return handle_for(rng, person, source)


def _say(
    rng: random.Random,
    timeline: Timeline,
    person: Person | None,
    at: datetime,
    channel: str,
    aspects: tuple[Aspect, ...],
    order: Order | None = None,
    escalate: bool = False,
    contact: Contact | None = None,
    version: str | None = None,
    score: int | None = None,
) -> _Draft:
    pii = _pii(rng, channel)
    wait = contact.wait_minutes if contact else None
    slots = make_slots(rng, timeline, at, person, order, wait, version, pii)
    if score is not None:
        slots["score"] = str(score)
    voice = Voice(
        channel=channel,
        language=_language(rng, person),
        aspects=aspects,
        slots=slots,
        escalate=escalate,
        pii=pii,
        resolved=contact.resolved if contact else True,
    )
    text = compose(rng, voice)
    rating = None
    if channel == "app_review":
        main, *rest = (polarity for _, polarity in aspects)
        rating = rng.choice((1, 1, 2)) if main == "neg" else 3 if main == "mid" else rng.choice((4, 5, 5))
        if rest and rest[0] != main and main != "mid":
            rating = 3 if main == "neg" else 4
    anonymous = channel in ("app_review", "sns")
    product = order.product.name if order and not anonymous else None
    order_id = order.order_id if order and not anonymous else None
    return _Draft(
        at,
        _who(rng, person, channel),
        channel,
        text,
        rating,
        None,
        None,
        _TOPIC_STAGE[aspects[0][0]],
        product,
        order_id,
        person,
    )


def _person_feedback(rng: random.Random, timeline: Timeline, experience: Experience, drafts: list[_Draft]) -> None:
    person = experience.person
    contacted = {id(c.order) for c in experience.contacts if c.order}
    for contact in experience.contacts:
        if rng.random() < 0.85:
            drafts.append(_about_contact(rng, timeline, experience, contact))
        if rng.random() < 0.4:
            drafts.append(_ces(rng, timeline, experience, contact))
    for order in experience.orders:
        if order.outcome != "ok" and id(order) not in contacted and rng.random() < 0.4:
            channel = rng.choice(("web_form", "web_form", "sns", "app_review" if person.app_id else "email"))
            at = order.settled_at + timedelta(hours=rng.randrange(2, 72))
            aspects: tuple[Aspect, ...] = ((OUTCOME_TOPIC[order.outcome], "neg"),)
            drafts.append(_say(rng, timeline, person, at, channel, aspects, order))
        if rng.random() < 0.33:
            drafts.append(_csat(rng, timeline, experience, order))
        if order.outcome == "ok" and rng.random() < 0.14:
            drafts.append(_praise(rng, timeline, person, order))
    for wave in _NPS_WAVES:
        sent = timeline.moment(rng, int(timeline.days * wave))
        closed = experience.closed_at is not None and experience.closed_at < sent
        if person.joined < sent and rng.random() < (_NPS_ANSWER_RATE_CLOSED if closed else _NPS_ANSWER_RATE):
            drafts.append(_nps(rng, timeline, experience, sent + timedelta(minutes=int(rng.expovariate(1 / 1500)))))
    first_day = max(0, timeline.day_of(person.joined))
    for _ in range(poisson(rng, 1.15)):
        at = timeline.moment(rng, timeline.pick_day(rng, first_day))
        mood = experience.mood_at(at)
        polarity = "neg" if rng.random() < 0.5 - 0.3 * mood else "pos"
        channel = rng.choice(("chat", "email", "web_form", "web_form", "sns", "app_review", "chat"))
        first, second = rng.sample(_SPONTANEOUS, k=2)
        aspects = ((first, polarity),)
        if rng.random() < 0.25:
            aspects += ((second, "pos" if polarity == "neg" else "neg"),)
        drafts.append(_say(rng, timeline, person, at, channel, aspects, escalate=mood < -0.7 and rng.random() < 0.35))
    if experience.app_failures and rng.random() < 0.45:
        at = experience.app_failures[0] + timedelta(minutes=rng.randrange(2, 300))
        channel = rng.choices(("app_review", "chat", "sns"), weights=(55, 25, 20))[0]
        aspects = ((rng.choice(("app_error", "account")), "neg"),)
        drafts.append(_say(rng, timeline, person, at, channel, aspects, escalate=rng.random() < 0.15, version="5.2.0"))


def _about_contact(rng: random.Random, timeline: Timeline, experience: Experience, contact: Contact) -> _Draft:
    """The transcript or message of a support contact: the problem, then how waiting and the agent felt."""
    aspects: list[Aspect] = [(contact.topic, "neg")]
    if contact.order and contact.order.outcome == "damaged":
        aspects.append(("packaging", "neg"))
    if contact.wait_minutes > 15:
        aspects.append(("wait", "neg"))
    if contact.resolved and contact.channel != "call" and rng.random() < 0.3:
        aspects.append(("agent", "pos"))  # in a call the customer would be praising the agent to their face
    elif not contact.resolved and rng.random() < 0.4:
        aspects.append(("agent", "neg"))
    if rng.random() < 0.12:
        aspects.insert(0, (rng.choice(_PRAISE), "pos"))  # "배송은 빨랐는데 ..."
    escalate = experience.mood_at(contact.at) < -0.7 and rng.random() < 0.45
    draft = _say(
        rng, timeline, experience.person, contact.at, contact.channel, tuple(aspects), contact.order, escalate, contact
    )
    return replace(draft, stage="support")


def _scaled(value: float, low: int, high: int) -> int:
    return min(high, max(low, round(value)))


def _survey_text(
    rng: random.Random,
    timeline: Timeline,
    person: Person,
    at: datetime,
    aspects: tuple[Aspect, ...],
    order: Order | None,
    score: int,
) -> str | None:
    if rng.random() > 0.45:
        return None  # most respondents only tick the score
    return _say(rng, timeline, person, at, "survey", aspects, order, score=score).text


def _ces(rng: random.Random, timeline: Timeline, experience: Experience, contact: Contact) -> _Draft:
    """Customer Effort Score, 1 (very hard) to 7 (very easy), after a support contact."""
    person = experience.person
    at = contact.at + timedelta(minutes=rng.randrange(30, 1440))
    base = 5.7 if contact.resolved else 3.0
    score = _scaled(base - min(contact.wait_minutes, 45) / 15 + person.temper + rng.gauss(0, 0.9), 1, 7)
    if score >= 6:
        aspects: tuple[Aspect, ...] = ((rng.choice(("agent", "wait")), "pos"),)
    elif score <= 3:
        aspects = ((rng.choice(("agent", "wait", contact.topic)), "neg"),)
    else:
        aspects = (("general", "mid"),)
    text = _survey_text(rng, timeline, person, at, aspects, contact.order, score)
    return _Draft(
        at,
        _who(rng, person, "survey"),
        "survey",
        text,
        None,
        "ces",
        score,
        "support",
        contact.order.product.name if contact.order else None,
        contact.order.order_id if contact.order else None,
    )


def _csat(rng: random.Random, timeline: Timeline, experience: Experience, order: Order) -> _Draft:
    """Post-purchase CSAT, 1-5, sent a day or two after delivery; low when the order went wrong."""
    person = experience.person
    at = order.settled_at + timedelta(hours=rng.randrange(20, 72))
    score = _scaled(_CSAT_BASE[order.outcome] + 0.6 * person.temper + rng.gauss(0, 0.7), 1, 5)
    if score >= 4:
        aspects: tuple[Aspect, ...] = ((rng.choice(_PRAISE), "pos"),)
    elif score <= 2:
        aspects = ((OUTCOME_TOPIC[order.outcome] if order.outcome != "ok" else rng.choice(_PRAISE), "neg"),)
    else:
        liked, disliked = rng.sample(_PRAISE, k=2)
        aspects = ((liked, "pos"), (disliked, "neg"))
    text = _survey_text(rng, timeline, person, at, aspects, order, score)
    stage = "purchase" if order.channel == "store" else "delivery"
    return _Draft(
        at, _who(rng, person, "survey"), "survey", text, None, "csat", score, stage, order.product.name, order.order_id
    )


def _nps(rng: random.Random, timeline: Timeline, experience: Experience, at: datetime) -> _Draft:
    """Relationship NPS, 0-10, driven by everything the person went through so far."""
    person = experience.person
    mood = experience.mood_at(at)
    score = _scaled(7.5 + 2.3 * mood + rng.gauss(0, 1.2), 0, 10)
    if score >= 9:
        aspects: tuple[Aspect, ...] = (("general", "pos"),) + ((rng.choice(_PRAISE), "pos"),) * (rng.random() < 0.5)
    elif score <= 6:
        aspects = ((experience.worst_topic(at) or rng.choice(_SPONTANEOUS), "neg"),)
    else:
        liked = rng.choice(_PRAISE)
        aspects = ((liked, "pos"), (rng.choice([t for t in _SPONTANEOUS if t != liked]), "neg"))
    text = _survey_text(rng, timeline, person, at, aspects, None, score)
    return _Draft(at, _who(rng, person, "survey"), "survey", text, None, "nps", score, None)


def _praise(rng: random.Random, timeline: Timeline, person: Person, order: Order) -> _Draft:
    at = order.settled_at + timedelta(hours=rng.randrange(3, 240))
    channel = rng.choice(("web_form", "sns", "app_review" if person.app_id else "web_form"))
    aspects: tuple[Aspect, ...] = tuple((topic, "pos") for topic in rng.sample(_PRAISE, k=rng.randint(1, 2)))
    if rng.random() < 0.25:
        aspects += ((rng.choice(("packaging", "price", "coupon")), "neg"),)  # praise with a "but"
    return _say(rng, timeline, person, at, channel, aspects, order)


def _public_chatter(rng: random.Random, timeline: Timeline, customers: int, drafts: list[_Draft]) -> None:
    """Posts and store reviews from people the company cannot identify, with the release-week pile-on."""
    for _ in range(int(customers * 0.7)):
        at = timeline.moment(rng, timeline.pick_day(rng))
        aspects: tuple[Aspect, ...] = ((rng.choice(_PUBLIC), "neg" if rng.random() < 0.55 else "pos"),)
        drafts.append(_say(rng, timeline, None, at, rng.choice(("sns", "app_review")), aspects))
    spike = range(timeline.release_day, timeline.hotfix_day + 2)
    for _ in range(int(customers * 0.12)):
        at = timeline.moment(rng, spike[int(rng.expovariate(0.4)) % len(spike)])  # fades after day one
        aspects = ((rng.choice(("app_error", "app_error", "account")), "neg"),)
        channel = rng.choice(("app_review", "app_review", "sns"))
        drafts.append(_say(rng, timeline, None, at, channel, aspects, escalate=rng.random() < 0.1, version="5.2.0"))


def _copy_paste(rng: random.Random, drafts: list[_Draft]) -> None:
    """~1% of texts are pasted again: reposted publicly, or sent once more through another channel."""
    originals = [d for d in drafts if d.text and d.channel in ("chat", "email", "web_form", "sns", "app_review")]
    for draft in rng.sample(originals, k=len(originals) // 60):
        later = draft.at + timedelta(minutes=rng.randrange(3, 2_000))
        if draft.channel in ("sns", "app_review") or draft.person is None:
            drafts.append(replace(draft, at=later))
        else:
            channel = "email" if draft.channel != "email" else "web_form"
            drafts.append(replace(draft, at=later, channel=channel, who=_who(rng, draft.person, channel)))
