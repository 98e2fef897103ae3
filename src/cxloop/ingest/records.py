"""Canonical import records: which fields each kind takes, and validation into intake payloads."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from typing import Any, TypeVar

import orjson

from cxloop.domain import SURVEY_SCALES, EventChannel, FeedbackChannel, JourneyStage, RecordKind, SurveyType
from cxloop.ingest import fields as f

_T = TypeVar("_T")
_IDENTIFIER_FIELDS = ("customer_external_id", "email", "phone", "device_id", "social_handle")

#: The canonical field names per kind, in documentation order. Files and API payloads use them as is.
CANONICAL_FIELDS: dict[RecordKind, tuple[str, ...]] = {
    RecordKind.CUSTOMERS: (
        "external_id", "source", "name", "email", "phone", "birth_date", "gender", "city", "tier",
        "created_at", "device_id", "social_handle",
    ),
    RecordKind.EVENTS: (
        "event_id", "source", "customer_external_id", "email", "phone", "type", "channel",
        "occurred_at", "value", "currency", "journey_stage", "properties", "device_id", "social_handle",
    ),
    RecordKind.FEEDBACK: (
        "feedback_id", "source", "customer_external_id", "email", "phone", "channel", "occurred_at",
        "text", "rating", "survey_type", "score", "journey_stage", "product", "order_id", "device_id",
        "social_handle",
    ),
}  # fmt: skip

_ALLOWED = {kind: frozenset(names) for kind, names in CANONICAL_FIELDS.items()}

REQUIRED_FIELDS: dict[RecordKind, tuple[str, ...]] = {
    RecordKind.CUSTOMERS: ("external_id", "source"),
    RecordKind.EVENTS: ("source", "type", "channel", "occurred_at"),
    RecordKind.FEEDBACK: ("source", "channel", "occurred_at"),
}

_EXTERNAL_ID_FIELD = {
    RecordKind.CUSTOMERS: "external_id",
    RecordKind.EVENTS: "event_id",
    RecordKind.FEEDBACK: "feedback_id",
}

_GENDERS = {"f": "F", "female": "F", "여": "F", "여성": "F", "m": "M", "male": "M", "남": "M", "남성": "M"}


@dataclass(frozen=True, slots=True)
class Rejection:
    """Why one record was not accepted: its position in the batch or file, the field and the reason."""

    position: int
    field: str | None
    reason: str

    def to_dict(self, position_label: str = "index") -> dict[str, Any]:
        return {position_label: self.position, "field": self.field, "reason": self.reason}


@dataclass(frozen=True, slots=True)
class AcceptedRecord:
    position: int
    source: str
    external_id: str
    payload: dict[str, Any]  # JSON-ready canonical record, written to the intake queue


@dataclass(slots=True)
class ValidatedBatch:
    kind: RecordKind
    accepted: list[AcceptedRecord] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)


class _RecordError(Exception):
    def __init__(self, field_name: str | None, reason: str) -> None:
        super().__init__(reason)
        self.field_name = field_name
        self.reason = reason


def _p(field_name: str, parser: Callable[..., _T], value: Any, *args: Any, **kwargs: Any) -> _T:
    """Run one field parser, attributing its failure to the field."""
    try:
        return parser(value, *args, **kwargs)
    except ValueError as exc:
        raise _RecordError(field_name, str(exc)) from None


def _iso(value: datetime | date) -> str:
    return value.isoformat()


def _parse_common(raw: Mapping[str, Any], out: dict[str, Any], zone: tzinfo, max_text: int) -> None:
    for name in _IDENTIFIER_FIELDS:
        if name in raw:
            out[name] = _p(name, f.text, raw[name], max_length=320) or None
    if "journey_stage" in raw:
        out["journey_stage"] = _p("journey_stage", f.choice, raw["journey_stage"], JourneyStage)
    if "occurred_at" in raw:
        moment, offset = _p("occurred_at", f.timestamp, raw["occurred_at"], zone)
        out["occurred_at"], out["occurred_utc_offset_minutes"] = _iso(moment), offset


def _parse_customer(raw: Mapping[str, Any], out: dict[str, Any], zone: tzinfo, max_text: int) -> None:
    for name, limit in (("name", 200), ("city", 100), ("tier", 32)):
        if name in raw:
            out[name] = _p(name, f.text, raw[name], max_length=limit)
    if "gender" in raw:
        gender = _p("gender", f.text, raw["gender"], max_length=16)
        out["gender"] = _GENDERS.get(gender.lower(), gender)
    if "birth_date" in raw:
        out["birth_date"] = _iso(_p("birth_date", f.calendar_date, raw["birth_date"]))
    if "created_at" in raw:
        out["customer_since"] = _iso(_p("created_at", f.timestamp, raw["created_at"], zone)[0])


def _parse_event(raw: Mapping[str, Any], out: dict[str, Any], zone: tzinfo, max_text: int) -> None:
    out["type"] = _p("type", f.slug, raw["type"])
    out["channel"] = _p("channel", f.choice, raw["channel"], EventChannel)
    if "value" in raw:
        out["value"] = _p("value", f.amount, raw["value"])
    if "currency" in raw:
        out["currency"] = _p("currency", f.currency, raw["currency"])
    if "properties" in raw:
        out["properties"] = _p("properties", f.json_object, raw["properties"])


def _parse_feedback(raw: Mapping[str, Any], out: dict[str, Any], zone: tzinfo, max_text: int) -> None:
    out["channel"] = _p("channel", f.choice, raw["channel"], FeedbackChannel)
    if "text" in raw:
        out["text"] = _p("text", f.text, raw["text"], max_length=max_text) or None
    if "rating" in raw:
        out["rating"] = _p("rating", f.integer, raw["rating"], low=1, high=5)
    for name, limit in (("product", 200), ("order_id", 200)):
        if name in raw:
            out[name] = _p(name, f.text, raw[name], max_length=limit)
    survey = raw.get("survey_type")
    if survey is not None:
        out["survey_type"] = _p("survey_type", f.choice, survey, SurveyType)
    if "score" in raw:
        if survey is None:
            raise _RecordError("survey_type", "is required when a score is given (nps, csat or ces)")
        low, high = SURVEY_SCALES[SurveyType(out["survey_type"])]
        try:
            out["score"] = f.integer(raw["score"], low=low, high=high)
        except ValueError as exc:
            raise _RecordError("score", f"{exc} for {out['survey_type'].upper()}") from None
    elif survey is not None:
        raise _RecordError("score", f"is required for a {out['survey_type'].upper()} response")
    if not out.get("text") and "score" not in out and "rating" not in out:
        raise _RecordError("text", "feedback needs a text, a rating or a survey score")


_KIND_PARSERS: dict[RecordKind, Callable[[Mapping[str, Any], dict[str, Any], tzinfo, int], None]] = {
    RecordKind.CUSTOMERS: _parse_customer,
    RecordKind.EVENTS: _parse_event,
    RecordKind.FEEDBACK: _parse_feedback,
}


def _content_key(payload: Mapping[str, Any]) -> str:
    """A stable id for records sent without one, so replaying the same file creates no duplicates."""
    return "sha1:" + hashlib.sha1(orjson.dumps(payload, option=orjson.OPT_SORT_KEYS)).hexdigest()  # noqa: S324


def validate_record(
    kind: RecordKind,
    raw: Any,
    *,
    zone: tzinfo,
    default_source: str | None = None,
    max_text_chars: int = 100_000,
) -> tuple[str, str, dict[str, Any]]:
    """(source, external_id, payload) for one raw record, or _RecordError naming the field."""
    if not isinstance(raw, Mapping):
        raise _RecordError(None, f"each record must be a JSON object, got {type(raw).__name__}")
    allowed = _ALLOWED[kind]
    for key in raw:
        if key not in allowed:
            fields = ", ".join(CANONICAL_FIELDS[kind])
            raise _RecordError(str(key), f"unknown field for {kind.value}; the fields are: {fields}")
    # Empty cells and blank strings count as absent (inlined: this runs for every field of every record).
    present = {
        key: value
        for key, value in raw.items()
        if value is not None and not (type(value) is str and (not value or value.isspace()))
    }
    if default_source and "source" not in present:
        present["source"] = default_source
    for name in REQUIRED_FIELDS[kind]:
        if name not in present:
            raise _RecordError(name, "is required")
    payload: dict[str, Any] = {}
    source = _p("source", f.slug, present["source"])
    _parse_common(present, payload, zone, max_text_chars)
    _KIND_PARSERS[kind](present, payload, zone, max_text_chars)
    id_field = _EXTERNAL_ID_FIELD[kind]
    external_id = _p(id_field, f.text, present[id_field], max_length=200) if id_field in present else ""
    if kind is RecordKind.CUSTOMERS:
        payload["external_id"] = external_id
    if not external_id:
        external_id = _content_key({"source": source, **payload})
    payload["source"] = source
    return source, external_id, payload


def validate_batch(
    kind: RecordKind,
    items: Iterable[tuple[int, Any]],
    *,
    zone: tzinfo,
    default_source: str | None = None,
    max_text_chars: int = 100_000,
) -> ValidatedBatch:
    """Validate (position, raw record) pairs; good records are accepted even when others fail."""
    batch = ValidatedBatch(kind)
    for position, raw in items:
        try:
            source, external_id, payload = validate_record(
                kind, raw, zone=zone, default_source=default_source, max_text_chars=max_text_chars
            )
        except _RecordError as exc:
            batch.rejections.append(Rejection(position, exc.field_name, exc.reason))
            continue
        batch.accepted.append(AcceptedRecord(position, source, external_id, payload))
    return batch
