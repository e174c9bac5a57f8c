"""Secrets never reach the logs: create and use a token with every log (SQL echo included) at
debug level, and look for the secret in everything that was written."""

from __future__ import annotations

import logging

import pytest

from tests.integration.security.conftest import MakeSettings
from tests.support.apps import csrf_headers, running_app


async def test_token_secrets_are_never_logged(
    make_settings: MakeSettings,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    settings = make_settings(auth_mode="local", database_echo=True, log_level="debug")
    async with running_app(settings) as running:
        created = await running.client.post(
            "/api/v1/tokens",
            json={"name": "ci", "role": "admin"},
            headers=await csrf_headers(running.client),
        )
        secret = created.json()["secret"]
        headers = {"Authorization": f"Bearer {secret}"}
        assert (await running.client.get("/api/v1/tokens", headers=headers)).status_code == 200
        wrong = {"Authorization": f"Bearer {secret[:-3]}xyz"}
        assert (await running.client.get("/api/v1/tokens", headers=wrong)).status_code == 401
    written = capsys.readouterr()
    logged = caplog.text + written.out + written.err
    assert "INSERT INTO api_tokens" in logged  # the logs really were captured
    body = secret.split("_", 2)[2]
    assert body not in logged
    assert body[:-3] not in logged
