"""The portal's IAM policy grants exactly the AWS calls portal/aws makes, read from the code."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.iac import terraform_tree as tt
from tests.iac.aws_calls import aws_calls_in, iam_actions, scan_source
from tests.iac.conftest import ROOT
from tests.iac.terraform_tree import TfFile

SAMPLE = """
async def open_clients(session):
    async with session.client("ce", region_name="eu-west-1") as ce:
        await ce.get_cost_and_usage(TimePeriod={})
        await ce.get_cost_forecast(TimePeriod={})
    async with session.client(service_name="ec2") as ec2:
        pages = ec2.get_paginator("describe_spot_price_history")
        other.get("x")
"""


def _portal_policy_actions(tree: list[TfFile]) -> set[str]:
    return {
        action
        for s in tt.policy_statements(tree)
        if s.unit == "portal-iam" and s.document == "portal"
        for action in s.actions
    }


def test_scanner_maps_client_calls_and_paginators_to_iam_actions() -> None:
    assert iam_actions(*scan_source(SAMPLE)) == {
        "ce:GetCostAndUsage",
        "ce:GetCostForecast",
        "ec2:DescribeSpotPriceHistory",
    }


def test_scanner_finds_nothing_without_a_client(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text("def f(x):\n    return x.get_cost_and_usage()\n")
    assert aws_calls_in(tmp_path) == set()


def test_portal_policy_holds_exactly_the_calls_portal_aws_makes(tree: list[TfFile]) -> None:
    calls = aws_calls_in(ROOT / "portal" / "aws")
    if not calls:
        pytest.skip("portal/aws makes no AWS call yet (the Cost Explorer adapter has not landed)")
    policy = _portal_policy_actions(tree)
    assert (sorted(calls - policy), sorted(policy - calls)) == ([], []), (
        "edit terraform/modules/portal-iam/main.tf: (called but not granted, granted but unused)"
    )


def test_portal_policy_is_the_three_cost_reads(tree: list[TfFile]) -> None:
    assert _portal_policy_actions(tree) == {
        "ce:GetCostAndUsage",
        "ce:GetCostForecast",
        "ec2:DescribeSpotPriceHistory",
    }


def test_a_policy_missing_a_called_action_is_a_mismatch(tree: list[TfFile]) -> None:
    policy = _portal_policy_actions(tree) - {"ce:GetCostForecast"}
    calls = iam_actions(*scan_source(SAMPLE))
    assert calls - policy == {"ce:GetCostForecast"}
