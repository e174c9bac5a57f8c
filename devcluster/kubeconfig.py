"""Writing a kubeconfig that points kubectl and kubernetes clients at a devcluster."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

CONTEXT = "devcluster"


def kubeconfig_document(
    *, server_url: str, token: str | None, context: str = CONTEXT
) -> dict[str, Any]:
    return fleet_kubeconfig_document(servers={context: server_url}, token=token)


def fleet_kubeconfig_document(*, servers: dict[str, str], token: str | None) -> dict[str, Any]:
    """One cluster, user and context per name (the first is the current context)."""
    user: dict[str, Any] = {"token": token} if token else {}
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": name, "cluster": {"server": url}} for name, url in servers.items()],
        "users": [{"name": name, "user": dict(user)} for name in servers],
        "contexts": [
            {
                "name": name,
                "context": {"cluster": name, "user": name, "namespace": "default"},
            }
            for name in servers
        ],
        "current-context": next(iter(servers)),
        "preferences": {},
    }


def write_kubeconfig(
    path: Path, *, server_url: str, token: str | None, context: str = CONTEXT
) -> Path:
    """Write the kubeconfig (mode 0600, it may hold a token) and return its path."""
    return write_document(
        path, kubeconfig_document(server_url=server_url, token=token, context=context)
    )


def write_document(path: Path, document: dict[str, Any]) -> Path:
    """Write a kubeconfig document with mode 0600 and return its path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = yaml.safe_dump(document, sort_keys=False)
    path.write_text(text)
    path.chmod(0o600)
    return path
