"""The customer-experience vocabulary: entities and enums shared by every room. Pure, no I/O."""

from __future__ import annotations

import base64
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


# RFC 4648 base32 digits translated to Crockford's, whose sort order matches the numeric order.
_TO_CROCKFORD = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", "0123456789ABCDEFGHJKMNPQRSTVWXYZ")


def new_id() -> str:
    """A 26-character ULID: time-ordered, unique across processes, safe to show in URLs.

    Ids are made in Python rather than by database sequences so that a batch can reference its own
    rows (a case pointing at the feedback that opened it) before anything is written, on any dialect.
    """
    value = (time.time_ns() // 1_000_000) << 80 | int.from_bytes(os.urandom(10), "big")
    # 26 base32 digits carry 130 bits: the 128-bit value behind two zero bits, padded to 20 bytes.
    return base64.b32encode((value << 30).to_bytes(20, "big")).decode()[:26].translate(_TO_CROCKFORD)
