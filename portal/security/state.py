"""The security pieces one app holds for its lifetime: built by `create_app`, kept on
`app.state.security`, never at import time."""

from __future__ import annotations

from dataclasses import dataclass

from portal.config import Settings
from portal.security.denial_tallies import DenialTallies
from portal.security.limiting import RateLimits


@dataclass(frozen=True)
class SecurityState:
    settings: Settings
    rate_limits: RateLimits
    denial_budget: RateLimits
    denial_tallies: DenialTallies

    @classmethod
    def build(cls, settings: Settings) -> SecurityState:
        return cls(
            settings=settings,
            rate_limits=RateLimits(
                {
                    "actions": settings.rate_limit_actions,
                    "tokens": settings.rate_limit_tokens,
                    "webhooks": settings.rate_limit_webhooks,
                }
            ),
            denial_budget=RateLimits(
                {
                    "per_caller": settings.denial_audit_limit,
                    "overall": settings.denial_audit_global_limit,
                }
            ),
            denial_tallies=DenialTallies(),
        )
