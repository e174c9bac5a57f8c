"""`portal canary <action> CLUSTER/NS/NAME`: each part is one path segment of the API URL; dot
segments, which an HTTP client would resolve into another route, are refused before any call."""

from __future__ import annotations

import argparse

import pytest

from portal.cli_canary import run_action
from portal.domain.action_rules import ActionName


@pytest.mark.parametrize("target", ["prod/../tokens", "prod/shop/..", "./shop/web", "a/b/c/d"])
def test_dot_segments_and_extra_parts_are_usage_errors(
    target: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PORTAL_TOKEN", "ifp_000000000000_x")
    args = argparse.Namespace(target=target, reason="r", scope="run")
    assert run_action(args, ActionName.pause) == 2
    assert capsys.readouterr().err == f"error: target must be CLUSTER/NS/NAME, got {target!r}\n"
