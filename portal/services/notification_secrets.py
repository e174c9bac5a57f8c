"""Channel URLs and signing secrets: sealed with a key from PORTAL_NOTIFY_SECRET_KEY (Fernet:
AES-128-CBC with HMAC-SHA256, from `cryptography`), or kept as the name of an environment
variable (a Kubernetes Secret mounted as env) that is read only when a message is sent.

Only variables named NOTIFY_* may be referenced, so a channel cannot be pointed at another of
the portal's secrets. Plain values are never logged nor shown after saving.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from cryptography.fernet import Fernet, InvalidToken

from portal.errors import Conflict
from portal.models.notifications import NotificationChannel

ENV_NAME = re.compile(r"NOTIFY_[A-Z0-9_]{1,120}")


class SecretUnavailable(Conflict):
    """A channel's URL or secret cannot be read (no key, a changed key, an unset variable)."""


class SecretKeyMissing(Conflict):
    """A plain secret was given but the portal has no key to seal it with."""


def _fernet(key: str) -> Fernet:
    """Any long secret works as the key: its SHA-256 is the Fernet key."""
    digest = hashlib.sha256(key.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


@dataclass(frozen=True, slots=True)
class ChannelTarget:
    """Where and how to send: the URL and (generic webhooks) the signing secret."""

    url: str
    secret: str | None


@dataclass(frozen=True, slots=True)
class SecretBox:
    key: str | None
    environ: Mapping[str, str] = field(default_factory=lambda: os.environ)

    def seal(self, value: str) -> str:
        if self.key is None:
            raise SecretKeyMissing(
                "PORTAL_NOTIFY_SECRET_KEY is not set: give the name of a NOTIFY_* environment "
                "variable instead, or set the key"
            )
        return _fernet(self.key).encrypt(value.encode()).decode()

    def unseal(self, token: str) -> str:
        if self.key is None:
            raise SecretUnavailable("PORTAL_NOTIFY_SECRET_KEY is not set")
        try:
            return _fernet(self.key).decrypt(token.encode()).decode()
        except InvalidToken as error:
            raise SecretUnavailable("sealed with another PORTAL_NOTIFY_SECRET_KEY") from error

    def from_env(self, name: str) -> str:
        value = self.environ.get(name)
        if not value:
            raise SecretUnavailable(f"environment variable {name} is not set")
        return value

    def _read(self, sealed: str | None, env: str | None) -> str | None:
        if sealed is not None:
            return self.unseal(sealed)
        return self.from_env(env) if env is not None else None

    def target(self, channel: NotificationChannel) -> ChannelTarget:
        url = self._read(channel.url_encrypted, channel.url_env)
        if url is None:
            raise SecretUnavailable(f"channel {channel.name} has no URL")
        return ChannelTarget(
            url=url, secret=self._read(channel.secret_encrypted, channel.secret_env)
        )
