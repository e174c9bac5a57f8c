"""Schemathesis hooks for the portal's fuzzing: real objects in some path parameters.

Generated strings for `{cluster}/{namespace}/{name}` almost never name an object the portal
knows, so every read and action would stop at its 404. In half of the positive cases (chosen
from the case's own data, so runs stay deterministic) those parameters name the seeded canary
instead, and the request goes on into the services, the database and the Kubernetes API.
Negative cases are left as generated: they are meant to be refused.
"""

from __future__ import annotations

import zlib
from typing import Any

from schemathesis import Case, HookContext
from schemathesis.generation import GenerationMode

from tests.support.threaded_portal import CLUSTER, NAME, NAMESPACE

REAL_VALUES = {"cluster": CLUSTER, "namespace": NAMESPACE, "name": NAME}


def _coin(values: dict[str, Any]) -> bool:
    return zlib.crc32(repr(sorted(values.items())).encode()) % 2 == 0


def name_real_objects(context: HookContext, case: Case) -> Case:
    """`map_case`: put the seeded canary's names into a positive case's path parameters."""
    del context
    params = case.path_parameters
    positive = case.meta is None or case.meta.generation.mode == GenerationMode.POSITIVE
    if positive and params and set(params) & set(REAL_VALUES) and _coin(params):
        for key, value in REAL_VALUES.items():
            if key in params:
                params[key] = value
    return case
