"""The synthetic demo company: deterministic, canonical, messy where real data is messy, and coherent."""

from __future__ import annotations

import hashlib
import json
import os
import re
import statistics
import subprocess
import sys
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta

import pytest

from cxloop.demo.synth import SyntheticCompany, generate_company
from cxloop.demo.timeline import make_timeline
from cxloop.domain import SURVEY_SCALES, EventChannel, FeedbackChannel, JourneyStage, SurveyType

CUSTOMER_FIELDS = {
    "external_id",
    "source",
    "name",
    "email",
    "phone",
    "birth_date",
    "gender",
    "city",
    "tier",
    "created_at",
}
EVENT_FIELDS = {
    "event_id",
    "source",
    "customer_external_id",
    "email",
    "phone",
    "type",
    "channel",
    "occurred_at",
    "value",
    "currency",
    "journey_stage",
    "properties",
}
FEEDBACK_FIELDS = {
    "feedback_id",
    "source",
    "customer_external_id",
    "email",
    "phone",
    "channel",
    "occurred_at",
    "text",
    "rating",
    "survey_type",
    "score",
    "journey_stage",
    "product",
    "order_id",
}
SMALL = {"seed": 7, "customers": 1200}
START = date(2026, 5, 1)


@pytest.fixture(scope="module")
def company() -> SyntheticCompany:
    return generate_company(**SMALL)


def _digest(company: SyntheticCompany) -> str:
    payload = json.dumps([company.customers, company.events, company.feedback], ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()


def _language(text: str) -> str:
    """ko / en / mixed by the share of Latin words among Hangul and Latin words (e-mails and ids ignored)."""
    text = re.sub(r"\S+@\S+|\S*\d\S*", " ", text)
    hangul = len(re.findall(r"[가-힣]+", text))
    latin = len(re.findall(r"[A-Za-z]{2,}", text))
    share = latin / max(hangul + latin, 1)
    return "en" if share > 0.8 else "ko" if share < 0.2 else "mixed"


def _phone_key(raw: object) -> str | None:
    digits = re.sub(r"\D", "", str(raw or ""))
    if digits.startswith("82"):
        digits = "0" + digits[2:]
    return digits if re.fullmatch(r"010\d{8}", digits) else None


def _email_key(raw: object) -> str | None:
    email = str(raw or "").strip().lower()
    return email if re.fullmatch(r"[^@\s]+@[a-z0-9-]+\.[a-z.]+", email) else None


def _resolver(company: SyntheticCompany) -> dict[tuple[str, str], str]:
    """A minimal identity resolution for the tests: every identifier that points at exactly one CRM id."""
    by_key: dict[tuple[str, str], set[str]] = defaultdict(set)
    for row in company.customers:
        if row["source"] == "crm":
            for kind, key in (("phone", _phone_key(row["phone"])), ("email", _email_key(row["email"]))):
                if key:
                    by_key[(kind, key)].add(str(row["external_id"]))
    for row in company.customers:
        if row["source"] == "app":
            owners = set()
            for kind, key in (("phone", _phone_key(row["phone"])), ("email", _email_key(row["email"]))):
                owners |= by_key.get((kind, key or ""), set())
            if len(owners) == 1:
                by_key[("app", str(row["external_id"]))] = owners
    unique = {key: next(iter(ids)) for key, ids in by_key.items() if len(ids) == 1}
    for row in company.customers:
        if row["source"] == "crm":
            unique[("crm", str(row["external_id"]))] = str(row["external_id"])
    return unique


def _owner(record: dict[str, object], resolve: dict[tuple[str, str], str]) -> str | None:
    if record["customer_external_id"]:
        return resolve.get((str(record["source"]), str(record["customer_external_id"])))
    if record["email"]:
        return resolve.get(("email", _email_key(record["email"]) or ""))
    if record["phone"]:
        return resolve.get(("phone", _phone_key(record["phone"]) or ""))
    return None


def test_same_seed_gives_identical_output_and_other_seeds_differ() -> None:
    first = generate_company(seed=3, customers=150, days=60)
    again = generate_company(seed=3, customers=150, days=60)
    other = generate_company(seed=4, customers=150, days=60)
    assert _digest(first) == _digest(again)
    assert _digest(first) != _digest(other)


def test_output_does_not_depend_on_the_hash_seed() -> None:
    """Set iteration order changes with PYTHONHASHSEED; the output must not."""
    script = (
        "import hashlib, json; from cxloop.demo.synth import generate_company as g; "
        "c = g(seed=3, customers=150, days=60); "
        "print(hashlib.sha256(json.dumps([c.customers, c.events, c.feedback], ensure_ascii=False).encode())"
        ".hexdigest())"
    )
    digests = {
        subprocess.run(
            [sys.executable, "-c", script],
            env={**os.environ, "PYTHONHASHSEED": hash_seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        for hash_seed in ("1", "2")
    }
    assert digests == {_digest(generate_company(seed=3, customers=150, days=60))}


@pytest.mark.slow
def test_default_company_meets_the_size_floors() -> None:
    company = generate_company()
    assert sum(1 for row in company.customers if row["source"] == "crm") == 5000
    assert len(company.events) >= 100_000
    assert len(company.feedback) >= 20_000


def test_records_use_only_canonical_field_names(company: SyntheticCompany) -> None:
    for rows, allowed in (
        (company.customers, CUSTOMER_FIELDS),
        (company.events, EVENT_FIELDS),
        (company.feedback, FEEDBACK_FIELDS),
    ):
        assert rows
        assert set().union(*(row.keys() for row in rows)) <= allowed


def test_enum_valued_fields_use_domain_values(company: SyntheticCompany) -> None:
    stages = {s.value for s in JourneyStage} | {None}
    assert {e["channel"] for e in company.events} <= {c.value for c in EventChannel}
    assert {e["journey_stage"] for e in company.events} <= stages
    assert {f["channel"] for f in company.feedback} == {c.value for c in FeedbackChannel}
    assert {f["journey_stage"] for f in company.feedback} <= stages
    assert {f["survey_type"] for f in company.feedback} == {s.value for s in SurveyType} | {None}
    assert {c["tier"] for c in company.customers if c["source"] == "crm"} == {"basic", "silver", "gold", "vip"}
    assert {c["gender"] for c in company.customers} == {"F", "M", None}


def test_scores_and_ratings_stay_in_their_scales(company: SyntheticCompany) -> None:
    for item in company.feedback:
        if item["channel"] == "survey":
            low, high = SURVEY_SCALES[SurveyType(str(item["survey_type"]))]
            assert isinstance(item["score"], int)
            assert low <= item["score"] <= high
        else:
            assert item["score"] is None
            assert item["survey_type"] is None
        if item["channel"] == "app_review":
            assert item["rating"] in {1, 2, 3, 4, 5}
        else:
            assert item["rating"] is None
        if item["channel"] != "survey":
            assert item["text"]


def test_timestamps_are_iso_with_offsets_inside_the_range(company: SyntheticCompany) -> None:
    stamps = [str(r["occurred_at"]) for r in [*company.events, *company.feedback]]
    end = datetime.fromisoformat("2026-05-01T00:00:00+09:00") + timedelta(days=184)
    for stamp in stamps:
        moment = datetime.fromisoformat(stamp)
        assert moment.tzinfo is not None
        assert datetime.fromisoformat("2026-05-01T00:00:00+09:00") - timedelta(hours=1) <= moment < end
    korean = sum(s.endswith("+09:00") for s in stamps)
    utc = sum(s.endswith("Z") for s in stamps)
    assert korean + utc == len(stamps)
    assert 0.005 < utc / len(stamps) < 0.2


def test_ids_are_unique_within_each_source(company: SyntheticCompany) -> None:
    for rows, field in (
        (company.events, "event_id"),
        (company.feedback, "feedback_id"),
        (company.customers, "external_id"),
    ):
        keys = [(row["source"], row[field]) for row in rows]
        assert len(keys) == len(set(keys))


def test_records_identify_people_the_way_each_source_can(company: SyntheticCompany) -> None:
    known = {(c["source"], c["external_id"]) for c in company.customers}
    anonymous = 0
    for record in [*company.events, *company.feedback]:
        if record["customer_external_id"]:
            assert record["source"] in {"crm", "app"}
            assert (record["source"], record["customer_external_id"]) in known
        elif not (record["email"] or record["phone"]):
            assert "feedback_id" in record
            assert record["channel"] in {"sns", "app_review"}
            anonymous += 1
    assert anonymous > 0


def test_identifiers_are_messy_like_real_systems(company: SyntheticCompany) -> None:
    phones = [str(c["phone"]) for c in company.customers if c["phone"]]
    emails = [str(c["email"]) for c in company.customers if c["email"]]
    shapes = {re.sub(r"\d", "9", p) for p in phones}
    assert {"999-9999-9999", "99999999999", "999 9999 9999", "+99 99-9999-9999", "+999999999999"} <= shapes
    assert any(e != e.strip() for e in emails)
    assert any(e != e.lower() for e in emails)
    malformed = sum(_phone_key(p) is None for p in phones) + sum(_email_key(e) is None for e in emails)
    assert 0.002 < malformed / (len(phones) + len(emails)) < 0.03
    crm_phones = Counter(_phone_key(c["phone"]) for c in company.customers if c["source"] == "crm" and c["phone"])
    assert any(n > 1 for key, n in crm_phones.items() if key)  # a family sharing one line
    app_emails = Counter(_email_key(c["email"]) for c in company.customers if c["source"] == "app" and c["email"])
    assert any(n > 1 for key, n in app_emails.items() if key)  # one e-mail, two app accounts
    assert any("." in str(c["birth_date"]) for c in company.customers if c["birth_date"])
    assert any(re.fullmatch(r"\d{8}", str(c["birth_date"])) for c in company.customers if c["birth_date"])


def test_purchases_carry_krw_values_and_feedback_points_at_real_orders(company: SyntheticCompany) -> None:
    purchases = [e for e in company.events if e["type"] == "purchase"]
    assert purchases
    products: dict[str, str] = {}
    for event in purchases:
        assert isinstance(event["value"], int)
        assert 1_000 <= event["value"] <= 2_000_000
        assert event["currency"] == "KRW"
        properties = event["properties"]
        assert isinstance(properties, dict)
        products[str(properties["order_id"])] = str(properties["product_id"])
    with_orders = [f for f in company.feedback if f["order_id"]]
    assert len(with_orders) > 100
    assert all(f["order_id"] in products and f["product"] for f in with_orders)


def test_language_mix_is_mostly_korean(company: SyntheticCompany) -> None:
    texts = [str(f["text"]) for f in company.feedback if f["text"]]
    shares = {lang: n / len(texts) for lang, n in Counter(map(_language, texts)).items()}
    assert 0.68 <= shares["ko"] <= 0.84
    assert 0.10 <= shares["en"] <= 0.20
    assert 0.05 <= shares["mixed"] <= 0.15


def test_texts_are_varied_with_a_few_copy_pastes(company: SyntheticCompany) -> None:
    texts = [str(f["text"]) for f in company.feedback if f["text"]]
    counts = Counter(texts)
    assert len(counts) / len(texts) >= 0.9
    assert any(n > 1 and len(text) > 40 for text, n in counts.items())


def test_texts_contain_the_noise_and_risks_analytics_must_handle(company: SyntheticCompany) -> None:
    corpus = "\n".join(str(f["text"]) for f in company.feedback if f["text"])
    assert re.search(r"\b\d{4}[- ]?\d{4}[- ]?\d{4}[- ]?\d{4}\b", corpus)  # card number
    assert re.search(r"\b\d{6}-[1-4]\d{6}\b", corpus)  # 주민등록번호-shaped
    assert re.search(r"01\d[- ]?\d{4}[- ]?\d{4}", corpus)
    marker_groups = {
        "legal threat (ko)": ("소비자원", "공정위", "변호사"),
        "legal threat (en)": ("lawyer", "chargeback", "Consumer Agency"),
        "churn intent": ("해지할게요", "탈퇴하겠습니다", "cancelling"),
        "call transcript": ("상담사:",),
        "e-mail": ("제목:", "Subject:"),
        "laughing and crying": ("ㅋㅋ", "ㅠㅠ"),
    }
    missing = [name for name, markers in marker_groups.items() if not any(m in corpus for m in markers)]
    assert missing == []


def test_login_failures_spike_after_the_app_release(company: SyntheticCompany) -> None:
    timeline = make_timeline(START, 184)
    failures = Counter(
        (datetime.fromisoformat(str(e["occurred_at"])).date() - START).days
        for e in company.events
        if e["type"] in {"login_failed", "app_crash"}
    )
    window = range(timeline.release_day, timeline.hotfix_day + 21)  # late updaters hit it later
    inside = sum(n for day, n in failures.items() if day in window)
    assert inside / sum(failures.values()) > 0.7
    app_texts = [f for f in company.feedback if f["channel"] == "app_review"]
    in_release = sum(
        1
        for f in app_texts
        if timeline.release_day
        <= (datetime.fromisoformat(str(f["occurred_at"])).date() - START).days
        <= timeline.hotfix_day
    )
    per_day_in_release = in_release / (timeline.hotfix_day - timeline.release_day + 1)
    assert per_day_in_release > 3 * len(app_texts) / 184


def test_nps_is_lower_for_customers_who_needed_support_or_a_refund(company: SyntheticCompany) -> None:
    resolve = _resolver(company)
    troubled = {
        owner for e in company.events if e["type"] in {"refund", "support_contact"} and (owner := _owner(e, resolve))
    }
    scores: dict[bool, list[int]] = {True: [], False: []}
    for item in company.feedback:
        owner = _owner(item, resolve)
        if item["survey_type"] == "nps" and owner and isinstance(item["score"], int):
            scores[owner in troubled].append(item["score"])
    assert len(scores[True]) > 50
    assert len(scores[False]) > 500
    assert statistics.mean(scores[True]) < statistics.mean(scores[False]) - 0.3


def test_csat_text_sentiment_agrees_with_score(company: SyntheticCompany) -> None:
    praise = re.compile(
        r"만족|좋|최고|빨|혜자|꼼꼼|마음에|친절|추천|잘|튼튼|저렴|깔끔|짱|good|great|fast|love|happy|perfect|nice|quick|"
        r"easy|cheap|steal|well|exactly",
        re.IGNORECASE,
    )
    complaint = re.compile(
        r"늦|불량|안 ?돼|안 ?되|안 ?움직|안 ?들어|안 ?와|못 ?받|아직|지연|없이|엉망|실망|달라|비싸|없어요|없었|"
        r"걸렸|심해|터져|찌그러|젖어|뜯겨|망가|고장|냄새|별로|"
        r"slow|defective|crushed|disappoint|never|worse|won't|too much|still|broke|wet|torn|nothing|wrong|late",
        re.IGNORECASE,
    )

    def share(pattern: re.Pattern[str], texts: list[str]) -> float:
        return sum(bool(pattern.search(text)) for text in texts) / len(texts)

    csat = [f for f in company.feedback if f["survey_type"] == "csat" and f["text"]]
    low = [str(f["text"]) for f in csat if isinstance(f["score"], int) and f["score"] <= 2]
    high = [str(f["text"]) for f in csat if isinstance(f["score"], int) and f["score"] >= 4]
    assert len(low) >= 10
    assert len(high) >= 100
    assert share(complaint, low) > share(complaint, high) + 0.3
    assert share(praise, high) > share(praise, low) + 0.3
