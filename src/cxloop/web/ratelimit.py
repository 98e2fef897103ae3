"""Per-caller request rate limits: token buckets kept in the server process.

Each bucket holds up to `burst` requests and refills at `per_minute / 60` per second, so short bursts
pass and sustained floods are refused with 429 and a Retry-After. With several server processes
(PostgreSQL deployments) each process limits on its own; put a shared limiter in the reverse proxy
when a global limit matters.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from cxloop.errors import RateLimited

_MAX_KEYS = 100_000  # forget idle callers beyond this, so a flood of new keys cannot grow memory


@dataclass
class RateLimiter:
    per_minute: float
    burst: int
    what: str  # "ingestion requests", "sign-in attempts": named in the error
    _buckets: dict[str, tuple[float, float]] = field(default_factory=dict)  # key -> (tokens, at)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def hit(self, key: str, now: float | None = None) -> None:
        """Take one request from `key`'s bucket, or raise RateLimited."""
        if self.per_minute <= 0:
            return  # limiting turned off
        now = time.monotonic() if now is None else now
        rate = self.per_minute / 60.0
        with self._lock:
            tokens, at = self._buckets.get(key, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - at) * rate)
            if tokens < 1.0:
                self._buckets[key] = (tokens, now)
                raise RateLimited(
                    f"too many {self.what}: at most {self.per_minute:g} per minute; try again shortly",
                    retry_after=(1.0 - tokens) / rate,
                )
            if len(self._buckets) >= _MAX_KEYS and key not in self._buckets:
                self._buckets.clear()
            self._buckets[key] = (tokens - 1.0, now)
