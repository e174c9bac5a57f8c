"""The errors every JSON operation may answer, documented once in its OpenAPI entry.

All of them come from one place (portal/http/errors.py) in one shape, `{"detail": ...}`: a
sentence, or for invalid input the list of what was wrong where. Declaring them on every
operation lets a client (and schemathesis' conformance checks) tell a documented refusal from
a surprise: authentication (401) and roles (403) guard every signed-in route, body limits (413),
rate limits (429) and the database's availability (503) sit in front of all of them, and
invalid parameters (422), unknown clusters or objects (404) and conflicts (409) come from the
handlers. A route that declares a status itself (a gate's plain-text 403) keeps its own.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel, Field
from pydantic.json_schema import models_json_schema


class InputProblem(BaseModel):
    """One invalid value: where (`loc`, e.g. `["body", "reason"]`), what and which rule."""

    loc: list[str | int]
    msg: str
    type: str


class ErrorDetail(BaseModel):
    """Every error answer of the JSON API."""

    detail: str | list[InputProblem] = Field(
        description="Why the request was refused: a sentence, or for invalid input a list "
        "of problems."
    )


ERROR_DESCRIPTIONS = {
    400: "Bad request: a required header or value is missing",
    401: "Sign-in required, or the caller's credentials are wrong",
    403: "The caller's role does not allow this",
    404: "No such cluster or object",
    409: "Conflicts with the current state; detail says why",
    413: "The request body is too large",
    422: "Invalid input; detail lists each problem",
    429: "Too many requests; Retry-After says when to retry",
    503: "The database or the cluster is unavailable; retry shortly",
}


REF_TEMPLATE = "#/components/schemas/{model}"
ERROR_CONTENT = {"application/json": {"schema": {"$ref": REF_TEMPLATE.format(model="ErrorDetail")}}}
"""Named explicitly rather than as `model=`: FastAPI would document a model under the route's
own media type, and the gates answer text/plain while their errors are JSON."""


def error_responses() -> dict[int | str, dict[str, Any]]:
    """The `responses=` for `include_router`: each error status with `ErrorDetail`."""
    return {
        status: {"content": ERROR_CONTENT, "description": description}
        for status, description in ERROR_DESCRIPTIONS.items()
    }


def document_errors(app: FastAPI) -> None:
    """Put `ErrorDetail` (and `InputProblem`) into the schema's components."""
    build_schema = app.openapi

    def openapi() -> dict[str, Any]:
        schema = build_schema()
        _, definitions = models_json_schema(
            [(ErrorDetail, "serialization")], ref_template=REF_TEMPLATE
        )
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components.update(definitions.get("$defs", {}))
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
