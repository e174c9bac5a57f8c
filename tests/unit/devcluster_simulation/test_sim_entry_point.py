"""`run_simulation` refuses bad arguments before it touches the network."""

from __future__ import annotations

import pytest

from devcluster.simulation import run_simulation

UNUSED_URL = "http://127.0.0.1:9"


async def test_non_positive_time_scale_is_refused() -> None:
    with pytest.raises(ValueError, match="time_scale must be positive"):
        await run_simulation(
            api_url=UNUSED_URL, token=None, scenario="empty", time_scale=0.0, gate_base_url=None
        )


async def test_unknown_scenario_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown scenario 'qa'"):
        await run_simulation(
            api_url=UNUSED_URL, token=None, scenario="qa", time_scale=1.0, gate_base_url=None
        )
