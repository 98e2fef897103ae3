"""Settings: one typed object read from CXLOOP_* environment variables, built once and passed in."""

from __future__ import annotations

import os
import re
import secrets
from datetime import datetime
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from cxloop.errors import ConfigurationError

DEFAULT_DATA_DIR = Path("cxloop-data")
_PLACEHOLDER_SECRET = "change-me-development-only"  # noqa: S105 - refused outside development


class Settings(BaseSettings):
    """Everything cxloop can be told from the environment (`CXLOOP_<NAME>`)."""

    model_config = SettingsConfigDict(env_prefix="CXLOOP_", env_file=None, extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    data_dir: Path = DEFAULT_DATA_DIR
    database_url: str = ""  # empty means the embedded DuckDB file inside data_dir
    secret_key: str = _PLACEHOLDER_SECRET
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)

    # Pipeline worker. None means "inside the server when the store is embedded DuckDB".
    embedded_worker: bool | None = None
    worker_batch_size: int = Field(default=2000, ge=1, le=50_000)
    worker_poll_seconds: float = Field(default=0.5, gt=0)
    worker_max_attempts: int = Field(default=3, ge=1)
    # How often the server looks for emerging issues in the newest days; 0 turns it off.
    trends_interval_seconds: int = Field(default=600, ge=0)

    # Alerts and notifications: the server's notify loop scans for SLA breaches, emerging issues and
    # spikes and sends due deliveries every `notify_interval_seconds` (0 turns the loop off).
    notify_interval_seconds: float = Field(default=5.0, ge=0)
    notify_max_attempts: int = Field(default=6, ge=1, le=50)  # then the delivery is a dead letter
    notify_backoff_seconds: float = Field(default=30.0, ge=0)  # doubled after every failed attempt
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    notify_link_base_url: str = ""  # e.g. https://cx.example.com, for links in webhooks and e-mails
    smtp_host: str = ""  # empty: e-mail deliveries fail (and wait in the dead-letter list) until set
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_from: str = "cxloop@localhost"
    smtp_starttls: bool = False
    # How often shipped improvement actions are re-measured until their after window is complete.
    action_review_interval_seconds: int = Field(default=3600, ge=0)

    # Identity resolution: match probability from which a pair goes to the review queue, and from
    # which it is merged automatically; and how long after a contact a new one counts as its follow-up.
    identity_review_threshold: float = Field(default=0.6, ge=0.0, le=1.0)
    identity_auto_merge_threshold: float = Field(default=0.95, ge=0.0, le=1.0)
    continuity_window_hours: int = Field(default=72, ge=1, le=24 * 90)
    # How often a server runs probabilistic matching over all live profiles; 0 turns it off.
    identity_matching_interval_seconds: int = Field(default=3600, ge=0)

    # Cases, routing and SLA. Business hours are local time in `default_timezone`; public holidays of
    # `business_holidays` (a country code for the `holidays` package; empty for none) are skipped.
    case_recontact_window_days: int = Field(default=7, ge=0, le=365)
    case_assignment: Literal["round_robin", "least_loaded", "manual"] = "round_robin"
    business_hours_start: str = "09:00"
    business_hours_end: str = "18:00"
    business_days: str = "mon-fri"
    business_holidays: str = "KR"
    sla_warning_ratio: float = Field(default=0.8, gt=0, lt=1)
    # How often the server checks SLA clocks for warnings and breaches; 0 turns it off.
    sla_check_interval_seconds: int = Field(default=60, ge=0)

    # User-trained classifiers (`cxloop classify train --model NAME`) that label every new feedback
    # text in the pipeline: model names, comma-separated; each prediction lands in `feedback_labels`.
    classifiers: str = ""

    # Ingestion limits: a batch request holds at most this many records and bytes.
    max_batch_records: int = Field(default=10_000, ge=1)
    max_request_bytes: int = Field(default=64 * 1024 * 1024, ge=1024)
    max_upload_bytes: int = Field(default=256 * 1024 * 1024, ge=1024)
    max_text_chars: int = Field(default=100_000, ge=1000)

    # Requests per minute per API token on the ingestion endpoints, and sign-in attempts per minute
    # per client address (on top of the per-account lockout); 0 turns a limit off.
    ingest_rate_limit_per_minute: int = Field(default=1200, ge=0)
    login_rate_limit_per_minute: int = Field(default=20, ge=0)
    # Web sessions.
    session_max_age_seconds: int = Field(default=8 * 3600, ge=60)
    cookie_secure: bool = False  # set true behind HTTPS
    default_locale: Literal["ko", "en"] = "ko"
    # Timestamps sent without an offset are read in this zone.
    default_timezone: str = "Asia/Seoul"

    # Governance (see docs/security.md). Field encryption keys: base64 32-byte keys, newest first,
    # comma-separated; without one, a key file is used (created on first use outside production).
    encryption_key: str = Field(default="", repr=False)
    encryption_key_file: Path | None = None  # default <data_dir>/keys/cxloop.keys
    # Retention in days (0 keeps forever). Feedback text is anonymized, events deleted, processed
    # intake payloads emptied; the audit log is always kept.
    retention_text_days: int = Field(default=1095, ge=0)
    retention_text_days_by_channel: dict[str, int] = Field(default_factory=lambda: {"call": 365})
    retention_event_days: int = Field(default=730, ge=0)
    retention_intake_payload_days: int = Field(default=30, ge=0)
    retention_quality_days: int = Field(default=180, ge=0)
    retention_interval_seconds: int = Field(default=86_400, ge=0)  # the server's purge schedule; 0 = off
    # Data quality: a source with nothing new for this many hours is flagged (warn, and fail at 7x).
    quality_freshness_hours: float = Field(default=48.0, gt=0)
    # Who owns and who stewards each data kind, shown on the data-quality page: {"kind": {"owner", "steward"}}.
    data_owners: dict[str, dict[str, str]] = Field(
        default_factory=lambda: {
            "customers": {"owner": "CRM team", "steward": "Data steward"},
            "events": {"owner": "Digital analytics", "steward": "Data steward"},
            "feedback": {"owner": "CX team", "steward": "Data steward"},
            "consents": {"owner": "Privacy office", "steward": "Data steward"},
        }
    )

    @field_validator("default_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}; use an IANA name such as Asia/Seoul") from None
        return value

    @field_validator("classifiers")
    @classmethod
    def _model_names(cls, value: str) -> str:
        for name in (n.strip() for n in value.split(",") if n.strip()):
            if not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", name):
                raise ValueError(f"classifier name {name!r} is not allowed: use 1–64 letters, digits, '-' or '_'")
        return value

    @property
    def classifier_names(self) -> list[str]:
        return list(dict.fromkeys(n.strip() for n in self.classifiers.split(",") if n.strip()))

    @model_validator(mode="after")
    def _ordered_identity_thresholds(self) -> Settings:
        if self.identity_review_threshold > self.identity_auto_merge_threshold:
            raise ValueError("CXLOOP_IDENTITY_REVIEW_THRESHOLD must not exceed CXLOOP_IDENTITY_AUTO_MERGE_THRESHOLD")
        return self

    @model_validator(mode="after")
    def _refuse_placeholder_secret(self) -> Settings:
        if self.environment == "production" and self.secret_key == _PLACEHOLDER_SECRET:
            raise ConfigurationError("CXLOOP_SECRET_KEY must be set to a long random value in production")
        return self

    @property
    def resolved_database_url(self) -> str:
        """The SQLAlchemy URL to connect with; `postgresql://` gets the psycopg 3 driver."""
        url = self.database_url or f"duckdb:///{(self.data_dir / 'cxloop.duckdb').as_posix()}"
        if url.startswith(("postgresql://", "postgres://")):
            url = "postgresql+psycopg://" + url.split("://", 1)[1]
        return url

    @property
    def is_embedded(self) -> bool:
        """True when the store is a DuckDB file owned by one process."""
        return self.resolved_database_url.startswith("duckdb")

    @property
    def runs_embedded_worker(self) -> bool:
        return self.is_embedded if self.embedded_worker is None else self.embedded_worker

    @property
    def business_utc_offset_minutes(self) -> int:
        """The business zone's current offset; daily charts and spike detection count local days.
        (Zones with daylight saving shift by an hour around the change; Korea has none.)"""
        offset = datetime.now(ZoneInfo(self.default_timezone)).utcoffset()
        return int(offset.total_seconds() // 60) if offset else 0

    def session_secret(self) -> str:
        """The key that signs session cookies. Without CXLOOP_SECRET_KEY (outside production), a random
        key is made once per data directory, so no two installations share a known key."""
        if self.secret_key != _PLACEHOLDER_SECRET:
            return self.secret_key
        path = self.data_dir / ".session-secret"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(48))
        return path.read_text().strip()

    @property
    def server_file(self) -> Path:
        """Where a running server announces itself, so CLI commands can go through its API."""
        return self.data_dir / "server.json"


def load_settings(**overrides: object) -> Settings:
    """Build settings from the environment, with explicit overrides taking precedence."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ConfigurationError:
        raise
    except ValueError as exc:
        raise ConfigurationError(f"invalid configuration: {exc}") from exc
