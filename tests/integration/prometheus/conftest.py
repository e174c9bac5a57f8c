"""The real Prometheus binary (Debian's `prometheus`, installed by `make promtool`)."""

from __future__ import annotations

import os

import pytest

from portal.demo_prometheus import DEFAULT_BINARY, find_binary


@pytest.fixture
def prometheus_binary() -> str:
    found = find_binary(DEFAULT_BINARY)
    if found is None:
        message = f"{DEFAULT_BINARY} missing: `make promtool` installs Debian's package"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return found
