"""Flagger, HPA and Deployment behaviour for devcluster, acting only through its HTTP API.

The simulators are ordinary API clients: what they do is exactly what a watcher sees.
`run_simulation` is the one entry point the CLI and the test harness use.
"""

from __future__ import annotations

from devcluster.simulation.running import run_simulation

__all__ = ["run_simulation"]
