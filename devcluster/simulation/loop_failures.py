"""How the simulators' loops report a failed step and carry on.

An API server restart makes every loop fail for a while; a full traceback per failed request
would drown the log and, rendered at high time scales, stall the event loop. Expected failures
(HTTP and API errors) get one line; anything else keeps its traceback.
"""

from __future__ import annotations

import httpx
import structlog

from devcluster.simulation.api_client import ApiError


def report_failure(*, event: str, error: Exception, **context: str) -> None:
    """Log a failed loop step: one line for API trouble, a traceback for anything else."""
    log = structlog.get_logger()
    if isinstance(error, httpx.HTTPError | ApiError):
        log.warning(event, error=f"{type(error).__name__}: {error}", **context)
    else:
        log.error(event, exc_info=error, **context)
