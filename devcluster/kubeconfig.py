"""Writing a kubeconfig that points kubectl and kubernetes clients at a devcluster."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

CONTEXT = "devcluster"


def kubeconfig_document(*, server_url: str, token: str | None) -> dict[str, Any]:
    user: dict[str, Any] = {"token": token} if token else {}
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": CONTEXT, "cluster": {"server": server_url}}],
        "users": [{"name": CONTEXT, "user": user}],
        "contexts": [
            {
                "name": CONTEXT,
                "context": {"cluster": CONTEXT, "user": CONTEXT, "namespace": "default"},
            }
        ],
        "current-context": CONTEXT,
        "preferences": {},
    }


def write_kubeconfig(path: Path, *, server_url: str, token: str | None) -> Path:
    """Write the kubeconfig (mode 0600, it may hold a token) and return its path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = yaml.safe_dump(kubeconfig_document(server_url=server_url, token=token), sort_keys=False)
    path.write_text(text)
    path.chmod(0o600)
    return path
