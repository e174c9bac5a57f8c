"""Kubernetes quantity strings as numbers."""

from __future__ import annotations

import pytest

from portal.domain.quantities import parse_quantity


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("315m", 0.315),
        ("2", 2.0),
        ("1.5", 1.5),
        ("512Mi", 536870912.0),
        ("1Gi", 1073741824.0),
        ("64Ki", 65536.0),
        ("10k", 10000.0),
        ("2M", 2000000.0),
        ("1e3", 1000.0),
        ("5E-1", 0.5),
        ("250u", 0.00025),
        ("100n", 1e-7),
        ("-3", -3.0),
        (".5", 0.5),
    ],
)
def test_quantities_parse_to_their_values(text: str, value: float) -> None:
    assert parse_quantity(text) == pytest.approx(value, rel=1e-12)


@pytest.mark.parametrize("text", ["", "Mi", "12 Mi", "1.2.3", "10x", "abc"])
def test_non_quantities_are_none(text: str) -> None:
    assert parse_quantity(text) is None
