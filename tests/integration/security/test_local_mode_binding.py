"""Local mode never listens beyond loopback: bad settings or a --host override stop `portal serve`
before anything binds."""

from __future__ import annotations

import os
import subprocess
import sys


def serve(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "portal.cli", "serve", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_local_mode_with_a_public_host_setting_exits_2_naming_the_variables() -> None:
    result = serve(env={"PORTAL_AUTH_MODE": "local", "PORTAL_HOST": "0.0.0.0"})
    assert result.returncode == 2
    assert result.stderr == (
        "invalid portal settings:\n  PORTAL_AUTH_MODE: Value error, local mode needs PORTAL_HOST "
        "to be a loopback address (got PORTAL_HOST='0.0.0.0'); use PORTAL_AUTH_MODE=proxy behind "
        "oauth2-proxy (got 'local')\n"
    )


def test_local_mode_with_a_public_host_flag_exits_2() -> None:
    result = serve("--host", "0.0.0.0", env={"PORTAL_AUTH_MODE": "local"})
    assert result.returncode == 2
    assert result.stderr == "refused: PORTAL_AUTH_MODE=local serves loopback only, not 0.0.0.0\n"
