"""Which clusters the portal watches and the API clients that reach them.

A kubeconfig with one or more contexts (each context is one named cluster), or the in-cluster
ServiceAccount when no kubeconfig is set and the pod runs in Kubernetes. No configuration at all
means an empty fleet: the portal still serves, and says so.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from kubernetes_asyncio.client import ApiClient, Configuration
from kubernetes_asyncio.config import (
    list_kube_config_contexts,
    load_incluster_config,
    new_client_from_config,
)

from portal.domain.kube_names import dns1123_label


@dataclass(frozen=True, slots=True)
class Cluster:
    """One named cluster, its client, and the namespaces the portal may see (None: all)."""

    name: str
    client: ApiClient
    namespaces: tuple[str, ...] | None


def running_in_cluster() -> bool:
    return bool(os.environ.get("KUBERNETES_SERVICE_HOST"))


def context_names(kubeconfig: Path, wanted: Sequence[str]) -> list[str]:
    contexts, current = list_kube_config_contexts(str(kubeconfig))
    known = [c["name"] for c in contexts]
    missing = [name for name in wanted if name not in known]
    if missing:
        raise ValueError(
            f"kubeconfig {kubeconfig} has no context {', '.join(missing)} "
            f"(it has: {', '.join(known)})"
        )
    if wanted:
        return list(wanted)
    if current is None:
        raise ValueError(
            f"kubeconfig {kubeconfig} has no current context; set PORTAL_KUBE_CONTEXTS"
        )
    return [current["name"]]


def scope_for(cluster: str, namespaces: Mapping[str, Sequence[str]]) -> tuple[str, ...] | None:
    """The namespaces watched in `cluster` (None: all); each must be a DNS-1123 label, so a
    setting cannot put a path into a watch URL (`InvalidKubeName` stops the start)."""
    chosen = namespaces.get(cluster, namespaces.get("*"))
    return tuple(dns1123_label(ns) for ns in chosen) if chosen else None


@asynccontextmanager
async def open_clusters(
    *,
    kubeconfig: Path | None,
    contexts: Sequence[str],
    namespaces: Mapping[str, Sequence[str]],
    in_cluster_name: str,
) -> AsyncIterator[list[Cluster]]:
    """Clients for every configured cluster, closed on exit."""
    async with AsyncExitStack() as stack:
        clusters: list[Cluster] = []
        if kubeconfig is not None:
            for name in context_names(kubeconfig, contexts):
                client = await new_client_from_config(
                    config_file=str(kubeconfig), context=name, persist_config=False
                )
                stack.push_async_callback(client.close)
                clusters.append(Cluster(name, client, scope_for(name, namespaces)))
        elif running_in_cluster():
            configuration = Configuration()
            load_incluster_config(client_configuration=configuration)  # type: ignore[no-untyped-call]
            client = ApiClient(configuration=configuration)
            stack.push_async_callback(client.close)
            clusters.append(
                Cluster(in_cluster_name, client, scope_for(in_cluster_name, namespaces))
            )
        yield clusters
