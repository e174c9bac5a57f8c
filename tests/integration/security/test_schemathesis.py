"""Schemathesis against the portal's own `/openapi.json`: no 5xx, no answer outside the schema.

A real portal (devcluster with a seeded canary and HPA, the app's lifespan, uvicorn on a free
port) is served from a thread of its own (tests/support/threaded_portal.py); schemathesis reads
its schema over HTTP and sends every operation its examples, its coverage cases (boundaries and
deliberately invalid values) and fuzzed cases in both generation modes, positive and negative,
once with an admin token and once with a viewer token. Each answer must pass:

- `not_a_server_error`: no 5xx;
- `status_code_conformance`: the status is one the operation documents (errors included, see
  portal/api/error_responses.py);
- `content_type_conformance`: the media type is the documented one;
- `response_schema_conformance`: the body matches the documented schema (formats included).

Left out: `GET /stream` (server-sent events: the answer never ends, so a call would wait for
the request timeout; it is fuzzed in test_streaming.py and test_input_fuzzing.py's sweep
leaves it out for the same reason).

Bounded: `MAX_EXAMPLES` fuzzed cases per operation and mode, derandomised (a fixed seed), so a
run is the same every time. Marked `schemathesis` (and `slow`): `pytest -m schemathesis`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextvars import ContextVar

import pytest
import schemathesis
from schemathesis import Case, GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    load_all_checks,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.pytest.lazy import get_all_tests
from schemathesis.schemas import BaseSchema

from tests.support.schemathesis_hooks import name_real_objects
from tests.support.threaded_portal import ServedPortal, portal_in_thread

pytestmark = [pytest.mark.slow, pytest.mark.schemathesis, pytest.mark.timeout(600)]

MAX_EXAMPLES = 8
SEED = 18_5
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
STREAMS = "^/stream"
CALLS: ContextVar[Counter[str]] = ContextVar("CALLS")


def _checked(case: Case) -> None:
    CALLS.get()[case.operation.label] += 1
    case.call_and_validate(checks=CHECKS)


@pytest.fixture
def served(database_url: str) -> Iterator[ServedPortal]:
    with portal_in_thread(database_url) as portal:
        yield portal


@pytest.fixture(params=["admin", "viewer"])
def role(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def portal_schema(served: ServedPortal, role: str) -> BaseSchema:
    schema = schemathesis.openapi.from_url(f"{served.url}/openapi.json", timeout=30)
    schema.config.update(base_url=served.url, headers=served.headers(role), request_timeout=30)
    schema.config.generation.update(
        modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE], max_examples=MAX_EXAMPLES
    )
    schema.config.seed = SEED
    schema.hook("map_case")(name_real_objects)
    return schema


def test_no_operation_answers_5xx_or_outside_its_schema(portal_schema: BaseSchema) -> None:
    """Every operation in turn, each through schemathesis' phases (examples, coverage,
    fuzzing); the failures of all operations are collected and reported together.

    Built with `get_all_tests`, the function behind schemathesis' lazy pytest loader
    (`schemathesis.pytest.from_fixture`), because that loader renames the running test through
    `Function._nodeid`, which pytest 9 no longer has (AttributeError)."""
    load_all_checks()
    calls: Counter[str] = Counter()
    failures: dict[str, str] = {}
    schema = portal_schema.exclude(path_regex=STREAMS)
    for result in get_all_tests(schema=schema, test_func=_checked, settings=None, given_kwargs={}):
        operation, run_operation = result.ok()
        CALLS.set(calls)
        try:
            run_operation()
        except (KeyboardInterrupt, SystemExit, pytest.fail.Exception):  # pytest-timeout's too
            raise
        except BaseException as error:  # schemathesis' FailureGroup, hypothesis' groups of them
            failures[operation.label] = str(error)[:3000]
    print(f"schemathesis: {sum(calls.values())} cases over {len(calls)} operations")
    listed = {result.ok().label for result in schema.get_all_operations()}
    assert len(listed) > 30  # the schema really lists the portal's operations
    assert set(calls) == listed  # and every one of them ran
    assert failures == {}, "\n\n".join(f"{label}:\n{text}" for label, text in failures.items())
