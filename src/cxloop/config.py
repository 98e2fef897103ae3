"""Settings: one typed object read from CXLOOP_* environment variables, built once and passed in."""

from __future__ import annotations

import os
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

    # Ingestion limits: a batch request holds at most this many records and bytes.
    max_batch_records: int = Field(default=10_000, ge=1)
    max_request_bytes: int = Field(default=64 * 1024 * 1024, ge=1024)
    max_upload_bytes: int = Field(default=256 * 1024 * 1024, ge=1024)
    max_text_chars: int = Field(default=100_000, ge=1000)

    # Web sessions.
    session_max_age_seconds: int = Field(default=8 * 3600, ge=60)
    cookie_secure: bool = False  # set true behind HTTPS
    default_locale: Literal["ko", "en"] = "ko"
    # Timestamps sent without an offset are read in this zone.
    default_timezone: str = "Asia/Seoul"

    @field_validator("default_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}; use an IANA name such as Asia/Seoul") from None
        return value

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
