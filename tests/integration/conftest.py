"""Programs the integration tests run for real, shared by their packages."""

from __future__ import annotations

import pytest

from portal.demo_prometheus import DEFAULT_BINARY
from tests.support.tools import required_tool


@pytest.fixture
def prometheus_binary() -> str:
    """Debian's Prometheus (`make promtool`, which `make test` runs, installs it)."""
    return required_tool(DEFAULT_BINARY, install="`make promtool` installs Debian's package")
