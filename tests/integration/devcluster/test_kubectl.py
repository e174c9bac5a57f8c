"""The real kubectl (/usr/bin/kubectl) as a client of devcluster."""

from __future__ import annotations

import asyncio
import json
import os
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from devcluster.harness import DevCluster, serve_devcluster
from tests.integration.devcluster.manifests import canary

KUBECTL = "/usr/bin/kubectl"
pytestmark = pytest.mark.skipif(not Path(KUBECTL).exists(), reason="kubectl is not installed")


@dataclass
class Result:
    code: int
    out: str
    err: str


@dataclass
class Kubectl:
    kubeconfig: Path
    cache: Path

    def _args(self, args: tuple[str, ...]) -> list[str]:
        return [KUBECTL, f"--kubeconfig={self.kubeconfig}", f"--cache-dir={self.cache}", *args]

    async def run(self, *args: str, stdin: str | None = None) -> Result:
        process = await asyncio.create_subprocess_exec(
            *self._args(args),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env={"PATH": os.environ.get("PATH", ""), "HOME": str(self.cache)},
        )
        out, err = await asyncio.wait_for(
            process.communicate(stdin.encode() if stdin else None), 30
        )
        return Result(process.returncode or 0, out.decode(), err.decode())

    async def start(self, *args: str) -> asyncio.subprocess.Process:
        return await asyncio.create_subprocess_exec(
            *self._args(args),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env={"PATH": os.environ.get("PATH", ""), "HOME": str(self.cache)},
        )


@pytest.fixture
def kubectl(cluster: DevCluster, tmp_path: Path) -> Kubectl:
    return Kubectl(cluster.kubeconfig, tmp_path / "cache")


async def _read_until(stream: asyncio.StreamReader, text: str, *, within: float = 15) -> list[str]:
    lines: list[str] = []
    async with asyncio.timeout(within):
        while True:
            line = (await stream.readline()).decode()
            if not line:
                raise AssertionError(f"kubectl ended before printing {text!r}; got {lines}")
            lines.append(line.rstrip("\n"))
            if text in line:
                return lines


async def test_api_resources_lists_flagger_and_flux_kinds(kubectl: Kubectl) -> None:
    result = await kubectl.run("api-resources", "--no-headers", "-o", "name")
    names = result.out.split()
    assert result.code == 0, result.err
    assert {
        "canaries.flagger.app",
        "metrictemplates.flagger.app",
        "alertproviders.flagger.app",
    } <= set(names)
    assert {
        "kustomizations.kustomize.toolkit.fluxcd.io",
        "helmreleases.helm.toolkit.fluxcd.io",
    } <= set(names)
    assert {
        "deployments.apps",
        "horizontalpodautoscalers.autoscaling",
        "leases.coordination.k8s.io",
    } <= set(names)


async def test_version_reports_the_emulated_server(kubectl: Kubectl) -> None:
    result = await kubectl.run("version", "-o", "json")
    assert json.loads(result.out)["serverVersion"]["gitVersion"] == "v1.32.0-devcluster"


async def test_get_canaries_prints_crd_printer_columns(
    cluster: DevCluster, kubectl: Kubectl
) -> None:
    body = canary()
    body["status"] = {
        "phase": "Progressing",
        "canaryWeight": 20,
        "lastTransitionTime": "2026-01-01T00:00:00Z",
    }
    cluster.objects.put(body)
    result = await kubectl.run("get", "canaries", "-A")
    lines = [line.split() for line in result.out.splitlines()]
    assert lines == [
        ["NAMESPACE", "NAME", "STATUS", "WEIGHT", "LASTTRANSITIONTIME"],
        ["default", "podinfo", "Progressing", "20", "2026-01-01T00:00:00Z"],
    ]


async def test_get_canary_yaml_round_trips_the_object(
    cluster: DevCluster, kubectl: Kubectl
) -> None:
    cluster.objects.put(canary())
    result = await kubectl.run("get", "canary", "podinfo", "-o", "yaml")
    fetched = yaml.safe_load(result.out)
    assert fetched["spec"] == canary()["spec"]
    assert (
        fetched["metadata"]["resourceVersion"]
        == cluster.objects.get(
            "flagger.app/v1beta1", "Canary", name="podinfo", namespace="default"
        )["metadata"]["resourceVersion"]
    )


async def test_patch_merge_sets_spec_and_records_kubectl_manager(
    cluster: DevCluster, kubectl: Kubectl
) -> None:
    cluster.objects.put(canary())
    result = await kubectl.run(
        "patch", "canary", "podinfo", "--type", "merge", "-p", '{"spec":{"suspend":true}}'
    )
    stored = cluster.objects.get(
        "flagger.app/v1beta1", "Canary", name="podinfo", namespace="default"
    )
    assert result.out.strip() == "canary.flagger.app/podinfo patched"
    assert stored["spec"]["suspend"] is True
    assert "kubectl-patch" in [e["manager"] for e in stored["metadata"]["managedFields"]]


async def test_watch_prints_a_row_for_each_change(cluster: DevCluster, kubectl: Kubectl) -> None:
    cluster.objects.put(canary())
    process = await kubectl.start("get", "canaries", "-w")
    try:
        assert process.stdout is not None
        await _read_until(process.stdout, "podinfo")
        status = canary()
        status["status"] = {"phase": "Progressing", "canaryWeight": 30}
        cluster.objects.put(status)
        lines = await _read_until(process.stdout, "Progressing")
    finally:
        process.kill()
        await process.wait()
    assert lines[-1].split() == ["podinfo", "Progressing", "30"]


async def test_create_of_invalid_canary_fails_with_schema_error(kubectl: Kubectl) -> None:
    bad = canary("bad", interval="1h")
    result = await kubectl.run("create", "-f", "-", stdin=json.dumps(bad))
    assert result.code == 1
    assert result.err.strip() == (
        'The Canary "bad" is invalid: spec.analysis.interval: Invalid value: "1h": '
        "spec.analysis.interval in body should match '^[0-9]+(m|s)'"
    )


async def test_create_with_unknown_field_is_refused_by_strict_validation(kubectl: Kubectl) -> None:
    bad = canary("typo")
    bad["spec"]["suspended"] = True
    result = await kubectl.run("create", "-f", "-", stdin=json.dumps(bad))
    assert result.code == 1
    assert 'strict decoding error: unknown field "spec.suspended"' in result.err


async def test_apply_creates_then_updates(cluster: DevCluster, kubectl: Kubectl) -> None:
    first = await kubectl.run("apply", "-f", "-", stdin=json.dumps(canary()))
    second = await kubectl.run("apply", "-f", "-", stdin=json.dumps(canary(stepWeight=25)))
    stored = cluster.objects.get(
        "flagger.app/v1beta1", "Canary", name="podinfo", namespace="default"
    )
    assert first.out.strip() == "canary.flagger.app/podinfo created"
    assert second.out.strip() == "canary.flagger.app/podinfo configured"
    assert stored["spec"]["analysis"]["stepWeight"] == 25


async def test_delete_removes_the_canary(cluster: DevCluster, kubectl: Kubectl) -> None:
    cluster.objects.put(canary())
    result = await kubectl.run("delete", "canary", "podinfo")
    assert result.out.strip() == 'canary.flagger.app "podinfo" deleted'
    assert (
        await kubectl.run("get", "canaries")
    ).err.strip() == "No resources found in default namespace."


async def test_unknown_token_is_unauthorized(tmp_path: Path) -> None:
    async with serve_devcluster(simulate=False, admin_token="right") as cluster:
        text = cluster.kubeconfig.read_text().replace("token: right", "token: wrong")
        (tmp_path / "bad").write_text(text)
        result = await Kubectl(tmp_path / "bad", tmp_path / "cache").run("get", "canaries")
    assert result.code == 1
    assert result.err.splitlines()[-1] == (
        "error: You must be logged in to the server "
        "(the server has asked for the client to provide credentials)"
    )


async def test_server_dry_run_leaves_nothing_behind(cluster: DevCluster, kubectl: Kubectl) -> None:
    result = await kubectl.run("create", "--dry-run=server", "-f", "-", stdin=json.dumps(canary()))
    assert result.out.strip() == "canary.flagger.app/podinfo created (server dry run)"
    assert (
        await kubectl.run("get", "canaries")
    ).err.strip() == "No resources found in default namespace."


async def test_warn_validation_prints_the_server_warning(kubectl: Kubectl) -> None:
    body = canary()
    body["spec"]["suspended"] = True
    result = await kubectl.run("create", "--validate=warn", "-f", "-", stdin=json.dumps(body))
    assert result.out.strip() == "canary.flagger.app/podinfo created"
    assert result.err.strip() == 'Warning: unknown field "spec.suspended"'


async def test_builtin_kinds_print_familiar_columns(cluster: DevCluster, kubectl: Kubectl) -> None:
    cluster.objects.put(
        {
            "apiVersion": "autoscaling/v2",
            "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": "web", "namespace": "default"},
            "spec": {
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
                "minReplicas": 2,
                "maxReplicas": 10,
                "metrics": [
                    {
                        "type": "Resource",
                        "resource": {
                            "name": "cpu",
                            "target": {"type": "Utilization", "averageUtilization": 80},
                        },
                    }
                ],
            },
            "status": {
                "currentReplicas": 3,
                "desiredReplicas": 3,
                "currentMetrics": [
                    {
                        "type": "Resource",
                        "resource": {"name": "cpu", "current": {"averageUtilization": 45}},
                    }
                ],
            },
        }
    )
    result = await kubectl.run("get", "hpa")
    header, row = result.out.splitlines()
    assert header.split() == [
        "NAME",
        "REFERENCE",
        "TARGETS",
        "MINPODS",
        "MAXPODS",
        "REPLICAS",
        "AGE",
    ]
    assert row.split()[:7] == ["web", "Deployment/web", "cpu:", "45%/80%", "2", "10", "3"]


DEPLOYMENT = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "web", "namespace": "default"},
    "spec": {
        "replicas": 2,
        "selector": {"matchLabels": {"app": "web"}},
        "template": {
            "metadata": {"labels": {"app": "web"}},
            "spec": {
                "containers": [
                    {"name": "app", "image": "nginx:1", "env": [{"name": "A", "value": "1"}]}
                ]
            },
        },
    },
}


async def test_deployment_apply_scale_and_rollout_restart(
    cluster: DevCluster, kubectl: Kubectl
) -> None:
    await kubectl.run("apply", "-f", "-", stdin=json.dumps(DEPLOYMENT))
    changed = json.loads(json.dumps(DEPLOYMENT))
    changed["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:2"
    applied = await kubectl.run("apply", "-f", "-", stdin=json.dumps(changed))
    scaled = await kubectl.run("scale", "deployment", "web", "--replicas=4")
    restarted = await kubectl.run("rollout", "restart", "deployment", "web")
    stored = cluster.objects.get("apps/v1", "Deployment", name="web", namespace="default")
    listed = await kubectl.run("get", "deployments")
    assert [line.split()[:4] for line in listed.out.splitlines()] == [
        ["NAME", "READY", "UP-TO-DATE", "AVAILABLE"],
        ["web", "0/4", "0", "0"],
    ]
    assert [r.out.strip() for r in (applied, scaled, restarted)] == [
        "deployment.apps/web configured",
        "deployment.apps/web scaled",
        "deployment.apps/web restarted",
    ]
    assert stored["spec"]["replicas"] == 4
    assert stored["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:2"
    assert stored["spec"]["template"]["spec"]["containers"][0]["env"] == [
        {"name": "A", "value": "1"}
    ]
    assert (
        "kubectl.kubernetes.io/restartedAt" in stored["spec"]["template"]["metadata"]["annotations"]
    )
    assert stored["metadata"]["generation"] == 4


async def test_server_side_apply_conflicts_force_and_prunes_like_flux(
    cluster: DevCluster, kubectl: Kubectl
) -> None:
    """Flux re-applies Git's fields; the portal's suspend (another manager) survives."""
    flux = ("apply", "--server-side", "--field-manager=kustomize-controller", "-f", "-")
    created = await kubectl.run(*flux, stdin=json.dumps(canary()))
    await kubectl.run(
        "patch",
        "canary",
        "podinfo",
        "--type",
        "merge",
        "--field-manager=infra-fleet-portal",
        "-p",
        '{"spec":{"suspend":true,"analysis":{"stepWeight":20}}}',
    )
    refused = await kubectl.run(*flux, stdin=json.dumps(canary()))
    without_max = canary()
    del without_max["spec"]["analysis"]["maxWeight"]
    forced = await kubectl.run(
        *flux[:2], "--force-conflicts", *flux[2:], stdin=json.dumps(without_max)
    )
    stored = cluster.objects.get(
        "flagger.app/v1beta1", "Canary", name="podinfo", namespace="default"
    )
    assert created.out.strip() == "canary.flagger.app/podinfo serverside-applied"
    assert refused.code == 1
    assert refused.err.splitlines()[0] == (
        'error: Apply failed with 1 conflict: conflict with "infra-fleet-portal" using '
        "flagger.app/v1beta1: .spec.analysis.stepWeight"
    )
    assert forced.out.strip() == "canary.flagger.app/podinfo serverside-applied"
    assert stored["spec"]["analysis"] == {"interval": "1m", "threshold": 5, "stepWeight": 10}
    assert stored["spec"]["suspend"] is True
    managers = {(e["manager"], e["operation"]) for e in stored["metadata"]["managedFields"]}
    assert managers == {("kustomize-controller", "Apply"), ("infra-fleet-portal", "Update")}


async def test_kubectl_wait_sees_the_status_change_through_its_informer(
    cluster: DevCluster, kubectl: Kubectl
) -> None:
    cluster.objects.put(canary())
    process = await kubectl.start(
        "wait", "--for=jsonpath={.status.phase}=Succeeded", "canary/podinfo", "--timeout=20s"
    )
    await cluster.store.wait_for_watchers(count=1, resource="canaries.flagger.app", within=15)
    done = canary()
    done["status"] = {"phase": "Succeeded"}
    cluster.objects.put(done)
    out, _ = await asyncio.wait_for(process.communicate(), 30)
    watches = cluster.requests.matching(watch=True)
    assert (process.returncode, out.decode().strip()) == (
        0,
        "canary.flagger.app/podinfo condition met",
    )
    assert "allowWatchBookmarks=true" in watches[-1].query
    assert "fieldSelector=metadata.name%3Dpodinfo" in watches[-1].query
