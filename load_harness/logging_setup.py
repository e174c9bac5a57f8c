"""Log configuration for the command line: structlog, JSON in production, console locally.

Called by `cli.main` only (never at import). Log events carry settings by name; the API key is a
`SecretStr` and is never passed to a logger.
"""

from __future__ import annotations

import logging
import sys

import structlog


def configure_logging(*, json_format: bool) -> None:
    """Send structlog and standard-library logs (uvicorn's) to stderr at INFO."""
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer()
        if json_format
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            renderer,
        ],
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=True,
    )
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(name)s %(message)s")
