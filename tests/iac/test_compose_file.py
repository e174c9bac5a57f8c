"""docker-compose.yml: the Compose Specification schema (check-jsonschema's vendored copy, offline)
and the shape the local stack relies on. `make compose-test` runs it for real under podman."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from portal.domain.flagger_tokens import hash_token
from scripts import compose_env
from tests.iac.conftest import ROOT

COMPOSE = ROOT / "docker-compose.yml"
BIN = Path(sys.executable).parent
BUILT = ["postgres", "devcluster", "moto", "portal", "load-harness", "prometheus"]
CLUSTERS = ("prod-eu", "prod-us", "staging")


def services() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())["services"]
    return loaded


def test_compose_file_matches_the_compose_specification_schema() -> None:
    result = subprocess.run(
        [str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.compose-spec", str(COMPOSE)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert (result.returncode, result.stdout.strip()) == (0, "ok -- validation done")


def test_a_wrong_field_fails_the_schema_check(tmp_path: Path) -> None:
    broken = tmp_path / "docker-compose.yml"
    broken.write_text(COMPOSE.read_text().replace("    healthcheck:\n", "    healthchek:\n", 1))
    result = subprocess.run(
        [str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.compose-spec", str(broken)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1
    assert "healthchek" in result.stdout


def test_every_service_but_grafana_is_built_here_from_base_image() -> None:
    found = services()
    assert sorted(found) == sorted([*BUILT, "grafana"])
    for name in BUILT:
        build = found[name]["build"]
        assert build["context"] == "."
        assert (ROOT / build["dockerfile"]).is_file()
        assert build["args"]["BASE_IMAGE"] == "${BASE_IMAGE:-python:3.11-slim-bookworm}"
        assert found[name]["image"] == f"localhost/infra-fleet/{name}:${{IMAGE_TAG:-local}}"
        assert "profiles" not in found[name]
    assert found["grafana"]["profiles"] == ["grafana"]
    assert "build" not in found["grafana"]


def test_every_service_has_a_health_check_and_publishes_on_loopback_only() -> None:
    for name, service in services().items():
        assert service["healthcheck"]["test"][0] == "CMD", name
        for port in service.get("ports", []):
            assert port.startswith("127.0.0.1:"), (name, port)


def test_the_portal_migrates_then_serves_against_devcluster_postgres_and_prometheus() -> None:
    portal = services()["portal"]
    assert portal["command"][-1] == (
        "python -m portal.cli db upgrade && python -m portal.demo_costs http://moto:5000"
        " && exec python -m portal.cli serve"
    )
    assert {name: dep["condition"] for name, dep in portal["depends_on"].items()} == {
        "postgres": "service_healthy",
        "devcluster": "service_healthy",
        "moto": "service_healthy",
    }
    environment = portal["environment"]
    assert environment["PORTAL_DATABASE_URL"].startswith("postgresql+asyncpg://portal:")
    assert environment["PORTAL_DATABASE_URL"].endswith("@postgres:5432/portal")
    assert environment["PORTAL_PROMETHEUS_URL"] == "http://prometheus:9090"
    assert environment["PORTAL_KUBE_CONTEXTS"] == ",".join(CLUSTERS)
    assert environment["PORTAL_AWS_ENDPOINT_URL"] == "http://moto:5000"
    assert environment["PORTAL_COST_DEMO"] == "true"


def test_devcluster_runs_the_three_cluster_demo_the_portal_watches_with_one_token_each() -> None:
    devcluster = services()["devcluster"]
    command = devcluster["command"]
    assert "--port=8001" in command
    assert [a for a in command if a.startswith("--cluster=")] == [
        f"--cluster={cluster}={cluster}" for cluster in CLUSTERS
    ]  # each cluster runs the scenario of its name (without it: --scenario, default empty)
    assert "--gate-base-url=http://portal:8000" in command
    kubeconfig = yaml.safe_load((ROOT / "docker/compose/devcluster.kubeconfig").read_text())
    servers = {c["name"]: c["cluster"]["server"] for c in kubeconfig["clusters"]}
    assert servers == {
        cluster: f"http://devcluster:{8001 + index}" for index, cluster in enumerate(CLUSTERS)
    }
    assert [c["name"] for c in kubeconfig["contexts"]] == list(CLUSTERS)
    assert [p.rsplit(":", 1)[1] for p in devcluster["ports"]] == ["8001", "8002", "8003"]
    tokens = {
        name.removeprefix("DEVCLUSTER_GATE_TOKEN_"): value
        for name, value in devcluster["environment"].items()
        if name.startswith("DEVCLUSTER_GATE_TOKEN_")
    }
    suffixes = [cluster.upper().replace("-", "_") for cluster in CLUSTERS]
    assert tokens == {s: f"${{FLAGGER_TOKEN_{s}:?run make compose-env}}" for s in suffixes}
    hashes = services()["portal"]["environment"]["PORTAL_FLAGGER_TOKENS"]
    for cluster, suffix in zip(CLUSTERS, suffixes, strict=True):
        assert f'"{cluster}": ["${{FLAGGER_TOKEN_HASH_{suffix}:?run make compose-env}}"]' in hashes


def test_compose_env_writes_every_variable_the_compose_file_requires(tmp_path: Path) -> None:
    required = set(re.findall(r"\$\{([A-Z_]+):\?", COMPOSE.read_text()))
    env_file = tmp_path / "compose.env"
    assert compose_env.main([str(env_file)]) == 0
    written = compose_env.read_values(env_file.read_text())
    assert set(written) == required
    assert env_file.stat().st_mode & 0o777 == 0o600
    for cluster in CLUSTERS:
        suffix = cluster.upper().replace("-", "_")
        token = written[f"FLAGGER_TOKEN_{suffix}"]
        assert written[f"FLAGGER_TOKEN_HASH_{suffix}"] == hash_token(token)
    assert len({written[f"FLAGGER_TOKEN_{c.upper().replace('-', '_')}"] for c in CLUSTERS}) == 3


def test_compose_env_keeps_an_existing_files_values_and_adds_the_missing_ones(
    tmp_path: Path,
) -> None:
    """A checkout from before the three-cluster stack keeps its PostgreSQL password."""
    env_file = tmp_path / "compose.env"
    env_file.write_text("FLAGGER_TOKEN=old\nFLAGGER_TOKEN_HASH=oldhash\nPOSTGRES_PASSWORD=kept\n")
    assert compose_env.main([str(env_file)]) == 0
    written = compose_env.read_values(env_file.read_text())
    assert written["POSTGRES_PASSWORD"] == "kept"
    assert written["FLAGGER_TOKEN_HASH_STAGING"] == hash_token(written["FLAGGER_TOKEN_STAGING"])
    before = env_file.read_text()
    assert compose_env.main([str(env_file)]) == 0
    assert env_file.read_text() == before


def test_prometheus_scrapes_the_portal_load_harness_and_flagger_metrics() -> None:
    config = yaml.safe_load((ROOT / "docker/compose/prometheus.yml").read_text())
    targets = {
        job["job_name"]: [t for c in job["static_configs"] for t in c["targets"]]
        for job in config["scrape_configs"]
    }
    assert targets == {
        "portal": ["portal:8000"],
        "load-harness": ["load-harness:8080"],
        "flagger": ["devcluster:8001", "devcluster:8002", "devcluster:8003"],
        "prometheus": ["127.0.0.1:9090"],
    }
    [flagger] = [job for job in config["scrape_configs"] if job["job_name"] == "flagger"]
    assert [(c["targets"], c["labels"]) for c in flagger["static_configs"]] == [
        ([f"devcluster:{8001 + index}"], {"cluster": cluster})
        for index, cluster in enumerate(CLUSTERS)
    ]


def test_grafana_is_provisioned_with_the_compose_prometheus() -> None:
    datasources = yaml.safe_load((ROOT / "docker/compose/grafana/datasources.yml").read_text())
    assert [(d["name"], d["url"], d["isDefault"]) for d in datasources["datasources"]] == [
        ("Prometheus", "http://prometheus:9090", True)
    ]
    mounts = services()["grafana"]["volumes"]
    assert (
        "${GRAFANA_DASHBOARDS_DIR:-./k8s/infrastructure/configs/dashboards}"
        ":/var/lib/grafana/dashboards/infra-fleet:ro"
    ) in mounts


def test_grafana_reads_the_dashboards_from_where_they_are_mounted() -> None:
    providers = yaml.safe_load((ROOT / "docker/compose/grafana/dashboards.yml").read_text())
    [provider] = providers["providers"]
    assert provider["options"]["path"] == "/var/lib/grafana/dashboards/infra-fleet"
    dashboards = sorted((ROOT / "k8s/infrastructure/configs/dashboards").glob("*.json"))
    titles = {json.loads(path.read_text())["title"] for path in dashboards}
    assert len(dashboards) == len(titles) == 5
