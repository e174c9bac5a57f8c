"""Kubernetes `Status` failures as Python exceptions.

The real API server answers every failure with a `kind: Status` body carrying a machine-readable
`reason`, the HTTP `code` and `details` naming the object. Raising one of these anywhere below the
protocol layer lets the HTTP layer render the exact body a Kubernetes client expects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Cause:
    """One entry of `details.causes` (a field error of an Invalid status)."""

    reason: str
    message: str
    field: str

    def to_dict(self) -> dict[str, str]:
        found = {"reason": self.reason, "message": self.message}
        return {**found, "field": self.field} if self.field else found


@dataclass
class ApiError(Exception):
    """A failure the API answers with a `Status` object."""

    code: int
    reason: str
    message: str
    name: str | None = None
    group: str | None = None
    kind: str | None = None
    causes: list[Cause] = field(default_factory=list)
    retry_after: int | None = None

    def __str__(self) -> str:
        return f"{self.code} {self.reason}: {self.message}"

    def to_status(self) -> dict[str, Any]:
        status: dict[str, Any] = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
        }
        details = self._details()
        if details:
            status["details"] = details
        status["code"] = self.code
        return status

    def _details(self) -> dict[str, Any]:
        details: dict[str, Any] = {}
        if self.name:
            details["name"] = self.name
        if self.group:
            details["group"] = self.group
        if self.kind:
            details["kind"] = self.kind
        if self.causes:
            details["causes"] = [c.to_dict() for c in self.causes]
        if self.retry_after is not None:
            details["retryAfterSeconds"] = self.retry_after
        return details


def qualified(resource: str, group: str) -> str:
    """`canaries.flagger.app`, or `pods` for the core group, as the server prints them."""
    return f"{resource}.{group}" if group else resource


def not_found(*, resource: str, group: str, name: str) -> ApiError:
    return ApiError(
        code=404,
        reason="NotFound",
        message=f'{qualified(resource, group)} "{name}" not found',
        name=name,
        group=group or None,
        kind=resource,
    )


def path_not_found() -> ApiError:
    return ApiError(
        code=404, reason="NotFound", message="the server could not find the requested resource"
    )


def already_exists(*, resource: str, group: str, name: str) -> ApiError:
    return ApiError(
        code=409,
        reason="AlreadyExists",
        message=f'{qualified(resource, group)} "{name}" already exists',
        name=name,
        group=group or None,
        kind=resource,
    )


def conflict(*, resource: str, group: str, name: str) -> ApiError:
    return ApiError(
        code=409,
        reason="Conflict",
        message=(
            f'Operation cannot be fulfilled on {qualified(resource, group)} "{name}": the object '
            "has been modified; please apply your changes to the latest version and try again"
        ),
        name=name,
        group=group or None,
        kind=resource,
    )


def invalid(*, kind: str, group: str, name: str, causes: list[Cause]) -> ApiError:
    listed = [f"{c.field}: {c.message}" if c.field else c.message for c in causes]
    summary = listed[0] if len(listed) == 1 else "[" + ", ".join(listed) + "]"
    return ApiError(
        code=422,
        reason="Invalid",
        message=f'{qualified(kind, group)} "{name}" is invalid: {summary}',
        name=name,
        group=group or None,
        kind=kind,
        causes=causes,
    )


def bad_request(message: str) -> ApiError:
    return ApiError(code=400, reason="BadRequest", message=message)


def unauthorized() -> ApiError:
    return ApiError(code=401, reason="Unauthorized", message="Unauthorized")


def method_not_allowed() -> ApiError:
    return ApiError(
        code=405,
        reason="MethodNotAllowed",
        message="the server does not allow this method on the requested resource",
    )


def unsupported_media_type(content_type: str, accepted: list[str]) -> ApiError:
    return ApiError(
        code=415,
        reason="UnsupportedMediaType",
        message=(
            f"the body of the request was in an unknown format - accepted media types include: "
            f"{', '.join(accepted)}"
        ),
    )


def expired(message: str) -> ApiError:
    return ApiError(code=410, reason="Expired", message=message)


def too_large_resource_version(requested: int, current: int) -> ApiError:
    """A resourceVersion this store never reached (e.g. from before a devcluster restart)."""
    return ApiError(
        code=504,
        reason="Timeout",
        message=f"Timeout: Too large resource version: {requested}, current: {current}",
        causes=[Cause("ResourceVersionTooLarge", "Too large resource version", "")],
        retry_after=1,
    )


def namespace_protected(name: str) -> ApiError:
    return ApiError(
        code=403,
        reason="Forbidden",
        message=f'namespaces "{name}" is forbidden: this namespace may not be deleted',
        name=name,
        kind="namespaces",
    )
