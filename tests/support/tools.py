"""External programs the tests drive for real (Prometheus, zsh, bash): found on the PATH, or the
test skips with the reason and how to install it; with CI=true a missing one is a failure."""

from __future__ import annotations

import os
import shutil

import pytest


def required_tool(name: str, *, install: str) -> str:
    """The path of `name` (an absolute path or a name on the PATH); skip or fail without it."""
    found = shutil.which(name)
    if found is None:
        message = f"{name} missing: {install}"
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true requires it: {message}", pytrace=False)
        pytest.skip(message)
    return found
