"""One dependency of every route: refuse control characters in any string a caller sends.

Path parameters, query parameters, JSON fields (keys and values, at any depth) and form fields
(but not the signed bodies of `/webhooks/*`) are checked before the route's own code runs; a
refusal is a 422 in the validation-error format with the field's location (`["query",
"cluster"]`, `["body", "reason"]`), so nothing reaches the database or a Kubernetes path. Bodies
are read from the request FastAPI already parsed (Starlette caches them), so nothing is read
twice.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from starlette.datastructures import UploadFile

from portal.domain.text_input import (
    FREE_TEXT_ALLOWED,
    BadCharacter,
    Location,
    bad_character,
    bad_strings,
)

_JSON_TYPES = ("application/json",)
_SIGNED_BODIES = ("/webhooks/",)
"""Signed deliveries (GitHub's) are kept verbatim as JSON text, where an escaped control
character stays escaped; refusing one for a character deep in a commit message would lose the
delivery. Their paths and query strings are still checked."""
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _content_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


def _named(pairs: Any, where: str, *, allowed: frozenset[str]) -> list[BadCharacter]:
    found = []
    for name, value in pairs:
        loc: Location = (where, str(name))
        name_problem = bad_character(str(name))
        if name_problem is not None:
            found.append(BadCharacter(loc, f"parameter name: {name_problem}"))
        if isinstance(value, str):
            problem = bad_character(value, allowed=allowed)
            if problem is not None:
                found.append(BadCharacter(loc, problem))
    return found


async def _body_problems(request: Request) -> list[BadCharacter]:
    content_type = _content_type(request)
    if content_type in _JSON_TYPES or content_type.endswith("+json"):
        raw = await request.body()
        try:
            document = json.loads(raw) if raw else None
        except ValueError:
            return []  # FastAPI answers malformed JSON itself where a body is expected
        return list(bad_strings(document, ("body",), allowed=FREE_TEXT_ALLOWED))
    if content_type in _FORM_TYPES:
        form = await request.form()
        fields = [(k, v) for k, v in form.multi_items() if not isinstance(v, UploadFile)]
        return _named(fields, "body", allowed=FREE_TEXT_ALLOWED)
    return []


async def reject_control_characters(request: Request) -> None:
    """422 naming every field that carries a control character or a lone surrogate."""
    found = _named(request.path_params.items(), "path", allowed=frozenset())
    found += _named(request.query_params.multi_items(), "query", allowed=frozenset())
    signed = request.url.path.startswith(_SIGNED_BODIES)
    if request.method not in ("GET", "HEAD", "OPTIONS") and not signed:
        found += await _body_problems(request)
    if found:
        raise RequestValidationError(
            [{"loc": bad.loc, "msg": bad.message, "type": "control_character"} for bad in found]
        )
