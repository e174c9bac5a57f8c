"""Injected faults for canary demos: a share of requests fail, and every request is slowed.

A canary running with chaos fails Flagger's success-rate or latency check and is rolled back.
Decisions come from one injectable `random.Random`, so a test with a fixed seed knows exactly
which requests fail. Per request the generator is drawn once for the error, then (only when
jitter is set) once for the jitter, always in that order.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field


class ChaosConfig(BaseModel):
    """The fault settings operators read and replace through the admin API."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    error_rate: float = Field(default=0.0, ge=0.0, le=1.0, strict=True)
    latency_ms: int = Field(default=0, ge=0, le=60_000, strict=True)
    jitter_ms: int = Field(default=0, ge=0, le=60_000, strict=True)


@dataclass(frozen=True, kw_only=True)
class ChaosDecision:
    """What to do to one request: fail it or not, and how long to delay it first."""

    fail: bool
    delay_seconds: float


class Chaos:
    """The current fault settings and the generator that applies them."""

    def __init__(self, *, config: ChaosConfig, rng: random.Random) -> None:
        self.config = config
        self._rng = rng

    def decide(self) -> ChaosDecision:
        """Draw the fate of one traffic-path request."""
        config = self.config
        fail = config.error_rate > 0 and self._rng.random() < config.error_rate
        delay_ms = float(config.latency_ms)
        if config.jitter_ms > 0:
            delay_ms += self._rng.uniform(-config.jitter_ms, config.jitter_ms)
        return ChaosDecision(fail=fail, delay_seconds=max(0.0, delay_ms) / 1000)
