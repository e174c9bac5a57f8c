"""The built tree applied to a fresh devcluster as Flux would: every built-in kind checked against
the Kubernetes 1.32 schemas, every CRD kind (Flux, Flagger, Prometheus Operator, cert-manager,
Kyverno) against its CustomResourceDefinition, each stage server-side dry-run first."""

from __future__ import annotations

import copy

import kubernetes_validate
import pytest

from devcluster.harness import DevCluster
from tests.k8s.applying import Kubectl, apply_checked
from tests.k8s.tree import LAYERS, Obj, built, find, objects, substitute

TOKEN_VARIABLES = {"FLAGGER_PORTAL_TOKEN": "ifp-flagger-token-for-tests-0123456789abcdef"}
BOOTSTRAP = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "flux-system"}}]


def _substituted_paths() -> set[str]:
    """The layers whose Flux Kustomization substitutes variables (postBuild)."""
    flux = objects(built("clusters/staging"))
    return {
        o["spec"]["path"].removeprefix("./k8s/")
        for o in flux
        if o["kind"] == "Kustomization" and "postBuild" in o["spec"]
    }


def layer(name: str) -> list[Obj]:
    text = built(name)
    return objects(substitute(text, TOKEN_VARIABLES) if name in _substituted_paths() else text)


def _key(o: Obj) -> str:
    group = o["apiVersion"].split("/")[0] if "/" in o["apiVersion"] else ""
    kind = o["kind"].lower() + ("." + group if group else "")
    return f"{kind}/{o['metadata']['name']}"


async def test_every_layer_applies_in_flux_order(cluster: DevCluster, kubectl: Kubectl) -> None:
    await apply_checked(kubectl, BOOTSTRAP)  # what `flux bootstrap` creates
    await apply_checked(kubectl, objects(built("clusters/staging")))
    for name in LAYERS:
        items = layer(name)
        applied = await apply_checked(kubectl, items)
        assert sorted(applied) == sorted(_key(o) for o in items)
        for o in items:
            stored = cluster.objects.get(
                o["apiVersion"],
                o["kind"],
                name=o["metadata"]["name"],
                namespace=o["metadata"].get("namespace", ""),
            )
            assert stored["metadata"]["uid"]


def test_the_flagger_token_reaches_every_portal_hook() -> None:
    canary = find(layer("apps/staging"), "Canary", "load-harness")
    hooks = canary["spec"]["analysis"]["webhooks"]
    tokens = {h["name"]: h.get("metadata", {}).get("token") for h in hooks}
    expected = TOKEN_VARIABLES["FLAGGER_PORTAL_TOKEN"]
    assert tokens == {
        "portal-confirm-rollout": expected,
        "portal-confirm-traffic-increase": expected,
        "portal-confirm-promotion": expected,
        "portal-rollback": expected,
        "portal-events": expected,
        "load-test": None,
    }


async def test_a_misspelt_field_is_refused_by_the_dry_run(kubectl: Kubectl) -> None:
    await apply_checked(
        kubectl, [o for o in layer("infrastructure/configs") if o["kind"] == "Namespace"]
    )
    pdb = copy.deepcopy(find(layer("apps/staging"), "PodDisruptionBudget", "portal"))
    pdb["spec"]["minAvailble"] = pdb["spec"].pop("minAvailable")
    result = await kubectl.apply([pdb], dry_run=True)
    assert (result.code, result.err.strip()) == (
        1,
        'Error from server (BadRequest): PodDisruptionBudget in version "v1" cannot be handled '
        'as a PodDisruptionBudget: strict decoding error: unknown field "spec.minAvailble"',
    )


async def test_a_custom_resource_of_the_wrong_shape_is_refused(kubectl: Kubectl) -> None:
    await apply_checked(
        kubectl, [o for o in layer("infrastructure/configs") if o["kind"] == "Namespace"]
    )
    monitor = copy.deepcopy(find(layer("apps/staging"), "ServiceMonitor", "portal"))
    monitor["spec"]["endpoints"][0]["interval"] = 30
    result = await kubectl.apply([monitor], dry_run=True)
    assert result.code == 1
    assert "spec.endpoints[0].interval in body must be of type string" in result.err


def _builtin(items: list[Obj]) -> list[Obj]:
    group = {"flagger.app", "monitoring.coreos.com", "cert-manager.io", "kyverno.io"}
    return [
        o
        for o in items
        if o["apiVersion"].split("/")[0] not in group
        and ".toolkit.fluxcd.io" not in o["apiVersion"]
    ]


@pytest.mark.parametrize("name", ["clusters/staging", *LAYERS])
def test_builtin_kinds_pass_kubernetes_validate_strict(name: str) -> None:
    checked = []
    for o in _builtin(layer(name)):
        assert kubernetes_validate.validate(o, "1.32", strict=True) == "1.32"
        checked.append(o["kind"])
    if name != "clusters/staging":
        assert checked
