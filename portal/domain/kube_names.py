"""Kubernetes object names, checked before they go into an API path.

A name that reaches a URL unchecked can walk the path: `x/../../../payments/deployments/ledger`
as a Canary's `spec.targetRef.name` (the CRD puts no pattern on it) once made a retry patch
another team's Deployment. Every namespace and name that goes into a Kubernetes path is checked
here against the rule its kind has in the API server (apimachinery's validation: namespaces are
DNS-1123 labels, Deployments, Canaries, Pods and most other objects DNS-1123 subdomains), then
quoted segment by segment.
"""

from __future__ import annotations

import re
from urllib.parse import quote

LABEL_MAX = 63
SUBDOMAIN_MAX = 253
_LABEL = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_LABEL_RE = re.compile(_LABEL)
_SUBDOMAIN_RE = re.compile(rf"{_LABEL}(\.{_LABEL})*")


class InvalidKubeName(ValueError):
    """A namespace or name that is not a valid Kubernetes name of its kind."""

    def __init__(self, *, what: str, value: str, rule: str) -> None:
        shown = value if len(value) <= 80 else value[:80] + "..."
        super().__init__(f"{what} {shown!r} is not a valid {rule}")
        self.what = what
        self.value = value


def dns1123_label(value: str, *, what: str = "namespace") -> str:
    """`value` when it is a DNS-1123 label (lower-case alphanumerics and '-', at most 63)."""
    if len(value) > LABEL_MAX or not _LABEL_RE.fullmatch(value):
        raise InvalidKubeName(what=what, value=value, rule="DNS-1123 label")
    return value


def dns1123_subdomain(value: str, *, what: str = "name") -> str:
    """`value` when it is a DNS-1123 subdomain (labels joined by '.', at most 253)."""
    if len(value) > SUBDOMAIN_MAX or not _SUBDOMAIN_RE.fullmatch(value):
        raise InvalidKubeName(what=what, value=value, rule="DNS-1123 subdomain")
    return value


def path_segment(value: str) -> str:
    """One URL path segment: every reserved character quoted, '/' included."""
    return quote(value, safe="")
