"""The customer-experience vocabulary: entities and enums shared by every room. Pure, no I/O."""

from __future__ import annotations

import os
import time
from enum import StrEnum


class RecordKind(StrEnum):
    """What an ingested record describes; also the path segment of the ingest API."""

    CUSTOMERS = "customers"
    EVENTS = "events"
    FEEDBACK = "feedback"


class IdentityKind(StrEnum):
    """Identifiers that can point at one customer."""

    EMAIL = "email"
    PHONE = "phone"
    EXTERNAL_ID = "external_id"  # namespaced by the source system that issued it
    DEVICE_ID = "device_id"
    SOCIAL_HANDLE = "social_handle"


class FeedbackChannel(StrEnum):
    """Where a piece of customer feedback was heard."""

    CALL = "call"  # call-centre transcript
    CHAT = "chat"
    EMAIL = "email"
    SNS = "sns"
    APP_REVIEW = "app_review"
    WEB_FORM = "web_form"
    SURVEY = "survey"


#: Feedback the company asked for. An answer to a survey is not the customer coming back with a problem:
#: it is no complaint, no recontact, and its volume follows survey sends rather than customer problems.
SOLICITED_CHANNELS: tuple[str, ...] = (FeedbackChannel.SURVEY.value,)


class EventChannel(StrEnum):
    """Where an interaction event happened."""

    WEB = "web"
    APP = "app"
    STORE = "store"
    CALL = "call"
    CHAT = "chat"
    EMAIL = "email"
    SNS = "sns"
    OTHER = "other"


class JourneyStage(StrEnum):
    """Stages of the customer journey, in order."""

    AWARENESS = "awareness"
    CONSIDERATION = "consideration"
    PURCHASE = "purchase"
    DELIVERY = "delivery"
    USE = "use"
    SUPPORT = "support"
    RENEWAL = "renewal"
    CHURN = "churn"


class SurveyType(StrEnum):
    """Survey metrics; each has its own score scale (see SURVEY_SCALES)."""

    NPS = "nps"
    CSAT = "csat"
    CES = "ces"


# Inclusive score range per survey metric: NPS 0-10, CSAT 1-5, CES 1-7.
SURVEY_SCALES: dict[SurveyType, tuple[int, int]] = {
    SurveyType.NPS: (0, 10),
    SurveyType.CSAT: (1, 5),
    SurveyType.CES: (1, 7),
}


class IntakeStatus(StrEnum):
    """Where an accepted record is in the pipeline."""

    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"


class CaseStatus(StrEnum):
    """Case lifecycle; reopening moves a resolved or closed case back to in_progress."""

    NEW = "new"
    ASSIGNED = "assigned"
    IN_PROGRESS = "in_progress"
    WAITING_ON_CUSTOMER = "waiting_on_customer"
    RESOLVED = "resolved"
    CLOSED = "closed"


class CasePriority(StrEnum):
    P1 = "p1"
    P2 = "p2"
    P3 = "p3"
    P4 = "p4"


class Role(StrEnum):
    """User roles; the permission matrix lives with the web layer's auth."""

    ADMIN = "admin"
    MANAGER = "manager"
    AGENT = "agent"
    ANALYST = "analyst"
    DATA_STEWARD = "data_steward"
    VIEWER = "viewer"


class TokenScope(StrEnum):
    """What an API token may do."""

    INGEST = "ingest"
    READ = "read"
    ADMIN = "admin"


class Language(StrEnum):
    KO = "ko"
    EN = "en"
    MIXED = "mixed"
    OTHER = "other"


_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def _time_prefix(millis: int) -> str:
    """48 bits of milliseconds as 10 Crockford base32 digits, whose order is numeric order."""
    return "".join(_CROCKFORD[(millis >> shift) & 31] for shift in range(45, -5, -5))


def new_ids(count: int) -> list[str]:
    """`count` ids at once: 26 characters, a millisecond time prefix then 64 random bits in hex.

    Ids are made in Python rather than by database sequences so that a batch can reference its own
    rows (a case pointing at the feedback that opened it) before anything is written, on any dialect.
    They sort by creation time, are unique across processes, and are safe to show in URLs.
    """
    prefix = _time_prefix(time.time_ns() // 1_000_000)
    entropy = os.urandom(8 * count).hex().upper()
    return [prefix + entropy[i * 16 : i * 16 + 16] for i in range(count)]


def new_id() -> str:
    """One id; see `new_ids`."""
    return new_ids(1)[0]
