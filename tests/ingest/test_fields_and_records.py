"""Validation of canonical records: each rule rejects with the field and a reason a person can act on."""

from __future__ import annotations

import unicodedata
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from cxloop.domain import EventChannel, FeedbackChannel, JourneyStage, RecordKind, SurveyType
from cxloop.ingest.records import CANONICAL_FIELDS, REQUIRED_FIELDS, Rejection, validate_batch, validate_record

SEOUL = ZoneInfo("Asia/Seoul")

FEEDBACK: dict[str, Any] = {
    "source": "callcenter",
    "feedback_id": "T-1001",
    "phone": "010-1234-5678",
    "channel": "call",
    "occurred_at": "2026-06-03T14:22:05+09:00",
    "text": "배송이 너무 늦어요",
}
EVENT: dict[str, Any] = {
    "source": "shop",
    "event_id": "E-1",
    "customer_external_id": "C-1",
    "type": "order_paid",
    "channel": "web",
    "occurred_at": "2026-06-03T14:22:05+09:00",
}
CUSTOMER: dict[str, Any] = {"source": "crm", "external_id": "C-1", "name": "김민지", "email": "minji@example.kr"}
BASE = {RecordKind.FEEDBACK: FEEDBACK, RecordKind.EVENTS: EVENT, RecordKind.CUSTOMERS: CUSTOMER}


def _payload(kind: RecordKind, raw: dict[str, Any], **options: Any) -> dict[str, Any]:
    return validate_record(kind, raw, zone=SEOUL, **options)[2]


def _rejection(kind: RecordKind, raw: Any, **options: Any) -> Rejection:
    batch = validate_batch(kind, [(7, raw)], zone=SEOUL, **options)
    assert batch.accepted == [], f"expected a rejection, got {batch.accepted}"
    (rejection,) = batch.rejections
    assert rejection.position == 7
    return rejection


@pytest.mark.parametrize("kind", list(RecordKind))
def test_canonical_records_are_accepted_without_mapping(kind: RecordKind) -> None:
    source, external_id, payload = validate_record(kind, BASE[kind], zone=SEOUL)
    assert (source, payload["source"]) == (BASE[kind]["source"],) * 2
    assert external_id in {"T-1001", "E-1", "C-1"}
    assert set(payload) - {"occurred_utc_offset_minutes"} <= set(CANONICAL_FIELDS[kind])


@pytest.mark.parametrize(("kind", "name"), [(kind, name) for kind, names in REQUIRED_FIELDS.items() for name in names])
@pytest.mark.parametrize("absent", ["missing", "blank"])
def test_a_missing_required_field_is_named(kind: RecordKind, name: str, absent: str) -> None:
    raw = {k: v for k, v in BASE[kind].items() if k != name}
    if absent == "blank":
        raw[name] = "   "
    rejection = _rejection(kind, raw)
    assert (rejection.field, rejection.reason) == (name, "is required")


def test_default_source_fills_records_without_one_but_never_overrides() -> None:
    without = {k: v for k, v in FEEDBACK.items() if k != "source"}
    assert validate_record(RecordKind.FEEDBACK, without, zone=SEOUL, default_source="kakao")[0] == "kakao"
    assert validate_record(RecordKind.FEEDBACK, FEEDBACK, zone=SEOUL, default_source="kakao")[0] == "callcenter"


@pytest.mark.parametrize(
    ("kind", "name", "value", "allowed"),
    [
        (RecordKind.FEEDBACK, "channel", "fax", FeedbackChannel),
        (RecordKind.EVENTS, "channel", "pigeon", EventChannel),
        (RecordKind.FEEDBACK, "journey_stage", "moon", JourneyStage),
        (RecordKind.FEEDBACK, "survey_type", "smiley", SurveyType),
    ],
)
def test_enum_values_outside_the_list_name_the_allowed_values(
    kind: RecordKind, name: str, value: str, allowed: type[Any]
) -> None:
    raw = {**BASE[kind], name: value, **({"score": 3} if name == "survey_type" else {})}
    rejection = _rejection(kind, raw)
    assert rejection.field == name
    assert repr(value) in rejection.reason
    assert ", ".join(member.value for member in allowed) in rejection.reason


@pytest.mark.parametrize(
    ("name", "written", "stored"),
    [
        ("channel", "Web Form", "web_form"),
        ("channel", "APP-REVIEW", "app_review"),
        ("journey_stage", "Delivery", "delivery"),
    ],
)
def test_enum_values_are_read_case_and_separator_insensitively(name: str, written: str, stored: str) -> None:
    assert _payload(RecordKind.FEEDBACK, {**FEEDBACK, name: written})[name] == stored


@pytest.mark.parametrize(("survey", "low", "high"), [("nps", 0, 10), ("csat", 1, 5), ("ces", 1, 7)])
def test_survey_scores_must_lie_on_their_own_scale(survey: str, low: int, high: int) -> None:
    for score in (low, high):
        assert _payload(RecordKind.FEEDBACK, {**FEEDBACK, "survey_type": survey, "score": score})["score"] == score
    for score in (low - 1, high + 1):
        rejection = _rejection(RecordKind.FEEDBACK, {**FEEDBACK, "survey_type": survey, "score": score})
        assert rejection.field == "score"
        assert f"{low}–{high}" in rejection.reason
        # The reason names the scale, since 6 is fine for NPS but not for CSAT.
        assert rejection.reason.endswith(f"for {survey.upper()}")


def test_a_score_needs_a_survey_type_and_a_survey_type_needs_a_score() -> None:
    no_type = _rejection(RecordKind.FEEDBACK, {**FEEDBACK, "score": 9})
    assert no_type.field == "survey_type"
    assert "nps, csat or ces" in no_type.reason
    no_score = _rejection(RecordKind.FEEDBACK, {**FEEDBACK, "survey_type": "nps"})
    assert (no_score.field, no_score.reason) == ("score", "is required for a NPS response")


def test_feedback_needs_something_to_say() -> None:
    bare = {k: v for k, v in FEEDBACK.items() if k != "text"}
    assert _rejection(RecordKind.FEEDBACK, bare).field == "text"
    assert _payload(RecordKind.FEEDBACK, {**bare, "rating": "4.0"})["rating"] == 4
    assert _payload(RecordKind.FEEDBACK, {**bare, "survey_type": "CSAT", "score": "5"})["score"] == 5


@pytest.mark.parametrize(("rating", "reason"), [(6, "outside the allowed range 1–5"), (3.5, "not a whole number"),
                                                 ("four", "not a whole number"), (True, "true/false")])  # fmt: skip
def test_ratings_are_whole_numbers_from_one_to_five(rating: Any, reason: str) -> None:
    rejection = _rejection(RecordKind.FEEDBACK, {**FEEDBACK, "rating": rating})
    assert rejection.field == "rating"
    assert reason in rejection.reason


@pytest.mark.parametrize(
    ("written", "utc", "offset"),
    [
        ("2026-06-03T14:22:05+09:00", "2026-06-03T05:22:05", 540),
        ("2026-06-03T14:22:05-05:30", "2026-06-03T19:52:05", -330),
        ("2026-06-03T05:22:05Z", "2026-06-03T05:22:05", 0),
        ("2026-06-03 14:22:05+00:00", "2026-06-03T14:22:05", 0),
    ],
)
def test_timestamps_with_an_offset_become_utc_and_keep_the_offset(written: str, utc: str, offset: int) -> None:
    payload = _payload(RecordKind.FEEDBACK, {**FEEDBACK, "occurred_at": written})
    assert (payload["occurred_at"], payload["occurred_utc_offset_minutes"]) == (utc, offset)


@pytest.mark.parametrize(
    ("written", "utc"),
    [
        ("2026-06-03T14:22:05", "2026-06-03T05:22:05"),
        ("2026-06-03 14:22:05", "2026-06-03T05:22:05"),
        ("2026.06.03", "2026-06-02T15:00:00"),  # a bare spreadsheet date is local midnight
        ("2026-06-03", "2026-06-02T15:00:00"),
    ],
)
def test_naive_timestamps_are_read_in_seoul(written: str, utc: str) -> None:
    payload = _payload(RecordKind.FEEDBACK, {**FEEDBACK, "occurred_at": written})
    assert (payload["occurred_at"], payload["occurred_utc_offset_minutes"]) == (utc, 540)


def test_epoch_seconds_and_milliseconds_mean_the_same_moment() -> None:
    seconds = _payload(RecordKind.FEEDBACK, {**FEEDBACK, "occurred_at": 1_780_464_125})
    millis = _payload(RecordKind.FEEDBACK, {**FEEDBACK, "occurred_at": 1_780_464_125_000})
    assert seconds["occurred_at"] == millis["occurred_at"] == "2026-06-03T05:22:05"


@pytest.mark.parametrize(
    ("written", "reason"),
    [
        ("yesterday", "is not an ISO-8601 time"),
        ("1969-12-31T23:00:00Z", "outside the years 1970–2100"),
        ("2026-13-01T00:00:00", "is not an ISO-8601 time"),
        (True, "must be text"),
        (1e300, "not a valid epoch time"),
    ],
)
def test_unreadable_timestamps_are_rejected(written: Any, reason: str) -> None:
    rejection = _rejection(RecordKind.FEEDBACK, {**FEEDBACK, "occurred_at": written})
    assert rejection.field == "occurred_at"
    assert reason in rejection.reason


@pytest.mark.parametrize(
    "written", ["1985-03-02", "1985.03.02", "1985/03/02", "19850302", "1985. 03. 02", "1985.03.02."]
)
def test_messy_birth_dates_are_read(written: str) -> None:
    assert _payload(RecordKind.CUSTOMERS, {**CUSTOMER, "birth_date": written})["birth_date"] == "1985-03-02"


@pytest.mark.parametrize(
    ("written", "reason"), [("02/03/1985", "use YYYY-MM-DD"), ("1850-01-01", "not a plausible date")]
)
def test_ambiguous_or_implausible_birth_dates_are_rejected(written: str, reason: str) -> None:
    rejection = _rejection(RecordKind.CUSTOMERS, {**CUSTOMER, "birth_date": written})
    assert rejection.field == "birth_date"
    assert reason in rejection.reason


def test_customer_fields_from_korean_spreadsheets_are_cleaned() -> None:
    payload = _payload(
        RecordKind.CUSTOMERS, {**CUSTOMER, "external_id": 12345.0, "gender": "여성", "created_at": "2020.07.18"}
    )
    assert payload["external_id"] == "12345"  # Excel hands ids over as floats
    assert payload["gender"] == "F"
    assert payload["customer_since"] == "2020-07-17T15:00:00"


@pytest.mark.parametrize(
    ("written", "stored"), [("12,000원", 12000.0), ("₩1,234.567", 1234.57), (" 5000 ", 5000.0), (-3.5, -3.5)]
)
def test_amounts_tolerate_separators_and_currency_signs(written: Any, stored: float) -> None:
    assert _payload(RecordKind.EVENTS, {**EVENT, "value": written})["value"] == stored


@pytest.mark.parametrize(
    ("written", "reason"),
    [
        ("abc", "is not a number"),
        ("nan", "not a plausible amount"),
        ("1e20", "not a plausible amount"),
        (True, "true/false"),
    ],
)
def test_implausible_amounts_are_rejected(written: Any, reason: str) -> None:
    rejection = _rejection(RecordKind.EVENTS, {**EVENT, "value": written})
    assert rejection.field == "value"
    assert reason in rejection.reason


def test_currency_codes_are_upper_cased_three_letter_codes() -> None:
    assert _payload(RecordKind.EVENTS, {**EVENT, "currency": "krw"})["currency"] == "KRW"
    rejection = _rejection(RecordKind.EVENTS, {**EVENT, "currency": "₩"})
    assert (rejection.field, "ISO 4217" in rejection.reason) == ("currency", True)


def test_properties_may_be_a_json_string_or_an_object() -> None:
    from_text = _payload(RecordKind.EVENTS, {**EVENT, "properties": '{"coupon": "WELCOME10", "items": 2}'})
    from_object = _payload(RecordKind.EVENTS, {**EVENT, "properties": {"coupon": "WELCOME10", "items": 2}})
    assert from_text["properties"] == from_object["properties"] == {"coupon": "WELCOME10", "items": 2}
    assert "properties" not in _payload(RecordKind.EVENTS, {**EVENT, "properties": "  "})


@pytest.mark.parametrize(
    ("written", "reason"),
    [('{"coupon": ', "is not valid JSON"), ("[1, 2]", "must be a JSON object, got list"), (42, "got int")],
)
def test_properties_that_are_not_a_json_object_are_rejected(written: Any, reason: str) -> None:
    rejection = _rejection(RecordKind.EVENTS, {**EVENT, "properties": written})
    assert rejection.field == "properties"
    assert reason in rejection.reason


@pytest.mark.parametrize("kind", list(RecordKind))
def test_an_unknown_field_is_named_with_the_fields_that_exist(kind: RecordKind) -> None:
    rejection = _rejection(kind, {**BASE[kind], "comment": "hello"})
    assert rejection.field == "comment"
    assert rejection.reason.startswith(f"unknown field for {kind.value}")
    assert ", ".join(CANONICAL_FIELDS[kind]) in rejection.reason


@pytest.mark.parametrize("raw", [["a", "list"], "text", 42, None])
def test_a_record_that_is_not_an_object_is_rejected_without_a_field(raw: Any) -> None:
    rejection = _rejection(RecordKind.FEEDBACK, raw)
    assert rejection.field is None
    assert "must be a JSON object" in rejection.reason


def test_over_long_text_is_rejected_with_its_length_and_the_limit() -> None:
    assert _payload(RecordKind.FEEDBACK, {**FEEDBACK, "text": "가" * 1000}, max_text_chars=1000)["text"] == "가" * 1000
    rejection = _rejection(RecordKind.FEEDBACK, {**FEEDBACK, "text": "가" * 1001}, max_text_chars=1000)
    assert (rejection.field, rejection.reason) == ("text", "is 1,001 characters long; the limit is 1,000")
    name = _rejection(RecordKind.CUSTOMERS, {**CUSTOMER, "name": "x" * 201})
    assert (name.field, "limit is 200" in name.reason) == ("name", True)


def test_text_is_trimmed_nfc_normalized_and_freed_of_control_characters() -> None:
    decomposed = unicodedata.normalize("NFD", " 배송\x00이 늦어요\x07 ")
    assert _payload(RecordKind.FEEDBACK, {**FEEDBACK, "text": decomposed})["text"] == "배송이 늦어요"
    assert _rejection(RecordKind.FEEDBACK, {**FEEDBACK, "text": ["a"]}).reason == "must be text, got list"


def test_event_types_and_sources_must_be_simple_names() -> None:
    assert _rejection(RecordKind.EVENTS, {**EVENT, "type": "order paid!"}).field == "type"
    assert _rejection(RecordKind.EVENTS, {**EVENT, "source": "x" * 65}).field == "source"


def test_records_without_an_id_get_a_stable_content_hash() -> None:
    anonymous = {k: v for k, v in FEEDBACK.items() if k != "feedback_id"}
    first = validate_record(RecordKind.FEEDBACK, anonymous, zone=SEOUL)[1]
    reordered = validate_record(RecordKind.FEEDBACK, dict(reversed(list(anonymous.items()))), zone=SEOUL)[1]
    # The same instant written as naive Seoul time is the same record.
    same_moment = validate_record(RecordKind.FEEDBACK, {**anonymous, "occurred_at": "2026-06-03 14:22:05"}, zone=SEOUL)[
        1
    ]
    other_text = validate_record(RecordKind.FEEDBACK, {**anonymous, "text": "다른 의견"}, zone=SEOUL)[1]
    other_source = validate_record(RecordKind.FEEDBACK, {**anonymous, "source": "kakao"}, zone=SEOUL)[1]
    assert first.startswith("sha1:")
    assert first == reordered == same_moment
    assert len({first, other_text, other_source}) == 3


def test_a_batch_keeps_good_records_and_names_each_bad_one() -> None:
    items = [(0, FEEDBACK), (1, {**FEEDBACK, "channel": "fax"}), (2, {**FEEDBACK, "feedback_id": "T-2"}), (3, 42)]
    batch = validate_batch(RecordKind.FEEDBACK, items, zone=SEOUL)
    assert [r.position for r in batch.accepted] == [0, 2]
    assert [(r.position, r.field) for r in batch.rejections] == [(1, "channel"), (3, None)]
    assert batch.rejections[0].to_dict("row") == {"row": 1, "field": "channel", "reason": batch.rejections[0].reason}
