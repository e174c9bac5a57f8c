"""Delivery decisions for one notification message: how to sign it, what an answer means, and
when to try again (exponential backoff, a receiver's Retry-After honoured). No I/O here.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

SIGNATURE_HEADER = "X-Infra-Fleet-Signature"
IDEMPOTENCY_HEADER = "Idempotency-Key"


def sign_body(secret: str, body: bytes) -> str:
    """`sha256=<hex>`: HMAC-SHA256 of the raw request body with the channel's secret."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@dataclass(frozen=True, slots=True)
class Backoff:
    base_seconds: float = 2.0
    max_seconds: float = 600.0
    max_attempts: int = 10

    def delay(self, attempts: int) -> float:
        """Wait after the `attempts`-th failed try: base, 2 x base, 4 x base ... capped."""
        return float(min(self.base_seconds * 2 ** max(attempts - 1, 0), self.max_seconds))


@dataclass(frozen=True, slots=True)
class Verdict:
    """What to do with a message after one try."""

    delivered: bool
    retry_at: datetime | None
    error: str | None

    @property
    def gave_up(self) -> bool:
        return not self.delivered and self.retry_at is None


def retry_after_seconds(value: str | None, *, now: datetime) -> float | None:
    """A Retry-After header: delay-seconds or an HTTP date (RFC 9110 10.2.3)."""
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return max((when - now).total_seconds(), 0.0)


def judge_answer(
    status: int | None,
    *,
    error: str | None,
    retry_after: str | None,
    attempts: int,
    backoff: Backoff,
    now: datetime,
) -> Verdict:
    """After try number `attempts`: 2xx delivered; 408, 429, 5xx and network errors retried
    (never sooner than Retry-After); other 4xx, or too many tries, give up."""
    if status is not None and 200 <= status < 300:
        return Verdict(delivered=True, retry_at=None, error=None)
    problem = error or f"HTTP {status}"
    retryable = status is None or status in (408, 429) or status >= 500
    if not retryable or attempts >= backoff.max_attempts:
        reason = "not retried" if not retryable else f"gave up after {attempts} tries"
        return Verdict(delivered=False, retry_at=None, error=f"{problem} ({reason})")
    wait = backoff.delay(attempts)
    asked = retry_after_seconds(retry_after, now=now)
    if asked is not None:
        wait = max(wait, asked)
    return Verdict(delivered=False, retry_at=now + timedelta(seconds=wait), error=problem)
